"""From raw head outputs to detections: flatten, decode (boxes + class scores), then confidence filter and
NMS. ``decode_outputs`` is part of the exported ONNX graph; ``Postprocess`` runs after it (torch side)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from studio.models.ops.anchors import make_anchors
from studio.models.ops.dfl import dfl_decode, dist2bbox
from studio.models.ops.keypoints import decode_keypoints
from studio.models.ops.nms import batched_nms, nms


def flatten_outputs(outputs: Sequence[torch.Tensor]) -> torch.Tensor:
    """list of (B, C, h_i, w_i), ascending stride -> (B, A, C), A = sum(h_i * w_i), anchors ordered as
    ``make_anchors`` (stride-major, then row-major); C = 4 * reg_max + nc."""
    return torch.cat([o.flatten(2) for o in outputs], 2).permute(0, 2, 1)


def decode_outputs(outputs: Sequence[torch.Tensor], strides: Sequence[int], reg_max: int,
                   num_keypoints: int = 0) -> torch.Tensor:
    """Raw maps (B, 4 * reg_max + nc + 3K, h_i, w_i) per stride -> (B, A, 4 + nc + 3K): xyxy boxes in pixels
    of the network input, sigmoid class scores, then (pose heads, K > 0) K keypoints (x, y pixels, sigmoid
    visibility). Torch ops only, no branching on values: ONNX-exportable with dynamic batch and spatial
    sizes."""
    flat = flatten_outputs(outputs)
    points, stride_t = make_anchors(outputs, strides)
    dist = dfl_decode(flat[..., : 4 * reg_max], reg_max) * stride_t
    boxes = dist2bbox(dist, points)
    end = flat.shape[-1] - 3 * num_keypoints
    parts = [boxes, flat[..., 4 * reg_max : end].sigmoid()]
    if num_keypoints:
        kpts = decode_keypoints(flat[..., end:], points, stride_t)
        parts.append(torch.cat((kpts[..., :2], kpts[..., 2:].sigmoid()), -1).flatten(-2))
    return torch.cat(parts, -1)


@dataclass(frozen=True)
class Postprocess:
    """``__call__(decoded (B, A, 4 + nc + extra))`` -> list of B tensors (n, 6 + extra): x1, y1, x2, y2
    (input px), score, class index (float), then the ``extra`` columns of the kept anchor (a pose model's
    3K keypoint values), by descending score."""

    conf: float = 0.25  # keep (box, class) pairs whose score is > conf (validation uses 0.001)
    iou: float = 0.7  # NMS IoU threshold
    max_det: int = 300  # detections kept per image after NMS
    max_nms: int = 3000  # candidates entering NMS per image (highest scores)
    multi_label: bool = False  # True: every class above conf is a candidate; False: only the best class
    agnostic: bool = False  # True: NMS across classes; False: boxes of different classes never suppress
    extra: int = 0  # trailing columns carried along to the detections (a pose model's 3K keypoint values)

    def __call__(self, decoded: torch.Tensor) -> list[torch.Tensor]:
        return [self.single(d) for d in decoded]

    def single(self, decoded: torch.Tensor) -> torch.Tensor:
        """One image: (A, 4 + nc + extra) -> (n, 6 + extra)."""
        end = decoded.shape[1] - self.extra
        boxes, scores, extra = decoded[:, :4], decoded[:, 4:end], decoded[:, end:]
        if self.multi_label:
            idx, cls = (scores > self.conf).nonzero(as_tuple=True)
            score = scores[idx, cls]
        else:
            score, cls = scores.max(1)
            idx = (score > self.conf).nonzero(as_tuple=True)[0]
            score, cls = score[idx], cls[idx]
        if score.numel() > self.max_nms:  # cap before gathering boxes (conf 0.001 passes ~all of A * nc)
            top = score.topk(self.max_nms).indices
            idx, score, cls = idx[top], score[top], cls[top]
        boxes = boxes[idx]
        keep = nms(boxes, score, self.iou) if self.agnostic else batched_nms(boxes, score, cls, self.iou)
        keep = keep[: self.max_det]
        kept = (boxes[keep], score[keep, None], cls[keep, None].to(boxes.dtype), extra[idx[keep]])
        return torch.cat(kept, 1)
