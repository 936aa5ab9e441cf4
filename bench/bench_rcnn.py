"""Faster R-CNN-FPN on this machine: training seconds per iteration (2 images at 800 x 1216, SGD step
included) and inference ms per image (800 x 1216) for a backbone (default resnet50, random init: the
time does not depend on the weights), then our RoIAlign and NMS against the direct references (one box
at a time, in Python, as the kernels are written), on the same inputs, with their largest difference.

    python bench/bench_rcnn.py [--backbone resnet50] [--iters 3] [--device cpu]
"""

from __future__ import annotations

import argparse
import time

import torch
from bench_nms import clustered_boxes, median_ms
from report import print_figures  # bench/ is on sys.path when a bench runs as a script

from studio.models.config import ModelConfig
from studio.models.losses.rcnn import RCNNLoss
from studio.models.ops.nms import nms
from studio.models.ops.reference import direct_nms, direct_roi_align
from studio.models.ops.roi_align import roi_align
from studio.models.registry import build_detector

H, W = 800, 1216


def train_seconds(model, device: torch.device, iters: int) -> float:
    criterion, gen = RCNNLoss(model.cfg), torch.Generator().manual_seed(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.0025, momentum=0.9)
    images = torch.rand(2, 3, H, W, generator=gen).to(device)
    xy = torch.rand(10, 2, generator=gen) * 600
    boxes = torch.cat((xy, xy + 50 + torch.rand(10, 2, generator=gen) * 300), 1)
    targets = torch.cat((torch.tensor([0.0] * 5 + [1.0] * 5)[:, None], torch.randint(0, 80, (10, 1)).float(),
                         boxes), 1).to(device)
    model.train()
    times = []
    for _ in range(iters + 1):
        start = time.perf_counter()
        loss, _ = criterion(model(images, targets), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times[1:])


def infer_ms(model, device: torch.device, iters: int) -> float:
    image = torch.rand(1, 3, H, W).to(device)
    model.eval()
    return median_ms(lambda: model.predict(image), max(iters, 1))


def op_figures() -> dict[str, float]:
    gen = torch.Generator().manual_seed(0)
    feat = torch.randn(1, 256, 200, 304, generator=gen)
    xy = torch.rand(1000, 2, generator=gen) * 700
    rois = torch.cat((torch.zeros(1000, 1), xy, xy + 16 + torch.rand(1000, 2, generator=gen) * 300), 1)
    small_feat, small = feat[:, :8], rois[:20]
    ours_small = median_ms(lambda: roi_align(small_feat, small, 7, 0.25, 2), 5)
    start = time.perf_counter()
    want = direct_roi_align(small_feat.double(), small.double(), 7, 0.25, 2)
    direct_small = (time.perf_counter() - start) * 1e3
    diff = float((roi_align(small_feat.double(), small.double(), 7, 0.25, 2) - want).abs().max())
    boxes, scores, _ = clustered_boxes(3000, 1)
    keep = nms(boxes, scores, 0.5)
    same = keep.tolist() == direct_nms(boxes.tolist(), scores.tolist(), 0.5)
    big = median_ms(lambda: roi_align(feat, rois, 7, 0.25), 5)
    return {"roi_align ms (1000 boxes, 256 ch, 200x304 map)": big,
            "roi_align ms (20 boxes, 8 ch): ours": ours_small,
            "roi_align ms (20 boxes, 8 ch): direct reference": direct_small,
            "roi_align max |ours - direct| (float64)": diff,
            "nms ms (3000 clustered boxes): ours": median_ms(lambda: nms(boxes, scores, 0.5), 10),
            "nms ms (3000 clustered boxes): direct reference": median_ms(
                lambda: direct_nms(boxes.tolist(), scores.tolist(), 0.5), 1),
            "nms keeps equal the direct reference's": str(same)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="resnet50")
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    cfg = ModelConfig(arch="faster_rcnn", backbone=args.backbone, neck="fpn", nc=80)
    model = build_detector(cfg).to(device)
    name = f"{args.backbone}-fpn"
    figures: dict = {f"{name} train s/iter (2 x {H}x{W})": train_seconds(model, device, args.iters),
                     f"{name} inference ms/image ({H}x{W})": infer_ms(model, device, args.iters)}
    figures.update(op_figures())
    print_figures("rcnn", figures)


if __name__ == "__main__":
    main()
