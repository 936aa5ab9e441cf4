"""Accuracy of the one-stage detector after a fixed budget (issue 4): a generated shapes dataset (64 train,
16 held-out val images by default), ``--epochs`` epochs from scratch, then mAP50 and mAP50-95 of best.pt
on the val images (pycocotools, as every run reports them) and the wall time of the run.

    python bench/bench_accuracy.py [--variants elan-pan repvgg-fpn] [--epochs 30] [--imgsz 320] [--int8]
                                   [--val-images 200] [--bf16] [--seed 0]

A variant is BACKBONE-NECK. Each runs in this process, one after the other. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

from report import print_figures  # bench/ is on sys.path when a bench runs as a script

REPO = Path(__file__).resolve().parents[1]


def best_row(results: Path) -> dict[str, float]:
    """The results.csv row of the best epoch (0.1 mAP50 + 0.9 mAP50-95, as best.pt is chosen)."""
    with results.open() as f:
        rows = [{k.strip(): float(v) for k, v in row.items() if v.strip()} for row in csv.DictReader(f)]
    return max(rows, key=lambda r: 0.1 * r["metrics/mAP50(B)"] + 0.9 * r["metrics/mAP50-95(B)"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["elan-pan", "repvgg-fpn"])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--imgsz", type=int, default=320)
    parser.add_argument("--model", default="n")
    parser.add_argument("--train-images", type=int, default=64)
    parser.add_argument("--val-images", type=int, default=16)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--bf16", action="store_true", help="train in bfloat16 (a CPU with native bf16)")
    parser.add_argument("--seed", type=int, default=0, help="training seed (the data stays the same)")
    parser.add_argument("--int8", action="store_true",
                        help="also validate best.pt's float32 export and its int8 quantization")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from studio.engine.config import TrainConfig
    from studio.jobs.train_job import run_training
    from studio.shapes import make_shapes

    figures: dict[str, float | str] = {"model": args.model, "epochs": args.epochs, "imgsz": args.imgsz,
                                       "bf16": args.bf16, "seed": args.seed}
    with tempfile.TemporaryDirectory() as tmp:
        data = make_shapes(Path(tmp) / "shapes", num_images=args.train_images, size=args.imgsz,
                           max_objects=6, val_images=args.val_images, seed=1)
        for variant in args.variants:
            backbone, neck = variant.split("-")
            cfg = TrainConfig(data=str(data), imgsz=args.imgsz, batch=args.batch, epochs=args.epochs,
                              model=args.model, backbone=backbone, neck=neck, device="cpu",
                              project=str(Path(tmp) / "runs"), name=variant, export=False,
                              bf16=args.bf16, seed=args.seed)
            start = time.perf_counter()
            outcome = run_training(cfg, bar=False)
            figures[f"{variant} minutes"] = (time.perf_counter() - start) / 60
            best = best_row(outcome.run / "results.csv")
            figures[f"{variant} mAP50"] = best["metrics/mAP50(B)"]
            figures[f"{variant} mAP50-95"] = best["metrics/mAP50-95(B)"]
            print(f"{variant}: mAP50 {figures[f'{variant} mAP50']:.3f}, "
                  f"mAP50-95 {figures[f'{variant} mAP50-95']:.3f}", flush=True)
            if args.int8:
                figures.update(int8_figures(variant, outcome.run / "weights" / "best.pt", data))
    print_figures("accuracy", figures)


def int8_figures(variant: str, best: Path, data: Path) -> dict[str, float]:
    """mAP of best.pt's float32 export and of its int8 quantization (calibrated on the training images,
    as ``tern export --int8`` does) on every val image."""
    from studio.export.int8_job import export_maps
    from studio.jobs.export_job import ExportOptions, run_export
    from studio.jobs.val_job import load_val_data

    float_path, _ = run_export(ExportOptions(str(best), int8=True))
    val = load_val_data(str(data))
    figures = {}
    for label, path in (("onnx", float_path), ("int8", float_path.with_suffix(".int8.onnx"))):
        for name, value in export_maps(path, val).items():
            figures[f"{variant} {label} {name}"] = value
    print(f"{variant}: float32 export mAP50-95 {figures[f'{variant} onnx mAP50-95']:.4f}, int8 "
          f"{figures[f'{variant} int8 mAP50-95']:.4f}", flush=True)
    return figures
    print_figures("accuracy", figures)


if __name__ == "__main__":
    main()
