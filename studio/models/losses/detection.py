"""The one-stage detection criterion: an injected assigner picks positive anchors, then CIoU + DFL on their
boxes and BCE on every anchor's class scores (as YOLOv8)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch.nn import functional as F

from studio.models.assigners.assignment import Assignment
from studio.models.losses.bbox import ciou_loss, dfl_loss
from studio.models.ops.anchors import make_anchors
from studio.models.ops.dfl import bbox2dist, dfl_decode, dist2bbox
from studio.models.postprocess import flatten_outputs

Assigner = Callable[..., Assignment]


def pad_rows(rows: torch.Tensor, batch_idx: torch.Tensor,
             batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """rows (N, D) of the images ``batch_idx`` (N,) -> (padded (B, M, D) zeros where unused, mask (B, M)
    bool), M the most rows of one image (0 when N is 0); each image's rows keep their order."""
    n, device = rows.shape[0], rows.device
    counts = torch.bincount(batch_idx, minlength=batch_size)
    m = int(counts.max()) if n else 0
    padded = torch.zeros(batch_size, m, *rows.shape[1:], dtype=rows.dtype, device=device)
    mask = torch.zeros(batch_size, m, dtype=torch.bool, device=device)
    if n:
        order = torch.sort(batch_idx, stable=True).indices
        image = batch_idx[order]
        slot = torch.arange(n, device=device) - (counts.cumsum(0) - counts)[image]
        padded[image, slot] = rows[order]
        mask[image, slot] = True
    return padded, mask


def pad_targets(targets: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """targets (N, 6 + E) [batch_idx, cls, x1, y1, x2, y2, ...] px -> (gt_labels (B, M, 1) int64,
    gt_bboxes (B, M, 4), mask_gt (B, M, 1) bool), M the most gts in one image (0 when N is 0); image order
    kept within each (``pad_rows``)."""
    padded, mask = pad_rows(targets[:, 1:6], targets[:, 0].long(), batch_size)
    return padded[..., :1].long(), padded[..., 1:5], mask[..., None]


class DetectionLoss:
    """``__call__(outputs, targets)`` -> (loss scalar, parts (3,) detached [box, cls, dfl]).

    outputs: list, one per stride in ``strides``, of raw maps (B, 4 * reg_max + nc + E, h, w) (DFL logits,
    class logits, then ``extra_channels`` E that a subclass's ``extra_parts`` takes, e.g. keypoints);
    targets: (N, 6 + T) [batch_idx, cls, x1, y1, x2, y2, ...] network-input px. ``assigner`` is
    called as TaskAlignedAssigner / SimOTAAssigner. Parts are the weighted per-image losses, each divided
    by the sum of the target scores (at least 1); ``loss = parts.sum() * B`` (the YOLOv8 convention, so its
    optimiser settings apply). Box and DFL terms are weighted per positive anchor by its target score;
    images without gts contribute class loss only.
    """

    def __init__(self, nc: int, reg_max: int, strides: Sequence[int], assigner: Assigner,
                 box: float = 7.5, cls: float = 0.5, dfl: float = 1.5) -> None:
        self.nc, self.reg_max, self.strides = nc, reg_max, tuple(strides)
        self.assigner = assigner
        self.gains = (box, cls, dfl)
        self.extra_channels = 0

    def __call__(self, outputs: Sequence[torch.Tensor],
                 targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        flat = flatten_outputs(outputs).float()  # (B, A, 4 * reg_max + nc + E)
        batch, r = flat.shape[0], self.reg_max
        end = flat.shape[-1] - self.extra_channels
        box_logits, cls_logits = flat[..., : 4 * r], flat[..., 4 * r : end]
        points, stride_t = (t.float() for t in make_anchors(outputs, self.strides))
        points_s = points / stride_t  # anchor points in stride units
        pred_boxes = dist2bbox(dfl_decode(box_logits, r), points_s)  # (B, A, 4) stride units
        gt_labels, gt_bboxes, mask_gt = pad_targets(targets.to(flat.device, torch.float32), batch)
        asg = self.assigner(cls_logits.detach().sigmoid(), pred_boxes.detach() * stride_t, points,
                            gt_labels, gt_bboxes, mask_gt, anc_strides=stride_t)
        score_sum = asg.target_scores.sum().clamp(min=1.0)
        loss_cls = F.binary_cross_entropy_with_logits(cls_logits, asg.target_scores, reduction="sum")
        fg = asg.fg_mask
        weight = asg.target_scores.sum(-1)[fg]  # (n_fg,)
        target_s = asg.target_bboxes / stride_t
        loss_box = ciou_loss(pred_boxes[fg], target_s[fg], weight)
        target_dist = bbox2dist(points_s, target_s, r)[fg]
        loss_dfl = (dfl_loss(box_logits[fg].view(-1, 4, r), target_dist) * weight).sum()
        raw = torch.stack((loss_box, loss_cls, loss_dfl)) / score_sum
        parts = raw * raw.new_tensor(self.gains)
        if self.extra_channels:
            targets = targets.to(flat.device, torch.float32)
            parts = torch.cat((parts, self.extra_parts(flat[..., end:], asg, points_s, stride_t, targets)))
        return parts.sum() * batch, parts.detach()

    def extra_parts(self, raw: torch.Tensor, asg: Assignment, points_s: torch.Tensor, stride_t: torch.Tensor,
                    targets: torch.Tensor) -> torch.Tensor:
        """Weighted loss parts of the ``extra_channels`` (B, A, E) after the class logits (none here)."""
        return raw.new_zeros(0)
