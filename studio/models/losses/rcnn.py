"""The Faster R-CNN losses (Ren et al. 2015): RPN objectness BCE + smooth L1 on the deltas of sampled
anchors; box head cross-entropy + smooth L1 on the deltas of the true class (beta 1/9, normalised as
torchvision does)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from studio.models.assigners.max_iou import match_max_iou, sample_balanced
from studio.models.detectors.proposals import RPN_WEIGHTS
from studio.models.detectors.rcnn_config import RCNNConfig
from studio.models.ops.box_coder import encode

BETA = 1.0 / 9
Outputs = dict[str, torch.Tensor]
Pair = tuple[torch.Tensor, torch.Tensor]
PART_NAMES = ("rpn_cls", "rpn_box", "cls", "box")


class RCNNLoss:
    """``(outputs of a training forward, targets (N, 6)) -> (loss, parts (4,) detached)``: parts in the
    order of PART_NAMES; loss is their sum."""

    def __init__(self, cfg: RCNNConfig | None = None) -> None:
        self.cfg = cfg or RCNNConfig()

    def __call__(self, out: Outputs, targets: torch.Tensor) -> Pair:
        rpn_cls, rpn_box = self.rpn_losses(out, targets)
        labels = out["roi_labels"]
        cls = F.cross_entropy(out["roi_logits"].float(), labels)
        pos = torch.nonzero(labels > 0).reshape(-1)
        deltas = out["roi_deltas"].float()[pos, labels[pos]]
        box = F.smooth_l1_loss(deltas, out["roi_targets"][pos].float(), beta=BETA, reduction="sum")
        box = box / max(labels.numel(), 1)
        parts = torch.stack((rpn_cls, rpn_box, cls, box))
        return parts.sum(), parts.detach()

    def rpn_losses(self, out: Outputs, targets: torch.Tensor) -> Pair:
        cfg, anchors = self.cfg, out["anchors"]
        logits, deltas = out["rpn_logits"].float(), out["rpn_deltas"].float()
        picked, labels, box_pred, box_true = [], [], [], []
        for i in range(logits.shape[0]):
            gt = targets[targets[:, 0] == i, 2:6].to(anchors.dtype)
            matches = match_max_iou(gt, anchors, cfg.rpn_fg_iou, cfg.rpn_bg_iou, low_quality=True)
            pos, neg = sample_balanced(matches, cfg.rpn_per_image, cfg.rpn_positive_fraction)
            picked.append(logits[i, torch.cat((pos, neg))])
            labels.append(torch.cat((torch.ones_like(pos), torch.zeros_like(neg))).to(logits.dtype))
            box_pred.append(deltas[i, pos])
            box_true.append(encode(gt[matches[pos]], anchors[pos], RPN_WEIGHTS).float())
        picked, labels = torch.cat(picked), torch.cat(labels)
        cls = F.binary_cross_entropy_with_logits(picked, labels)
        box = F.smooth_l1_loss(torch.cat(box_pred), torch.cat(box_true), beta=BETA, reduction="sum")
        return cls, box / max(picked.numel(), 1)
