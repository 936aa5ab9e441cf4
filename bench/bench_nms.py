"""Validation postprocess cost on CPU: ``batched_nms`` on clustered boxes over many classes, and the whole
``Postprocess`` (conf 0.001, multi_label, max_nms 3000, as validation runs it) on an early-training
detector's decoded output, where thousands of (box, class) pairs pass the confidence filter.

The "early-training" model is the n detector, untrained, with its class biases set to logit(0.01): a
freshly built one scores every class ~1e-5 (YOLOv8's bias init), so nothing passes conf 0.001; after the
first epochs nearly everything does, and NMS runs on the full max_nms candidates of every image.

    python bench/bench_nms.py [--boxes 3000] [--classes 80] [--runs 20] [--imgsz 640]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch
from report import print_figures  # bench/ is on sys.path when a bench runs as a script

from studio.models.config import ModelConfig
from studio.models.ops.nms import batched_nms, nms
from studio.models.postprocess import Postprocess, decode_outputs
from studio.models.registry import build_detector


def median_ms(fn, runs: int) -> float:
    """Median wall time of ``fn()`` in ms over ``runs`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def clustered_boxes(n: int, classes: int, seed: int = 0, size: float = 640.0):
    """n boxes (xyxy px) around n // 20 centres (heavy overlap), scores in [0, 1), classes uniform."""
    gen = torch.Generator().manual_seed(seed)
    centres = torch.rand(max(1, n // 20), 2, generator=gen) * size
    pick = torch.randint(0, centres.shape[0], (n,), generator=gen)
    xy = centres[pick] + torch.randn(n, 2, generator=gen) * 8
    wh = 16 + torch.rand(n, 2, generator=gen) * 64
    boxes = torch.cat((xy - wh / 2, xy + wh / 2), 1)
    return boxes, torch.rand(n, generator=gen), torch.randint(0, classes, (n,), generator=gen)


def early_training_decoded(imgsz: int, nc: int) -> torch.Tensor:
    """(1, A, 4 + nc) decoded output of an untrained n detector whose class biases are logit(0.01)."""
    torch.manual_seed(0)
    model = build_detector(ModelConfig(scale="n", nc=nc)).eval()
    with torch.no_grad():
        for branch in model.head.cls:
            branch[-1].bias.fill_(math.log(0.01 / 0.99))
        return decode_outputs(model(torch.rand(1, 3, imgsz, imgsz)), model.strides, model.reg_max)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=3000)
    parser.add_argument("--classes", type=int, default=80)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--imgsz", type=int, default=640)
    args = parser.parse_args()
    figures: dict[str, float | str] = {"threads": torch.get_num_threads()}
    for nc in (args.classes, 1):  # a one-class dataset compares every pair
        boxes, scores, classes = clustered_boxes(args.boxes, nc)
        figures[f"batched_nms_{args.boxes}x{nc}_ms"] = median_ms(
            lambda: batched_nms(boxes, scores, classes, 0.7), args.runs)  # noqa: B023 (called at once)
    figures[f"nms_agnostic_{args.boxes}_ms"] = median_ms(lambda: nms(boxes, scores, 0.7), args.runs)
    decoded = early_training_decoded(args.imgsz, args.classes)
    post = Postprocess(conf=0.001, iou=0.7, multi_label=True, max_det=300, max_nms=3000)
    figures["val_candidates"] = int((decoded[0, :, 4:] > post.conf).sum())
    figures[f"val_postprocess_{args.imgsz}_ms"] = median_ms(lambda: post(decoded), args.runs)
    print_figures("nms", figures)


if __name__ == "__main__":
    main()
