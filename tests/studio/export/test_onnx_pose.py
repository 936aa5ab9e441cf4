"""ONNX export of a pose model: keypoint outputs within 1e-4 of torch at batch 1 and 4, the pose metadata,
and the onnxruntime predictor giving the torch predictor's detections and keypoints in original pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from studio.export.onnx import export_onnx, read_metadata
from studio.export.parity import check_parity
from studio.inference.predictor import OnnxPredictor, TorchPredictor
from studio.models.config import ModelConfig
from studio.models.registry import build_detector
from tests.model_helpers import liven

IMGSZ, K = 64, 5
SKELETON = [(1, 2), (2, 3), (3, 4), (4, 5)]


def pose_model(seed: int = 0) -> nn.Module:
    """An n-scale pose model, livened (``tests.model_helpers.liven``), in eval mode."""
    torch.manual_seed(seed)
    return liven(build_detector(ModelConfig(nc=2, num_keypoints=K)), seed)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = pose_model()
    path = tmp_path_factory.mktemp("onnx") / "pose.onnx"
    export_onnx(model, path, IMGSZ, dynamic_batch=True, names=["person", "dog"], class_ids=[1, 18],
                skeleton=SKELETON)
    return model, path


def test_keypoint_outputs_match_torch_at_batch_1_and_4(exported):
    model, path = exported
    report = check_parity(model, path, IMGSZ, batches=(1, 4))
    assert report.ok, report.format()
    for row in report.rows:
        assert row.raw_diff < 1e-4 and row.same_detections and row.torch_detections > 0
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    images = torch.rand(4, 3, IMGSZ, IMGSZ)
    decoded = session.run(["decoded"], {"images": images.numpy()})[0]
    with torch.no_grad():
        from studio.export.onnx import ExportModel

        want = ExportModel(model.fuse()).eval()(images)[0].numpy()
    assert decoded.shape == (4, 84, 4 + 2 + 3 * K)
    kpt_x = decoded[..., 6::3]
    assert np.abs(kpt_x - want[..., 6::3]).max() / np.abs(want[..., 6::3]).max() < 1e-4
    assert np.abs(decoded[..., 8::3] - want[..., 8::3]).max() < 1e-4  # visibility after the sigmoid


def test_metadata_names_the_pose_task_and_skeleton(exported):
    _, path = exported
    meta = read_metadata(path)
    assert meta["task"] == "pose" and meta["num_keypoints"] == str(K)
    assert [tuple(e) for e in __import__("json").loads(meta["skeleton"])] == SKELETON


def test_onnx_and_torch_predictors_agree_on_keypoints_in_original_pixels(exported):
    model, path = exported
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, shape, dtype=np.uint8) for shape in ((48, 80, 3), (90, 60, 3))]
    ours = TorchPredictor(model, IMGSZ, conf=0.2, skeleton=SKELETON)(images)
    onnx = OnnxPredictor(path, conf=0.2, providers=["CPUExecutionProvider"])
    theirs = onnx(images)
    assert onnx.num_keypoints == K and onnx.skeleton == SKELETON
    for a, b, image in zip(ours, theirs, images, strict=True):
        assert a.shape[1] == b.shape[1] == 6 + 3 * K and len(a) == len(b) > 0
        assert np.allclose(a, b, atol=1e-2)
        xs, ys = a[:, 6::3], a[:, 7::3]  # clipped into the original image
        assert xs.min() >= 0 and xs.max() <= image.shape[1] and ys.min() >= 0 and ys.max() <= image.shape[0]
