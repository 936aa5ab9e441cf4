"""NMS inside a model that exports: the torch forward is ``studio.models.ops.nms.nms``; the ONNX graph gets
the standard NonMaxSuppression operator (same rule: drop IoU > threshold, keep by descending score)."""

from __future__ import annotations

import torch

from studio.models.ops.nms import batched_nms


class _ExportableNMS(torch.autograd.Function):
    """forward: exact per-group NMS in torch. ONNX: the boxes come in shifted apart per group (the
    caller's ``shifted``), so one NonMaxSuppression over them gives the same keeps."""

    @staticmethod
    def forward(ctx, boxes: torch.Tensor, shifted: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor,
                iou_thr: float) -> torch.Tensor:
        # under torch.onnx.export the symbolic below replaces this; run it untraced (its shapes are data)
        state = torch._C._get_tracing_state()
        torch._C._set_tracing_state(None)
        try:
            return batched_nms(boxes, scores, groups, iou_thr)
        finally:
            torch._C._set_tracing_state(state)

    @staticmethod
    def symbolic(g, boxes, shifted, scores, groups, iou_thr):  # pragma: no cover - only inside onnx export
        boxes = shifted
        boxes3 = g.op("Unsqueeze", boxes, g.op("Constant", value_t=torch.tensor([0])))
        scores3 = g.op("Unsqueeze", scores, g.op("Constant", value_t=torch.tensor([0, 1])))
        max_out = g.op("Constant", value_t=torch.tensor([2**31 - 1], dtype=torch.long))
        iou = g.op("Constant", value_t=torch.tensor([iou_thr], dtype=torch.float))
        selected = g.op("NonMaxSuppression", boxes3, scores3, max_out, iou)
        column = g.op("Gather", selected, g.op("Constant", value_t=torch.tensor([2])), axis_i=1)
        return g.op("Squeeze", column, g.op("Constant", value_t=torch.tensor([1])))


def exportable_batched_nms(boxes: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor,
                           iou_thr: float) -> torch.Tensor:
    """NMS within each group: boxes (N, 4) xyxy, scores (N,), groups (N,) int -> keep (K,) int64 by
    descending score. In torch it is ``batched_nms`` (exact); in ONNX the groups are kept apart by shifting
    each group's boxes beyond all others (the class-offset trick) and one NonMaxSuppression does it."""
    if boxes.shape[0] == 0:
        return torch.empty(0, dtype=torch.int64, device=boxes.device)
    offsets = groups.to(boxes.dtype) * (boxes.max() + 1)
    return _ExportableNMS.apply(boxes, boxes + offsets[:, None], scores, groups, float(iou_thr))
