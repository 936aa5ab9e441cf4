"""From RPN outputs to proposals (Ren et al. 2015, with FPN as Lin et al. 2017): per level the top
anchors by objectness, decoded, clipped, small ones dropped, NMS within each level, the best kept."""

from __future__ import annotations

import torch

from studio.models.ops.box_coder import clip_boxes, decode
from studio.models.ops.nms_export import exportable_batched_nms

RPN_WEIGHTS = (1.0, 1.0, 1.0, 1.0)
MIN_SIZE = 1e-3


def select_proposals(anchors: list[torch.Tensor], logits: torch.Tensor, deltas: torch.Tensor,
                     size: tuple[int, int], pre_nms: int, post_nms: int,
                     nms_iou: float) -> list[torch.Tensor]:
    """anchors: (N_l, 4) xyxy per level; logits (B, N), deltas (B, N, 4) for N = sum N_l anchors in level
    order; size (H, W) of the input -> per image (R_i, 4) xyxy proposals (R_i <= post_nms), best first.
    Detached: no gradient flows from the box head into the RPN through the proposals (as torchvision)."""
    logits, deltas = logits.detach(), deltas.detach()
    out = []
    for i in range(logits.shape[0]):
        boxes, scores, levels, start = [], [], [], 0
        for level, anchor in enumerate(anchors):
            n = anchor.shape[0]
            top = logits[i, start:start + n].topk(min(pre_nms, n)).indices
            boxes.append(decode(deltas[i, start:start + n][top], anchor[top], RPN_WEIGHTS))
            scores.append(logits[i, start:start + n][top])
            levels.append(torch.full_like(top, level))
            start += n
        box = clip_boxes(torch.cat(boxes), *size)
        score, level = torch.cat(scores).sigmoid(), torch.cat(levels)
        wh = box[:, 2:] - box[:, :2]
        keep = torch.nonzero((wh[:, 0] >= MIN_SIZE) & (wh[:, 1] >= MIN_SIZE)).reshape(-1)
        box, score, level = box[keep], score[keep], level[keep]
        keep = exportable_batched_nms(box, score, level, nms_iou)[:post_nms]
        out.append(box[keep])
    return out
