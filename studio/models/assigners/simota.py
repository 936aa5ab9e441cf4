"""SimOTA assigner (YOLOX, Ge et al. 2021): a cheap optimal-transport assignment where each gt takes its
``dynamic_k`` lowest-cost anchors, ``dynamic_k`` being the sum of its top IoUs with the predictions."""

from __future__ import annotations

import torch

from studio.models.assigners.assignment import Assignment, background, gather_targets
from studio.models.ops.boxes import bbox_iou, points_in_boxes

OUTSIDE_COST = 1e5  # added for an anchor not both inside the box and near its centre (as YOLOX)


class SimOTAAssigner:
    """Candidates of a gt: anchors inside its box or within ``center_radius * stride`` (per axis) of its
    centre. Cost = class BCE (predicted probabilities vs the gt's one-hot, summed over classes)
    + ``iou_weight`` * -log(IoU) + OUTSIDE_COST unless the anchor is both inside and near the centre. Each
    gt takes its k lowest-cost candidates, k = max(1, int(sum of its ``candidate_topk`` largest IoUs)); an
    anchor taken by several gts keeps the cheapest. Target score = one-hot * IoU of the prediction with its
    gt. Unlike YOLOX, a gt never takes anchors outside its own candidate region.

    ``__call__(pd_scores (B, A, C) sigmoid, pd_bboxes (B, A, 4) xyxy px, anc_points (A, 2) px, gt_labels
    (B, M, 1) int64, gt_bboxes (B, M, 4) xyxy px, mask_gt (B, M, 1) bool, anc_strides (A, 1) px)`` ->
    Assignment. ``anc_strides`` (the second output of ``make_anchors``) is required: the centre prior is
    measured in strides. Padded gts (mask_gt False) are ignored.
    """

    def __init__(self, num_classes: int, center_radius: float = 2.5, candidate_topk: int = 10,
                 iou_weight: float = 3.0, eps: float = 1e-8) -> None:
        self.num_classes, self.center_radius, self.candidate_topk = num_classes, center_radius, candidate_topk
        self.iou_weight, self.eps = iou_weight, eps

    @torch.no_grad()
    def __call__(self, pd_scores: torch.Tensor, pd_bboxes: torch.Tensor, anc_points: torch.Tensor,
                 gt_labels: torch.Tensor, gt_bboxes: torch.Tensor, mask_gt: torch.Tensor,
                 anc_strides: torch.Tensor | None = None) -> Assignment:
        if anc_strides is None:
            raise ValueError("SimOTAAssigner needs anc_strides (A, 1), the strides returned by make_anchors")
        b, a, _ = pd_scores.shape
        if gt_bboxes.shape[1] == 0:
            return background(b, a, self.num_classes, pd_bboxes)
        cand, both = self._priors(anc_points, anc_strides, gt_bboxes, mask_gt)
        ious = bbox_iou(gt_bboxes[:, :, None], pd_bboxes[:, None], kind="iou").clamp(min=0) * cand
        cost = (self._cls_cost(pd_scores, gt_labels) - self.iou_weight * torch.log(ious + self.eps)
                + OUTSIDE_COST * (~both)).masked_fill(~cand, float("inf"))
        matching = self._dynamic_k_matching(cost, ious, cand)
        fg = matching.any(1)
        gt_idx = cost.masked_fill(~matching, float("inf")).argmin(1)  # (B, A) cheapest gt per anchor
        quality = ious.gather(1, gt_idx[:, None]).squeeze(1)
        return gather_targets(gt_idx, fg, quality, gt_labels, gt_bboxes, self.num_classes)

    def _priors(self, points: torch.Tensor, strides: torch.Tensor, gt_bboxes: torch.Tensor,
                mask_gt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """-> (candidates (B, M, A) bool: in box or near centre, valid gts only; both (B, M, A) bool)."""
        in_box = points_in_boxes(points, gt_bboxes)
        centres = (gt_bboxes[..., :2] + gt_bboxes[..., 2:]) / 2  # (B, M, 2)
        radius = self.center_radius * strides  # (A, 1)
        in_ctr = ((points - centres[:, :, None]).abs() < radius).all(-1)
        valid = mask_gt.bool()
        return (in_box | in_ctr) & valid, in_box & in_ctr & valid

    def _cls_cost(self, pd_scores: torch.Tensor, gt_labels: torch.Tensor) -> torch.Tensor:
        """(B, A, C) probabilities, (B, M, 1) labels -> (B, M, A) BCE of the scores against each gt's
        one-hot, summed over classes: sum_c -log(1 - p_c) + (-log p_l + log(1 - p_l))."""
        p = pd_scores.float().clamp(self.eps, 1 - self.eps)
        neg = -torch.log1p(-p).sum(-1)  # (B, A)
        b, m = gt_labels.shape[:2]
        batch_idx = torch.arange(b, device=p.device)[:, None].expand(b, m)
        p_gt = p[batch_idx, :, gt_labels[..., 0].clamp(min=0)]  # (B, M, A)
        return neg[:, None] - torch.log(p_gt) + torch.log1p(-p_gt)

    def _dynamic_k_matching(self, cost: torch.Tensor, ious: torch.Tensor, cand: torch.Tensor) -> torch.Tensor:
        """-> (B, M, A) bool: each gt's dynamic_k cheapest candidates (k <= candidate_topk)."""
        k = min(self.candidate_topk, cost.shape[-1])
        dynamic_k = ious.topk(k, dim=-1).values.sum(-1).int().clamp(min=1)  # (B, M)
        cheapest = cost.topk(k, dim=-1, largest=False).indices  # (B, M, k), ascending cost
        rank = torch.arange(k, device=cost.device)
        take = (rank < dynamic_k[..., None]) & cand.gather(-1, cheapest)
        return torch.zeros_like(cand).scatter_(-1, cheapest, take)
