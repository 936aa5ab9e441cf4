"""The pose criterion of YOLO-Pose (Maji et al. 2022) as YOLOv8-pose weighs it: the detection criterion, plus
on every positive anchor the OKS loss of the keypoints of its assigned object and BCE on their visibility."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.nn import functional as F

from studio.models.assigners.assignment import Assignment
from studio.models.losses.detection import Assigner, DetectionLoss, pad_rows
from studio.models.ops.keypoints import decode_keypoints


def oks_loss(pred: torch.Tensor, gt: torch.Tensor, area: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """pred (n, K, 2+) and gt (n, K, 3) [x, y, v] in one unit, area (n,) box area in that unit squared,
    sigmas (K,) -> scalar: the mean over objects and keypoints of (1 - OKS_k) on labeled keypoints (v > 0),
    each object's sum scaled by K / its labeled count (YOLOv8-pose's KeypointLoss).

    OKS_k = exp(-d_k^2 / (2 s^2 k^2)) with s^2 = area and k = 2 sigma (COCOeval's computeOks).
    """
    labeled = (gt[..., 2] > 0).to(pred.dtype)
    d2 = (pred[..., 0] - gt[..., 0]).pow(2) + (pred[..., 1] - gt[..., 1]).pow(2)
    e = d2 / ((2 * sigmas).pow(2) * (area[:, None] + 1e-9) * 2)
    factor = labeled.shape[1] / (labeled.sum(1, keepdim=True) + 1e-9)
    return (factor * (1 - torch.exp(-e)) * labeled).mean()


class PoseLoss(DetectionLoss):
    """``__call__(outputs, targets)`` -> (loss, parts (5,) [box, cls, dfl, pose, kobj]).

    outputs: raw maps (B, 4 * reg_max + nc + 3K, h, w); targets (N, 6 + 3K) [batch_idx, cls, x1, y1, x2, y2,
    x_1, y_1, v_1, ...] network-input px. The pose terms, on the positive anchors of the assigner: ``pose``
    (gain 12) the OKS loss of the decoded keypoints against the assigned object's, in stride units with
    s^2 its box area; ``kobj`` (gain 1) BCE of the visibility logits against "labeled" (v > 0). Both are
    means (not divided by the target-score sum), as in YOLOv8-pose. v = 0 keypoints add nothing to the OKS
    term and are negatives for kobj.
    """

    def __init__(self, nc: int, reg_max: int, strides: Sequence[int], assigner: Assigner,
                 sigmas: Sequence[float], pose: float = 12.0, kobj: float = 1.0, **gains: float) -> None:
        super().__init__(nc, reg_max, strides, assigner, **gains)
        self.sigmas = torch.as_tensor(sigmas, dtype=torch.float32)
        self.num_keypoints = len(self.sigmas)
        self.extra_channels = 3 * self.num_keypoints
        self.pose_gains = (pose, kobj)

    def extra_parts(self, raw: torch.Tensor, asg: Assignment, points_s: torch.Tensor, stride_t: torch.Tensor,
                    targets: torch.Tensor) -> torch.Tensor:
        fg = asg.fg_mask
        zero = raw.sum() * 0.0  # keeps the graph (and DDP's used-parameter check) when nothing is positive
        if not fg.any():
            return torch.stack((zero, zero))
        k = self.num_keypoints
        gt_kpts, _ = pad_rows(targets[:, 6:].reshape(-1, k, 3), targets[:, 0].long(), raw.shape[0])
        idx = asg.target_gt_idx[..., None, None].expand(-1, -1, k, 3)
        assigned = gt_kpts.gather(1, idx)[fg]  # (n_fg, K, 3) px
        strides = stride_t.expand(fg.shape[0], -1, -1)[fg]  # (n_fg, 1)
        gt_s = torch.cat((assigned[..., :2] / strides[:, None], assigned[..., 2:]), -1)
        pred = decode_keypoints(raw, points_s, torch.ones_like(stride_t))[fg]  # (n_fg, K, 3) stride units
        boxes = asg.target_bboxes[fg] / strides
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        pose = oks_loss(pred, gt_s, area, self.sigmas.to(raw.device))
        kobj = F.binary_cross_entropy_with_logits(pred[..., 2], (gt_s[..., 2] > 0).to(pred.dtype))
        return torch.stack((pose, kobj)) * raw.new_tensor(self.pose_gains)
