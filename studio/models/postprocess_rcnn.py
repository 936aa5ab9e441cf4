"""Detections from the two-stage detector's inference outputs: per-class boxes and scores of every
proposal -> score threshold, small boxes dropped, NMS within each class, the best ``max_det`` kept."""

from __future__ import annotations

import torch

from studio.models.ops.nms import batched_nms

MIN_SIZE = 1e-2


class RCNNPostprocess:
    def __init__(self, conf: float = 0.05, iou: float = 0.5, max_det: int = 100) -> None:
        self.conf, self.iou, self.max_det = conf, iou, max_det

    def __call__(self, batch_index: torch.Tensor, boxes: torch.Tensor, scores: torch.Tensor,
                 batch_size: int) -> list[torch.Tensor]:
        """batch_index (R,), boxes (R, nc, 4) xyxy, scores (R, nc) -> per image (n, 6) x1, y1, x2, y2,
        score, class index (float), best first."""
        nc = scores.shape[1]
        classes = torch.arange(nc, device=scores.device).expand_as(scores)
        out = []
        for i in range(batch_size):
            mine = batch_index == i
            b, s, c = boxes[mine].reshape(-1, 4), scores[mine].reshape(-1), classes[mine].reshape(-1)
            wh = b[:, 2:] - b[:, :2]
            keep = (s >= self.conf) & (wh[:, 0] >= MIN_SIZE) & (wh[:, 1] >= MIN_SIZE)
            b, s, c = b[keep], s[keep], c[keep]
            keep = batched_nms(b, s, c, self.iou)[: self.max_det]
            out.append(torch.cat((b[keep], s[keep, None], c[keep, None].to(b.dtype)), 1))
        return out
