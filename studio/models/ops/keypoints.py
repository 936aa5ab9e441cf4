"""Keypoint coding of the pose head (as YOLOv8-pose): a keypoint is an unbounded offset from the top-left
corner of its anchor point's cell, in units of two strides (a raw output of 0 is that corner)."""

from __future__ import annotations

import torch


def decode_keypoints(raw: torch.Tensor, points: torch.Tensor, strides: torch.Tensor) -> torch.Tensor:
    """raw (B, A, 3K) (x, y, visibility logit) * K; points (A, 2) anchor points (cell centres) and strides
    (A, 1), both in the units wanted (pixels, or stride units with strides = 1) -> (B, A, K, 3)
    [x, y, raw visibility logit]: x = (2 raw_x + ax / s - 0.5) * s, y likewise."""
    kpts = raw.unflatten(-1, (-1, 3))
    s = strides[:, None, :]  # (A, 1, 1)
    xy = kpts[..., :2] * 2.0 * s + (points[:, None, :] - 0.5 * s)
    return torch.cat((xy, kpts[..., 2:]), -1)


def encode_keypoints(kpts: torch.Tensor, points: torch.Tensor, strides: torch.Tensor) -> torch.Tensor:
    """The inverse of ``decode_keypoints`` for x, y: kpts (B, A, K, 3) [x, y, logit] -> raw (B, A, 3K)."""
    s = strides[:, None, :]
    raw_xy = (kpts[..., :2] - (points[:, None, :] - 0.5 * s)) / (2.0 * s)
    return torch.cat((raw_xy, kpts[..., 2:]), -1).flatten(-2)
