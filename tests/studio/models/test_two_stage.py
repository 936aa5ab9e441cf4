"""The two-stage detector's forward contract with every neck, its losses, and its ONNX export."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from studio.export.onnx_rcnn import check_rcnn_parity, export_rcnn_onnx
from studio.models.detectors.two_stage import TwoStageDetector
from studio.models.losses.rcnn import RCNNLoss
from studio.models.registry import NECKS


class TinyBackbone(nn.Module):
    """Strides 4/8/16/32 of 8/16/24/32 channels: the zoo contract at test size."""

    act = "relu"

    def __init__(self) -> None:
        super().__init__()
        self.out_channels = {4: 8, 8: 16, 16: 24, 32: 32}
        chans, stages, c = (8, 16, 24, 32), [], 3
        for i, o in enumerate(chans):
            stride = 4 if i == 0 else 2
            stages.append(nn.Sequential(nn.Conv2d(c, o, stride + 1 if stride == 4 else 3, stride, 1),
                                        nn.BatchNorm2d(o), nn.ReLU()))
            c = o
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        out = {}
        for stride, stage in zip((4, 8, 16, 32), self.stages, strict=True):
            x = stage(x)
            out[stride] = x
        return out


def tiny_detector(neck: str = "fpn", nc: int = 3) -> TwoStageDetector:
    torch.manual_seed(0)
    backbone = TinyBackbone()
    neck_module = NECKS[neck](backbone.out_channels, 1.0, 0.33, act="relu", channels=32)
    return TwoStageDetector(backbone, neck_module, nc)


TARGETS = torch.tensor([[0, 1, 10, 12, 60, 70], [1, 2, 30, 40, 100, 120], [1, 0, 5, 5, 30, 25.0]])


@pytest.mark.parametrize("neck", list(NECKS))
def test_training_forward_gives_the_losses_and_gradients_with_every_neck(neck):
    model = tiny_detector(neck).train()
    images = torch.rand(2, 3, 128, 160)
    out = model(images, TARGETS)
    assert out["anchors"].shape[0] == out["rpn_logits"].shape[1]
    # anchors: 3 per cell on P2-P6 of a 128 x 160 input (P6 is 2 x 3: stride-2 subsampling rounds up)
    assert out["anchors"].shape[0] == 3 * sum(-(-128 // s) * -(-160 // s) for s in (4, 8, 16, 32, 64))
    labels = out["roi_labels"]
    assert labels.shape[0] <= 2 * 512 and set(labels.unique().tolist()) <= {0, 1, 2, 3}
    assert (labels > 0).sum() >= 3  # at least the gt boxes themselves are positives
    loss, parts = RCNNLoss(model.cfg)(out, TARGETS)
    assert parts.shape == (4,) and torch.isfinite(parts).all() and torch.isclose(loss, parts.sum())
    loss.backward()
    assert model.rpn.cls_logits.weight.grad.abs().sum() > 0
    assert model.roi_head.bbox_pred.weight.grad.abs().sum() > 0
    assert model.backbone.stages[0][0].weight.grad.abs().sum() > 0


def test_inference_gives_per_class_boxes_inside_the_image_and_detections():
    model = tiny_detector().eval()
    images = torch.rand(2, 3, 96, 128)
    with torch.no_grad():
        batch_index, boxes, scores = model(images)
    assert boxes.shape[1:] == (3, 4) and scores.shape[1] == 3 and len(batch_index) == len(boxes)
    assert set(batch_index.tolist()) <= {0, 1}
    assert (boxes[..., 0::2] >= 0).all() and (boxes[..., 0::2] <= 128).all()
    assert (boxes[..., 1::2] >= 0).all() and (boxes[..., 1::2] <= 96).all()
    assert torch.all(scores.sum(1) <= 1.0 + 1e-5)  # softmax without the background column
    dets = model.predict(images, conf=0.0, iou=0.5, max_det=7)
    assert len(dets) == 2 and all(d.shape == (7, 6) for d in dets)
    assert all(torch.all(d[:-1, 4] >= d[1:, 4]) for d in dets)


def test_a_training_forward_without_targets_is_an_error():
    with pytest.raises(ValueError, match="targets"):
        tiny_detector().train()(torch.rand(1, 3, 64, 64))


def test_onnx_export_matches_torch(tmp_path):
    model = tiny_detector().eval()
    out = export_rcnn_onnx(model, tmp_path / "r.onnx", 128, min_size=96, max_size=128, names=["a", "b", "c"],
                           class_ids=[1, 2, 3])
    report = check_rcnn_parity(model, out, 128)
    assert report.ok, report.format()
    assert report.rows[0].torch_detections > 0
