"""Exact greedy non-maximum suppression, vectorised (no Python loop per box), on CPU and CUDA.

Boxes are ranked by score (stable, so ties keep their input order). For ``batched_nms`` they are then
grouped class-major (rank order inside a class), so each class is one contiguous run and only pairs
inside a run are compared. The pairs i < j of one run whose IoU is above the threshold are the
suppression edges i -> j. Greedy NMS keeps j iff no *kept* i has an edge to j; that rule fixes the keep
vector one rank at a time, so iterating ``keep[j] = not any(keep[i] for edges i -> j)`` from all-kept
reaches exactly the greedy result (Cluster-NMS, Zheng et al. 2020); each pass is one sweep over the edges
and the number of passes is the length of the longest suppression chain (short for real detections).

The IoUs are computed ``ROWS`` boxes at a time against the boxes from the block's first one to the end of
its last one's run: about sum(n_c^2) / 2 IoUs for long runs (N^2 / 2 for ``nms``), ROWS * (ROWS + n_c) per
block for short ones, in small cache-friendly blocks. Callers still cap N (``Postprocess.max_nms``).
"""

from __future__ import annotations

import torch

from studio.models.ops.boxes import box_area

ROWS = 256  # boxes per IoU block (ROWS x at most N IoUs; fastest on CPU of 64..1024 for N = 3000)


def _block_iou(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Pairwise IoU: a (R, 4), b (W, 4) xyxy -> (R, W). The arithmetic of ``box_iou`` (its values
    bit-for-bit), with x and y kept apart so the temporaries are (R, W), not (R, W, 2)."""
    iw = torch.minimum(a[:, None, 2], b[None, :, 2]) - torch.maximum(a[:, None, 0], b[None, :, 0])
    ih = torch.minimum(a[:, None, 3], b[None, :, 3]) - torch.maximum(a[:, None, 1], b[None, :, 1])
    inter = iw.clamp_(min=0).mul_(ih.clamp_(min=0))
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return inter.div_(union.add_(eps))


def _edges(boxes: torch.Tensor, run_end: torch.Tensor, iou_thr: float) -> tuple[torch.Tensor, torch.Tensor]:
    """boxes (N, 4) xyxy, grouped in contiguous runs, rank order inside a run; run_end (N,) int64,
    non-decreasing: the (exclusive) end of the run holding box i -> (src, dst) int64 (E,): every pair
    src < dst of one run whose IoU is > ``iou_thr``, src ascending."""
    n, device = boxes.shape[0], boxes.device
    starts = range(0, n, ROWS)
    stops = [min(a + ROWS, n) for a in starts]
    column_ends = run_end[[b - 1 for b in stops]].tolist()  # one host sync for all blocks
    src, dst = [torch.empty(0, dtype=torch.int64, device=device)], [torch.empty(0, dtype=torch.int64,
                                                                                device=device)]
    for a, b, hi in zip(starts, stops, column_ends, strict=True):
        rows = torch.arange(a, b, device=device)[:, None]
        cols = torch.arange(a, hi, device=device)[None, :]
        hit = (_block_iou(boxes[a:b], boxes[a:hi]) > iou_thr) & (cols > rows) & (cols < run_end[a:b, None])
        r, c = hit.nonzero(as_tuple=True)
        src.append(r + a)
        dst.append(c + a)
    return torch.cat(src), torch.cat(dst)


def _greedy_keep(n: int, src: torch.Tensor, dst: torch.Tensor) -> torch.Tensor:
    """Suppression edges src -> dst (src ranked before dst) over n boxes -> (n,) bool greedy keep mask."""
    keep = torch.ones(n, dtype=torch.bool, device=src.device)
    for _ in range(n):  # at most n passes; one per rank in the worst case (a chain of overlaps)
        new_keep = torch.ones_like(keep)
        new_keep[dst[keep[src]]] = False
        if torch.equal(new_keep, keep):
            break
        keep = new_keep
    return keep


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_thr: float) -> torch.Tensor:
    """Greedy NMS: boxes (N, 4) xyxy, scores (N,) -> keep (K,) int64 indices into boxes, by descending
    score. A box is dropped when its IoU with a kept, higher-ranked box is > ``iou_thr``."""
    n = boxes.shape[0]
    if n == 0:
        return torch.empty(0, dtype=torch.int64, device=boxes.device)
    order = torch.sort(scores, descending=True, stable=True).indices
    run_end = torch.full((n,), n, dtype=torch.int64, device=boxes.device)
    return order[_greedy_keep(n, *_edges(boxes[order], run_end, iou_thr))]


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, classes: torch.Tensor,
                iou_thr: float) -> torch.Tensor:
    """Greedy NMS within each class: boxes (N, 4) xyxy, scores (N,), classes (N,) int -> keep (K,) int64
    indices by descending score. Boxes of different classes are never compared (exact, unlike the
    class-offset trick, and about sum(n_c^2) work instead of N^2)."""
    n = boxes.shape[0]
    if n == 0:
        return torch.empty(0, dtype=torch.int64, device=boxes.device)
    order = torch.sort(scores, descending=True, stable=True).indices
    by_class = torch.sort(classes[order], stable=True).indices  # class-major, rank order inside a class
    ranked = order[by_class]
    ranked_classes = classes[ranked].contiguous()
    run_end = torch.searchsorted(ranked_classes, ranked_classes, right=True)
    keep = _greedy_keep(n, *_edges(boxes[ranked], run_end, iou_thr))
    keep_by_rank = torch.empty_like(keep)
    keep_by_rank[by_class] = keep
    return order[keep_by_rank]
