"""TorchPredictor and OnnxPredictor agree; load_predictor dispatches on the suffix; provider choice."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from studio.engine.checkpoint import save_checkpoint
from studio.errors import CheckpointError, ConfigError
from studio.export.onnx import export_onnx
from studio.inference.load import load_predictor
from studio.inference.onnx_session import choose_providers
from studio.inference.predictor import OnnxPredictor, TorchPredictor
from studio.models.config import ModelConfig
from studio.models.registry import build_detector
from tests.model_helpers import liven

IMGSZ = 64
NAMES, CLASS_IDS = ["cat", "dog", "bird"], [1, 3, 7]
CPU = ["CPUExecutionProvider"]


def lively_detector(seed: int = 0) -> nn.Module:
    """The n-scale detector, livened (``tests.model_helpers.liven``), in eval mode."""
    torch.manual_seed(seed)
    return liven(build_detector(ModelConfig(nc=len(NAMES))), seed)


def images() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    out = []
    for h, w in ((48, 80), (120, 60), (64, 64)):
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        img[h // 4: h // 2, w // 4: w // 2] = (250, 30, 30)
        out.append(img)
    return out


@pytest.fixture(scope="module")
def model_and_onnx(tmp_path_factory):
    model = lively_detector()
    path = export_onnx(model, tmp_path_factory.mktemp("pred") / "model.onnx", IMGSZ, dynamic_batch=True,
                       names=NAMES, class_ids=CLASS_IDS)
    return model, path


def assert_same_detections(a: list[np.ndarray], b: list[np.ndarray], atol: float = 1e-3) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.shape == y.shape and x.dtype == y.dtype == np.float32
        x, y = x[np.argsort(-x[:, 4], kind="stable")], y[np.argsort(-y[:, 4], kind="stable")]
        assert np.array_equal(x[:, 5], y[:, 5]) and np.allclose(x[:, :5], y[:, :5], atol=atol)


def test_torch_and_onnx_predictors_agree(model_and_onnx) -> None:
    model, path = model_and_onnx
    torch_pred = TorchPredictor(model, IMGSZ, "cpu", conf=0.25, names=NAMES, class_ids=CLASS_IDS)
    onnx_pred = OnnxPredictor(path, conf=0.25, providers=CPU)
    assert (onnx_pred.names, onnx_pred.class_ids, onnx_pred.imgsz) == (NAMES, CLASS_IDS, IMGSZ)
    pics = images()
    ours, theirs = torch_pred(pics), onnx_pred(pics)
    assert sum(len(d) for d in ours) > 3
    assert_same_detections(ours, theirs)
    for dets, img in zip(ours, pics, strict=True):  # original pixels: inside each image
        h, w = img.shape[:2]
        assert (dets[:, [0, 2]] >= 0).all() and (dets[:, [0, 2]] <= w).all()
        assert (dets[:, [1, 3]] >= 0).all() and (dets[:, [1, 3]] <= h).all()
        assert (dets[:, 4] > 0.25).all()
    assert_same_detections(theirs[1:2], onnx_pred(pics[1:2]))  # a batch of one gives the same
    assert torch_pred([]) == [] and onnx_pred([]) == []


def test_load_predictor_dispatches_on_suffix(model_and_onnx, tmp_path) -> None:
    model, path = model_and_onnx
    weights = tmp_path / "best.pt"
    save_checkpoint(weights, {"model": model.state_dict(), "model_config": ModelConfig(nc=3).to_dict(),
                              "names": NAMES, "class_ids": CLASS_IDS, "imgsz": IMGSZ, "train_config": {},
                              "epoch": 0})
    from_pt = load_predictor(weights, conf=0.25)
    assert isinstance(from_pt, TorchPredictor) and from_pt.names == NAMES and from_pt.imgsz == IMGSZ
    from_onnx = load_predictor(path, conf=0.25)
    assert isinstance(from_onnx, OnnxPredictor) and from_onnx.class_ids == CLASS_IDS
    assert_same_detections(from_pt(images()), from_onnx(images()))
    with pytest.raises(ConfigError, match="exported for 64"):
        load_predictor(path, imgsz=96)


def test_onnx_files_that_are_not_ours(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="no such"):
        OnnxPredictor(tmp_path / "missing.onnx", providers=CPU)
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(CheckpointError, match="onnxruntime cannot load"):
        OnnxPredictor(tmp_path / "junk.onnx", providers=CPU)
    bare = tmp_path / "bare.onnx"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(nn.Conv2d(3, 4, 1), (torch.zeros(1, 3, 8, 8),), str(bare), dynamo=False)
    with pytest.raises(CheckpointError, match="not a Tern ONNX export"):
        OnnxPredictor(bare, providers=CPU)


@pytest.mark.parametrize(("available", "expected"), [
    (["CPUExecutionProvider"], ["CPUExecutionProvider"]),
    (["CPUExecutionProvider", "CUDAExecutionProvider"], ["CUDAExecutionProvider", "CPUExecutionProvider"]),
    (["CUDAExecutionProvider", "CPUExecutionProvider", "TensorrtExecutionProvider", "AzureExecutionProvider"],
     ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]),
    ([], ["CPUExecutionProvider"]),
    (["CoreMLExecutionProvider", "CPUExecutionProvider"], ["CPUExecutionProvider"]),
])
def test_choose_providers(available, expected) -> None:
    assert choose_providers(available, loadable=lambda _provider: True) == expected


def test_providers_whose_libraries_do_not_load_are_not_offered() -> None:
    available = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    no_tensorrt = choose_providers(available, loadable=lambda p: p != "TensorrtExecutionProvider")
    assert no_tensorrt == ["CUDAExecutionProvider", "CPUExecutionProvider"]  # a GPU without TensorRT
    assert choose_providers(available, loadable=lambda _p: False) == ["CPUExecutionProvider"]  # no driver


def test_imgsz_must_fit_the_strides() -> None:
    with pytest.raises(ConfigError, match="multiple"):
        TorchPredictor(lively_detector(), 70)
