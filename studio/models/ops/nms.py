"""Exact greedy non-maximum suppression, vectorised (no Python loop per box), on CPU and CUDA.

Boxes are sorted by score (stable, so ties keep their input order), and ``S[i, j]`` says "box i, ranked
before j, overlaps j above the threshold". Greedy NMS keeps j iff no *kept* i < j has ``S[i, j]``; that
rule fixes the keep vector one rank at a time, so iterating ``keep = ~any_i(keep_i & S_ij)`` from all-kept
reaches exactly the greedy result (Cluster-NMS, Zheng et al. 2020); each pass costs one (N, N) reduction
and the number of passes is the length of the longest suppression chain (short for real detections).
Callers cap N (``Postprocess.max_nms``): memory is N^2.
"""

from __future__ import annotations

import torch

from studio.models.ops.boxes import box_iou


def _greedy_keep(suppresses: torch.Tensor) -> torch.Tensor:
    """(N, N) bool, strictly upper-triangular ``S[i, j]`` in score order -> (N,) bool greedy keep mask."""
    n = suppresses.shape[0]
    keep = torch.ones(n, dtype=torch.bool, device=suppresses.device)
    s = suppresses.to(torch.float32)
    for _ in range(n):  # at most n passes; one per rank in the worst case (a chain of overlaps)
        new_keep = (keep.to(torch.float32) @ s) == 0
        if torch.equal(new_keep, keep):
            break
        keep = new_keep
    return keep


def _nms_sorted(boxes: torch.Tensor, scores: torch.Tensor, iou_thr: float,
                classes: torch.Tensor | None) -> torch.Tensor:
    order = torch.sort(scores, descending=True, stable=True).indices
    sorted_boxes = boxes[order]
    suppresses = (box_iou(sorted_boxes, sorted_boxes) > iou_thr).triu_(diagonal=1)
    if classes is not None:
        sorted_classes = classes[order]
        suppresses &= sorted_classes[:, None] == sorted_classes[None, :]
    return order[_greedy_keep(suppresses)]


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_thr: float) -> torch.Tensor:
    """Greedy NMS: boxes (N, 4) xyxy, scores (N,) -> keep (K,) int64 indices into boxes, by descending
    score. A box is dropped when its IoU with a kept, higher-ranked box is > ``iou_thr``."""
    if boxes.shape[0] == 0:
        return torch.empty(0, dtype=torch.int64, device=boxes.device)
    return _nms_sorted(boxes, scores, iou_thr, None)


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, classes: torch.Tensor,
                iou_thr: float) -> torch.Tensor:
    """Greedy NMS within each class: boxes (N, 4) xyxy, scores (N,), classes (N,) int -> keep (K,) int64
    indices by descending score. Boxes of different classes never suppress each other: the overlap matrix
    is masked by class equality (the exact form of the class-offset trick, free of float rounding)."""
    if boxes.shape[0] == 0:
        return torch.empty(0, dtype=torch.int64, device=boxes.device)
    return _nms_sorted(boxes, scores, iou_thr, classes)
