"""The one-stage detector: backbone -> neck -> head, each injected (DESIGN rule 2). The criterion
(assigner + losses) and the postprocess (decode + NMS) are separate callables."""

from __future__ import annotations

import torch
from torch import nn

# what validation passes to ``predict``: every (box, class) above 0.001 (mAP needs the low scores)
VAL_SETTINGS = {"conf": 0.001, "iou": 0.7, "max_det": 300}


class Detector(nn.Module):
    """``forward(images (B, 3, H, W) float RGB in [0, 1], H and W multiples of 32)`` -> list, one per
    stride in ``strides`` (ascending, e.g. (8, 16, 32)), of raw maps (B, 4 * reg_max + nc, H/s, W/s): DFL
    logits first (``view(B, 4, reg_max, h, w)``, ltrb distances in stride units), then class logits, then
    with a pose head (``num_keypoints`` K > 0) 3K raw keypoint values (``studio.models.heads.pose``).

    ``backbone(x) -> {stride: map}``, ``neck(feats) -> {stride: map}``, ``head(feats) -> list`` (the head
    has ``nc``, ``reg_max`` and ``strides``).
    """

    def __init__(self, backbone: nn.Module, neck: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.backbone, self.neck, self.head = backbone, neck, head
        self.nc: int = head.nc
        self.reg_max: int = head.reg_max
        self.strides: tuple[int, ...] = tuple(head.strides)
        self.num_keypoints: int = getattr(head, "num_keypoints", 0)
        self.val_settings = dict(VAL_SETTINGS)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        return self.head(self.neck(self.backbone(images)))

    @torch.no_grad()
    def predict(self, images: torch.Tensor, conf: float = 0.25, iou: float = 0.7,
                max_det: int = 300) -> list[torch.Tensor]:
        """Detections per image: (n, 6 + 3K) x1, y1, x2, y2, score, class index, then (pose) K keypoints
        (x, y, visibility), in input pixels (decode, then ``Postprocess``; multi-label as validation does
        when conf is below 0.01)."""
        from studio.models.postprocess import Postprocess, decode_outputs

        k = self.num_keypoints
        post = Postprocess(conf=conf, iou=iou, max_det=max_det, multi_label=conf < 0.01, extra=3 * k)
        return post(decode_outputs(self(images), self.strides, self.reg_max, k))

    def fuse(self) -> Detector:
        """Fold every BatchNorm into its conv and every RepVGG block into one 3x3 conv, in place; returns
        self. Eval-mode outputs stay the same (to float rounding); calling it again changes nothing.
        A fused model is for inference and export (it has no BN left to train)."""
        for module in list(self.modules()):  # fusing replaces children: iterate a snapshot
            if module is not self and callable(getattr(module, "fuse", None)):
                module.fuse()
        return self
