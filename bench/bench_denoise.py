"""Denoiser speed: megapixels (RAW pixels, i.e. 4 per packed pixel) per second of each preset, whole-image
tiled inference as ``tern denoise apply`` runs it (tiles of 256 packed pixels, overlap 32), in torch and in
onnxruntime (CPU provider, intra-op threads = the machine's cores; CUDA as well when a GPU is there), and
training steps per second on 256-px RAW crops (batch 8). The models are untrained (speed does not depend on
the weights), exported to a temporary folder.

    python bench/bench_denoise.py [--presets small width32 unet] [--size 1024] [--rounds 3]

The quality figures (model vs BM3D, NLM, bilateral on the real DNGs with synthetic noise) come from
``tern denoise eval`` on a trained model; see the README's RAW denoising section.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from report import print_figures  # bench/ is on sys.path when a bench runs as a script

from studio.export.onnx_denoise import OnnxDenoiser, export_denoiser
from studio.inference.tiles import tiled_apply
from studio.models.denoise.presets import PRESETS, build_denoiser
from studio.models.losses.denoise import DenoiseLoss


def best_seconds(fn, rounds: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def train_steps_per_s(model: torch.nn.Module, steps: int = 6, device: str = "cpu") -> float:
    """AdamW steps on (8, 4, 128, 128) packed crops (256-px RAW crops) with the default loss."""
    model = model.to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    loss_fn = DenoiseLoss({"l1": 1.0, "fft": 0.05, "adjacent": 0.1})
    x = torch.rand(8, 4, 128, 128, device=device)

    def step() -> None:
        loss, _ = loss_fn(model(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", nargs="+", default=["small", "width32", "unet"])
    parser.add_argument("--size", type=int, default=1024, help="side of the square RAW image (pixels)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    side = args.size // 2
    image = np.random.default_rng(0).random((1, 4, side, side), dtype=np.float32)
    megapixels = args.size * args.size / 1e6
    figures: dict[str, float | str] = {"raw_image": f"{args.size}x{args.size}", "threads": threads}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.presets:
            torch.manual_seed(0)
            model = build_denoiser(PRESETS[name]).eval()
            figures[f"{name}_params_M"] = sum(p.numel() for p in model.parameters()) / 1e6
            tensor = torch.from_numpy(image)
            t = best_seconds(lambda m=model, x=tensor: tiled_apply(m, x, 256, 32), args.rounds)
            figures[f"{name}_torch_cpu_MP_per_s"] = megapixels / t
            path = export_denoiser(model, Path(tmp) / f"{name}.onnx")
            session = OnnxDenoiser(path, threads=threads, providers=["CPUExecutionProvider"])
            t = best_seconds(lambda s=session: tiled_apply(s, image, 256, 32), args.rounds)
            figures[f"{name}_onnx_cpu_MP_per_s"] = megapixels / t
            figures[f"{name}_train_cpu_steps_per_s"] = train_steps_per_s(build_denoiser(PRESETS[name]))
            if torch.cuda.is_available():
                cuda_model = model.cuda()
                x = tensor.cuda()

                def run(m=cuda_model, x=x) -> None:
                    tiled_apply(m, x, 256, 32)
                    torch.cuda.synchronize()

                figures[f"{name}_torch_cuda_MP_per_s"] = megapixels / best_seconds(run, args.rounds)
                figures[f"{name}_train_cuda_steps_per_s"] = train_steps_per_s(
                    build_denoiser(PRESETS[name]), steps=20, device="cuda")
    print_figures("denoise", figures)


if __name__ == "__main__":
    main()
