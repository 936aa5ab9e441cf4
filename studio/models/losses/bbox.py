"""Box losses of the DFL head: CIoU on the decoded boxes and Distribution Focal Loss on the bin logits."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from studio.models.ops.boxes import bbox_iou


def ciou_loss(pred_bboxes: torch.Tensor, target_bboxes: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """pred (n, 4), target (n, 4) xyxy in the same units, weight (n,) -> scalar sum of (1 - CIoU) * weight
    (the caller divides by the total target score)."""
    iou = bbox_iou(pred_bboxes, target_bboxes, kind="ciou")
    return ((1.0 - iou) * weight).sum()


def dfl_loss(pred_logits: torch.Tensor, target_dist: torch.Tensor) -> torch.Tensor:
    """pred_logits (n, 4, reg_max), target_dist (n, 4) ltrb in stride units within [0, reg_max - 1) ->
    (n,) DFL per anchor, mean over the four sides: cross-entropy on the two bins around each target,
    weighted by how close the target is to each (Li et al. 2020)."""
    reg_max = pred_logits.shape[-1]
    left = target_dist.long()
    right = left + 1
    w_left = right.to(target_dist.dtype) - target_dist
    w_right = 1 - w_left
    logits = pred_logits.reshape(-1, reg_max)
    ce_left = F.cross_entropy(logits, left.reshape(-1), reduction="none").view(left.shape)
    ce_right = F.cross_entropy(logits, right.clamp(max=reg_max - 1).reshape(-1), reduction="none")
    return (ce_left * w_left + ce_right.view(left.shape) * w_right).mean(-1)
