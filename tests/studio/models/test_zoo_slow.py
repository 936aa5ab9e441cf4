"""Every zoo backbone at 320 px (make test-slow): its maps follow the contract, it exports to ONNX and
onnxruntime computes the same maps, and one training step of each detector family runs on it."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
import torch

from studio.models.classify import feature_problems
from studio.models.config import ModelConfig
from studio.models.losses.detection import DetectionLoss
from studio.models.losses.rcnn import RCNNLoss
from studio.models.registry import ASSIGNERS, BACKBONES, SCALED_BACKBONES, build_detector

ZOO = [name for name in BACKBONES if name not in SCALED_BACKBONES]
SIZE = 320
TARGETS = torch.tensor([[0, 0, 20, 30, 200, 220], [0, 1, 150, 60, 300, 160.0]])

pytestmark = pytest.mark.slow


class _Tuple(torch.nn.Module):
    def __init__(self, backbone: torch.nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        feats = self.backbone(x)
        return tuple(feats[s] for s in sorted(feats))


@pytest.mark.parametrize("name", ZOO)
def test_backbone_exports_and_matches_onnxruntime(name):
    import onnxruntime as ort

    torch.manual_seed(0)
    backbone = BACKBONES[name]().eval()
    assert feature_problems(backbone, SIZE) == []
    model, x = _Tuple(backbone).eval(), torch.rand(1, 3, SIZE, SIZE)  # export restores train mode otherwise
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), buffer, dynamo=False, opset_version=17, input_names=["x"])
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        want = model(x)
    got = session.run(None, {"x": x.numpy()})
    for stride_map, onnx_map in zip(want, got, strict=True):
        scale = max(float(stride_map.abs().max()), 1e-6)
        assert np.abs(stride_map.numpy() - onnx_map).max() / scale < 1e-4


@pytest.mark.parametrize("name", ZOO)
def test_one_training_step_of_each_detector_family(name):
    torch.manual_seed(0)
    images = torch.rand(2, 3, SIZE, SIZE)
    yolo = build_detector(ModelConfig(arch="yolo", backbone=name, nc=2)).train()
    criterion = DetectionLoss(2, yolo.reg_max, yolo.strides, ASSIGNERS["tal"](num_classes=2))
    loss, _ = criterion(yolo(images), TARGETS)
    loss.backward()
    assert torch.isfinite(loss)
    rcnn = build_detector(ModelConfig(arch="faster_rcnn", backbone=name, nc=2)).train()
    loss, parts = RCNNLoss(rcnn.cfg)(rcnn(images, TARGETS), TARGETS)
    loss.backward()
    assert torch.isfinite(parts).all()
