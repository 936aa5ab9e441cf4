"""Pose head (YOLO-Pose / YOLOv8-pose): the decoupled detection head plus, per level, a keypoint branch that
regresses K keypoints (x, y, visibility logit) at every anchor point."""

from __future__ import annotations

import torch
from torch import nn

from studio.models.heads.decoupled import DetectHead
from studio.models.layers import Conv


class PoseHead(DetectHead):
    """{stride: (B, C_s, h, w)} -> list, ascending stride, of (B, 4 * reg_max + nc + 3K, h, w): the
    DetectHead's channels, then K keypoints laid out (x, y, v) * K (``view(B, K, 3, h, w)`` after the first
    4 * reg_max + nc channels). x, y are raw offsets (``studio.models.ops.keypoints.decode_keypoints``), v a
    visibility logit.

    Keypoint branch: two 3x3 Convs of ``kpt_channels`` then a 1x1 conv to 3K. Default as YOLOv8-pose:
    kpt_channels = max(C_min // 4, 3K), C_min the finest level's channels.
    """

    def __init__(self, in_channels: dict[int, int], nc: int, num_keypoints: int, reg_max: int = 16, *,
                 kpt_channels: int | None = None, act: str = "silu", **head_options) -> None:
        super().__init__(in_channels, nc, reg_max, act=act, **head_options)
        if num_keypoints < 1:
            raise ValueError(f"a pose head needs at least one keypoint, got {num_keypoints}")
        self.num_keypoints = num_keypoints
        c_kpt = kpt_channels or max(in_channels[self.strides[0]] // 4, 3 * num_keypoints)
        self.kpt = nn.ModuleList(
            nn.Sequential(Conv(in_channels[s], c_kpt, 3, act=act), Conv(c_kpt, c_kpt, 3, act=act),
                          nn.Conv2d(c_kpt, 3 * num_keypoints, 1))
            for s in self.strides)

    def forward(self, feats: dict[int, torch.Tensor]) -> list[torch.Tensor]:
        boxes_classes = super().forward(feats)
        return [torch.cat((bc, kpt(feats[s])), 1)
                for bc, kpt, s in zip(boxes_classes, self.kpt, self.strides, strict=True)]
