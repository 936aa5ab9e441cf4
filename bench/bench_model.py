"""Size of every one-stage detector: parameters and GFLOPs of the fused model (BN folded, RepVGG blocks
re-parameterised) at 640 and 320, for every backbone x neck x scale, nc=80.

GFLOPs are what torch.utils.flop_counter.FlopCounterMode reports (a multiply-add counts 2; convolutions
and matmuls only), for one image. For reference: YOLOv8n 3.2 M params / 8.7 GFLOPs, YOLOv8s 11.2 M /
28.6, YOLOv8m 25.9 M / 78.9 at 640 (the ultralytics figures, counted the same way).

    python bench/bench_model.py [--scales n s m] [--nc 80]
"""

from __future__ import annotations

import argparse

import torch
from report import print_figures  # bench/ is on sys.path when a bench runs as a script
from torch.utils.flop_counter import FlopCounterMode

from studio.models.config import ModelConfig
from studio.models.registry import NECKS, SCALED_BACKBONES, build_detector


def gflops(model: torch.nn.Module, imgsz: int) -> float:
    """GFLOPs of one forward pass of a (1, 3, imgsz, imgsz) image."""
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.zeros(1, 3, imgsz, imgsz))
    return counter.get_total_flops() / 1e9


def figures_for(cfg: ModelConfig) -> dict[str, float]:
    model = build_detector(cfg).eval()
    train_gflops = gflops(model, 640)  # RepVGG branches unfused (BN is not counted)
    model.fuse()
    params = sum(p.numel() for p in model.parameters()) / 1e6
    return {"params_M": params, "gflops_640": gflops(model, 640), "gflops_320": gflops(model, 320),
            "train_gflops_640": train_gflops}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["n", "s", "m"])
    parser.add_argument("--backbones", nargs="+", default=list(SCALED_BACKBONES))
    parser.add_argument("--necks", nargs="+", default=list(NECKS))
    parser.add_argument("--nc", type=int, default=80)
    args = parser.parse_args()
    figures: dict[str, float] = {}
    for scale in args.scales:
        for backbone in args.backbones:
            for neck in args.necks:
                cfg = ModelConfig(scale=scale, backbone=backbone, neck=neck, nc=args.nc)
                for key, value in figures_for(cfg).items():
                    figures[f"{backbone}-{neck}-{scale} {key}"] = value
    print_figures("model_size", figures)


if __name__ == "__main__":
    main()
