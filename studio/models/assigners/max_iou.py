"""The R-CNN assigners: each anchor or proposal goes to the ground-truth box it overlaps most, labelled
foreground / background / ignored by IoU thresholds (Ren et al. 2015), then a balanced random subset is
sampled for the loss (torchvision's ``Matcher`` and ``BalancedPositiveNegativeSampler``)."""

from __future__ import annotations

import torch

from studio.models.ops.boxes import box_iou

BACKGROUND, IGNORE = -1, -2


def match_max_iou(gt: torch.Tensor, boxes: torch.Tensor, fg_iou: float, bg_iou: float,
                  low_quality: bool) -> torch.Tensor:
    """gt (G, 4), boxes (N, 4) xyxy -> (N,) int64: the index of the matched gt box, or BACKGROUND (best IoU
    < ``bg_iou``) or IGNORE (between ``bg_iou`` and ``fg_iou``). ``low_quality``: every gt box also gets
    the boxes whose IoU with it equals its best IoU, whatever the thresholds (so no gt box is left
    without an anchor)."""
    if gt.shape[0] == 0:
        return torch.full((boxes.shape[0],), BACKGROUND, dtype=torch.int64, device=boxes.device)
    iou = box_iou(gt, boxes)  # (G, N)
    best, matches = iou.max(0)
    out = matches.clone()
    out[best < bg_iou] = BACKGROUND
    out[(best >= bg_iou) & (best < fg_iou)] = IGNORE
    if low_quality:
        best_per_gt = iou.max(1, keepdim=True).values
        hits = torch.nonzero((iou == best_per_gt) & (best_per_gt > 0))[:, 1]
        out[hits] = matches[hits]
    return out


def sample_balanced(matches: torch.Tensor, per_image: int, positive_fraction: float,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """matches (N,) from ``match_max_iou`` -> (positive indices, negative indices): at most
    ``per_image * positive_fraction`` foreground boxes drawn at random, then background boxes to fill
    ``per_image``. Ignored boxes are never drawn."""
    positive = torch.nonzero(matches >= 0).reshape(-1)
    negative = torch.nonzero(matches == BACKGROUND).reshape(-1)
    n_pos = min(positive.numel(), int(per_image * positive_fraction))
    n_neg = min(negative.numel(), per_image - n_pos)
    pick_pos = torch.randperm(positive.numel(), generator=generator, device="cpu")[:n_pos]
    pick_neg = torch.randperm(negative.numel(), generator=generator, device="cpu")[:n_neg]
    return positive[pick_pos.to(positive.device)], negative[pick_neg.to(negative.device)]
