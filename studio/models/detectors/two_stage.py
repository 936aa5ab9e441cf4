"""The two-stage detector, Faster R-CNN with FPN (Ren et al. 2015; Lin et al. 2017): backbone -> neck
(P2-P5, plus P6 by stride-2 subsampling of P5) -> RPN proposals -> RoIAlign on P2-P5 -> box head.
Parts are injected (DESIGN rule 2); the RPN and box-head losses are ``studio.models.losses.rcnn``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.assigners.max_iou import match_max_iou, sample_balanced
from studio.models.detectors.proposals import select_proposals
from studio.models.detectors.rcnn_config import RCNNConfig
from studio.models.heads.roi_box import RoIBoxHead
from studio.models.heads.rpn import RPNHead
from studio.models.ops.anchor_boxes import base_anchors, grid_anchors
from studio.models.ops.box_coder import clip_boxes, decode, encode
from studio.models.ops.roi_align import multiscale_roi_align
from studio.models.postprocess_rcnn import RCNNPostprocess

ROI_STRIDES = (4, 8, 16, 32)  # P2-P5 feed RoIAlign; P6 (stride 64) only the RPN


class TwoStageDetector(nn.Module):
    """``forward(images (B, 3, H, W) RGB in [0, 1], H and W multiples of 32, targets=None)``.

    Training (``targets`` (N, 6) [batch index, class, x1, y1, x2, y2] input pixels, required): a dict
    of what the criterion needs: rpn_logits (B, A), rpn_deltas (B, A, 4), anchors (A, 4) xyxy,
    roi_logits (R, nc + 1), roi_deltas (R, nc + 1, 4), roi_labels (R,) int64 (0 background, c + 1 class
    c), roi_targets (R, 4) encoded gt boxes of the sampled proposals.

    Inference: (batch index (R,) int64, boxes (R, nc, 4) xyxy per class, scores (R, nc) softmax without
    the background column) for the R proposals of the whole batch; ``RCNNPostprocess`` turns them into
    detections, ``predict`` does both.
    """

    def __init__(self, backbone: nn.Module, neck: nn.Module, nc: int, cfg: RCNNConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or RCNNConfig()
        self.backbone, self.neck = backbone, neck
        channels = {neck.out_channels[s] for s in ROI_STRIDES}
        if len(channels) != 1:
            raise ValueError(f"the neck must give every level one channel count, got {neck.out_channels}")
        c = channels.pop()
        self.nc, self.strides = nc, (*ROI_STRIDES, 64)
        self.rpn = RPNHead(c, len(self.cfg.anchor_ratios))
        self.roi_head = RoIBoxHead(c, self.cfg.pool_size, nc, self.cfg.hidden)
        # what validation passes to ``predict``: the reference inference settings
        self.val_settings = {"conf": self.cfg.score_thresh, "iou": self.cfg.nms_iou,
                             "max_det": self.cfg.max_det}

    def features(self, images: torch.Tensor) -> list[torch.Tensor]:
        """P2 .. P6: (B, C, H/s, W/s) for s = 4, 8, 16, 32, 64."""
        feats = self.neck(self.backbone(images))
        maps = [feats[s] for s in ROI_STRIDES]
        return [*maps, F.max_pool2d(maps[-1], 1, 2)]

    def anchors(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        return [grid_anchors(f, s, base_anchors(size, self.cfg.anchor_ratios))
                for f, s, size in zip(feats, self.strides, self.cfg.anchor_sizes, strict=True)]

    def forward(self, images: torch.Tensor, targets: torch.Tensor | None = None):
        size = (int(images.shape[2]), int(images.shape[3]))
        feats = self.features(images)
        logits, deltas = self.rpn(feats)
        anchors = self.anchors(feats)
        pre = self.cfg.rpn_pre_nms_train if self.training else self.cfg.rpn_pre_nms_test
        proposals = select_proposals(anchors, logits, deltas, size, pre, self.cfg.rpn_post_nms,
                                     self.cfg.rpn_nms_iou)
        if self.training:
            if targets is None:
                raise ValueError("a training forward needs targets (N, 6)")
            rois, labels, reg = self.sample_rois(proposals, targets)
            roi_logits, roi_deltas = self.roi_head(multiscale_roi_align(feats[:4], ROI_STRIDES, rois))
            return {"rpn_logits": logits, "rpn_deltas": deltas, "anchors": torch.cat(anchors),
                    "roi_logits": roi_logits, "roi_deltas": roi_deltas, "roi_labels": labels,
                    "roi_targets": reg}
        rois = torch.cat([torch.cat((torch.full_like(p[:, :1], i), p), 1) for i, p in enumerate(proposals)])
        roi_logits, roi_deltas = self.roi_head(multiscale_roi_align(feats[:4], ROI_STRIDES, rois))
        boxes = clip_boxes(decode(roi_deltas, rois[:, 1:], self.cfg.box_weights), *size)
        scores = roi_logits.softmax(-1)
        return rois[:, 0].long(), boxes[:, 1:], scores[:, 1:]

    def sample_rois(self, proposals: list[torch.Tensor],
                    targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per image: the proposals plus the gt boxes, matched (IoU >= roi_fg_iou: object) and sampled
        (roi_per_image, roi_positive_fraction) -> rois (R, 5) [batch index, xyxy], labels (R,), encoded
        targets (R, 4) (zeros for background)."""
        cfg, rois, labels, regs = self.cfg, [], [], []
        for i, props in enumerate(proposals):
            gt = targets[targets[:, 0] == i]
            boxes = torch.cat((props, gt[:, 2:6].to(props.dtype)))
            matches = match_max_iou(gt[:, 2:6], boxes, cfg.roi_fg_iou, cfg.roi_fg_iou, low_quality=False)
            pos, neg = sample_balanced(matches, cfg.roi_per_image, cfg.roi_positive_fraction)
            keep = torch.cat((pos, neg))
            label = torch.zeros(keep.numel(), dtype=torch.int64, device=boxes.device)
            reg = torch.zeros((keep.numel(), 4), dtype=boxes.dtype, device=boxes.device)
            if pos.numel():
                matched = gt[matches[pos]]
                label[:pos.numel()] = matched[:, 1].long() + 1
                reg[:pos.numel()] = encode(matched[:, 2:6].to(boxes.dtype), boxes[pos], cfg.box_weights)
            rois.append(torch.cat((torch.full_like(boxes[keep][:, :1], i), boxes[keep]), 1))
            labels.append(label)
            regs.append(reg)
        return torch.cat(rois), torch.cat(labels), torch.cat(regs)

    def fuse(self) -> TwoStageDetector:
        """Fold the BatchNorms of the blocks that can (the YOLO-style Conv blocks of the neck) in place;
        returns self. Eval-mode outputs stay the same."""
        for module in list(self.modules()):
            if module is not self and callable(getattr(module, "fuse", None)):
                module.fuse()
        return self

    @torch.no_grad()
    def predict(self, images: torch.Tensor, conf: float = 0.05, iou: float = 0.5,
                max_det: int = 100) -> list[torch.Tensor]:
        """Detections per image: (n, 6) x1, y1, x2, y2, score, class index, in input pixels."""
        return RCNNPostprocess(conf, iou, max_det)(*self(images), images.shape[0])
