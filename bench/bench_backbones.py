"""The backbone zoo, one row per entry: parameters of the published ImageNet classifier and of the trunk
a detector uses, GFLOPs of the trunk at 640 (torch.utils.flop_counter: a multiply-add counts 2), and the
onnxruntime CPU latency of the trunk at 640, batch 1 (median of ``--runs`` after warm-up, best of
``--rounds``). Prints a markdown table (the README's) and one JSON line.

    python bench/bench_backbones.py [--only resnet50 swin_t] [--imgsz 640] [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import os
import warnings

import numpy as np
import torch
from bench_model import gflops
from bench_onnx import median_ms
from report import print_figures  # bench/ is on sys.path when a bench runs as a script
from torch import nn

from studio.models.classify import classifier_on_meta, count_parameters
from studio.models.registry import BACKBONES, SCALED_BACKBONES


class Trunk(nn.Module):
    """The backbone's maps as a tuple in stride order (what ONNX can return)."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        feats = self.backbone(x)
        return tuple(feats[s] for s in sorted(feats))


def onnx_ms(trunk: nn.Module, imgsz: int, runs: int, rounds: int) -> float:
    import onnxruntime as ort

    buffer = io.BytesIO()
    x = torch.rand(1, 3, imgsz, imgsz)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(trunk, (x,), buffer, dynamo=False, opset_version=17, input_names=["images"])
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    session = ort.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])
    feed = {"images": x.numpy().astype(np.float32)}
    return median_ms(lambda: session.run(None, feed), runs, rounds, warmup=2)


def row(name: str, imgsz: int, runs: int, rounds: int) -> dict[str, float]:
    build = BACKBONES[name]
    classifier = count_parameters(classifier_on_meta(build)) / 1e6
    trunk = Trunk(build().eval())
    return {"classifier_params_M": classifier, "trunk_params_M": count_parameters(trunk) / 1e6,
            f"gflops_{imgsz}": gflops(trunk, imgsz), f"onnx_ms_{imgsz}": onnx_ms(trunk, imgsz, runs, rounds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=[n for n in BACKBONES if n not in SCALED_BACKBONES])
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    figures: dict[str, float] = {}
    print(f"| backbone | params (M), classifier | params (M), trunk | GFLOPs @{args.imgsz} | "
          f"ONNX CPU ms @{args.imgsz} |\n|---|---|---|---|---|")
    for name in args.only:
        values = row(name, args.imgsz, args.runs, args.rounds)
        print(f"| {name} | " + " | ".join(f"{v:.2f}" if i < 3 else f"{v:.0f}"
                                           for i, v in enumerate(values.values())) + " |", flush=True)
        figures.update({f"{name} {k}": v for k, v in values.items()})
    print_figures("backbones", figures)


if __name__ == "__main__":
    main()
