"""Task-aligned assigner (TOOD, Feng et al. 2021; as YOLOv8): positives are the anchors whose prediction is
good at both classifying and localising a gt, and their class targets are soft (alignment-normalised)."""

from __future__ import annotations

import torch

from studio.models.assigners.assignment import Assignment, background, gather_targets
from studio.models.ops.boxes import bbox_iou, points_in_boxes


class TaskAlignedAssigner:
    """For each gt, among the anchors whose point lies inside it, the ``topk`` with the highest alignment
    ``t = score^alpha * IoU^beta`` (score: predicted probability of the gt's class; IoU: CIoU of the
    predicted box with the gt, clamped at 0, as YOLOv8) are positive. An anchor positive for several gts
    keeps the one it overlaps most. Target score of a positive = t / max_t(gt) * max_IoU(gt), the maxima
    over that gt's positives.

    ``__call__(pd_scores (B, A, C) sigmoid, pd_bboxes (B, A, 4) xyxy px, anc_points (A, 2) px, gt_labels
    (B, M, 1) int64, gt_bboxes (B, M, 4) xyxy px, mask_gt (B, M, 1) bool, anc_strides=None)`` -> Assignment.
    Padded gts (mask_gt False) are ignored; ``anc_strides`` (A, 1) is accepted for a common signature with
    SimOTA and unused.
    """

    def __init__(self, num_classes: int, topk: int = 10, alpha: float = 0.5, beta: float = 6.0,
                 eps: float = 1e-9) -> None:
        self.num_classes, self.topk, self.alpha, self.beta, self.eps = num_classes, topk, alpha, beta, eps

    @torch.no_grad()
    def __call__(self, pd_scores: torch.Tensor, pd_bboxes: torch.Tensor, anc_points: torch.Tensor,
                 gt_labels: torch.Tensor, gt_bboxes: torch.Tensor, mask_gt: torch.Tensor,
                 anc_strides: torch.Tensor | None = None) -> Assignment:
        b, a, _ = pd_scores.shape
        if gt_bboxes.shape[1] == 0:
            return background(b, a, self.num_classes, pd_bboxes)
        in_gts = points_in_boxes(anc_points, gt_bboxes) & mask_gt.bool()  # (B, M, A)
        align, overlaps = self._metrics(pd_scores, pd_bboxes, gt_labels, gt_bboxes, in_gts)
        mask_pos = self._topk(align, in_gts)
        gt_idx, fg, mask_pos = keep_highest_overlap(mask_pos, overlaps)
        align = align * mask_pos
        pos_align = align.amax(-1, keepdim=True)  # (B, M, 1) best alignment of each gt's positives
        pos_overlap = (overlaps * mask_pos).amax(-1, keepdim=True)
        quality = (align * pos_overlap / (pos_align + self.eps)).amax(1)  # (B, A)
        return gather_targets(gt_idx, fg, quality, gt_labels, gt_bboxes, self.num_classes)

    def _metrics(self, pd_scores: torch.Tensor, pd_bboxes: torch.Tensor, gt_labels: torch.Tensor,
                 gt_bboxes: torch.Tensor, in_gts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """-> (alignment (B, M, A), CIoU overlaps (B, M, A)), both 0 outside ``in_gts``."""
        b, m, a = in_gts.shape
        batch_idx = torch.arange(b, device=pd_scores.device)[:, None].expand(b, m)
        scores = pd_scores[batch_idx, :, gt_labels[..., 0].clamp(min=0)]  # (B, M, A)
        overlaps = torch.zeros(b, m, a, dtype=pd_bboxes.dtype, device=pd_bboxes.device)
        pd = pd_bboxes[:, None].expand(b, m, a, 4)[in_gts]
        gt = gt_bboxes[:, :, None].expand(b, m, a, 4)[in_gts]
        overlaps[in_gts] = bbox_iou(gt, pd, kind="ciou").clamp(min=0).to(overlaps.dtype)
        scores = scores * in_gts
        return scores.pow(self.alpha) * overlaps.pow(self.beta), overlaps

    def _topk(self, align: torch.Tensor, in_gts: torch.Tensor) -> torch.Tensor:
        """(B, M, A) -> (B, M, A) bool: the topk anchors of each gt by alignment, among those inside it."""
        k = min(self.topk, align.shape[-1])
        idx = align.masked_fill(~in_gts, -1.0).topk(k, dim=-1).indices
        picked = torch.zeros_like(in_gts).scatter_(-1, idx, True)
        return picked & in_gts


def keep_highest_overlap(mask_pos: torch.Tensor,
                         overlaps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """mask_pos (B, M, A) bool, overlaps (B, M, A) -> (gt_idx (B, A) int64, fg_mask (B, A) bool, mask_pos
    (B, M, A) with one gt per positive anchor: the one of highest overlap among those it was positive for)."""
    fg = mask_pos.any(1)
    gt_idx = overlaps.masked_fill(~mask_pos, -1.0).argmax(1)
    one = torch.nn.functional.one_hot(gt_idx, mask_pos.shape[1]).permute(0, 2, 1).bool()
    return gt_idx, fg, one & fg[:, None]
