"""What an assigner returns: per anchor, whether it is a positive and what it should predict."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Assignment:
    """Targets for B images of A anchors and C classes.

    target_labels: (B, A) int64 class index of the assigned gt; ``num_classes`` for background anchors.
    target_bboxes: (B, A, 4) float xyxy pixels of the assigned gt box; zeros for background anchors.
    target_scores: (B, A, C) float soft class targets (0 except at the label of a positive anchor, where it
        is the assigner's quality score in [0, 1]); the BCE target of the class branch.
    fg_mask: (B, A) bool, True for positive anchors.
    target_gt_idx: (B, A) int64 index of the assigned gt among the image's M padded gts (0 where not fg):
        what a pose loss gathers the gt keypoints with.
    """

    target_labels: torch.Tensor
    target_bboxes: torch.Tensor
    target_scores: torch.Tensor
    fg_mask: torch.Tensor
    target_gt_idx: torch.Tensor


def gather_targets(gt_idx: torch.Tensor, fg_mask: torch.Tensor, quality: torch.Tensor,
                   gt_labels: torch.Tensor, gt_bboxes: torch.Tensor, num_classes: int) -> Assignment:
    """Build an Assignment from a per-anchor choice of gt.

    gt_idx (B, A) int64 index into the M gts of the image (any value where not fg), fg_mask (B, A) bool,
    quality (B, A) float score target of each positive anchor, gt_labels (B, M, 1) int64, gt_bboxes
    (B, M, 4) xyxy px.
    """
    m = gt_bboxes.shape[1]
    idx = gt_idx.clamp(0, max(m - 1, 0))
    labels = gt_labels[..., 0].clamp(min=0).gather(1, idx)
    boxes = gt_bboxes.gather(1, idx[..., None].expand(-1, -1, 4))
    labels = torch.where(fg_mask, labels, torch.full_like(labels, num_classes))
    boxes = boxes * fg_mask[..., None]
    scores = torch.nn.functional.one_hot(labels, num_classes + 1)[..., :num_classes].to(quality.dtype)
    scores = scores * (quality * fg_mask)[..., None]
    return Assignment(labels, boxes, scores, fg_mask, idx * fg_mask)


def background(batch: int, anchors: int, num_classes: int, like: torch.Tensor) -> Assignment:
    """Every anchor background (no valid gt in the batch); tensors on ``like``'s device and dtype."""
    kw = {"device": like.device}
    return Assignment(
        torch.full((batch, anchors), num_classes, dtype=torch.int64, **kw),
        torch.zeros(batch, anchors, 4, dtype=like.dtype, **kw),
        torch.zeros(batch, anchors, num_classes, dtype=like.dtype, **kw),
        torch.zeros(batch, anchors, dtype=torch.bool, **kw),
        torch.zeros(batch, anchors, dtype=torch.int64, **kw),
    )
