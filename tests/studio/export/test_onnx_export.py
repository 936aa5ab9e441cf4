"""ONNX export of a small real detector: parity with torch at batch 1 and 4, metadata, options, errors."""

from __future__ import annotations

import json
import warnings

import onnx
import pytest
import torch
from torch import nn

from studio.errors import ExportError
from studio.export.onnx import export_onnx, read_metadata
from studio.export.parity import check_parity
from studio.models.config import ModelConfig
from studio.models.registry import build_detector
from tests.model_helpers import liven

IMGSZ = 64
NAMES, CLASS_IDS = ["cat", "dog", "bird"], [1, 3, 7]


def detector(backbone: str = "elan", seed: int = 0) -> nn.Module:
    """The n-scale detector, livened (``tests.model_helpers.liven``), in eval mode."""
    torch.manual_seed(seed)
    return liven(build_detector(ModelConfig(nc=len(NAMES), backbone=backbone)), seed)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = detector()
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_onnx(model, path, IMGSZ, dynamic_batch=True, names=NAMES, class_ids=CLASS_IDS)
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning)]
    return model, path


def test_parity_at_batch_1_and_4(exported) -> None:
    model, path = exported
    report = check_parity(model, path, IMGSZ, batches=(1, 4))
    assert report.ok, report.format()
    assert [r.batch for r in report.rows] == [1, 4]
    for row in report.rows:
        assert row.raw_diff < 1e-4 and row.decoded_diff < 1e-4 * report.decoded_scale
        assert row.same_detections and row.torch_detections == row.onnx_detections > 0
    assert report.format().startswith("ok ") and "batch 4" in report.format()


def test_parity_notices_a_different_model(exported) -> None:
    path = exported[1]
    other = detector(seed=1)
    report = check_parity(other, path, IMGSZ, batches=(1,))
    assert not report.ok and report.format().startswith("MISMATCH")


def test_metadata_and_graph(exported) -> None:
    path = exported[1]
    meta = read_metadata(path)
    assert json.loads(meta["names"]) == NAMES and json.loads(meta["class_ids"]) == CLASS_IDS
    assert meta["imgsz"] == "64" and json.loads(meta["strides"]) == [8, 16, 32] and meta["task"] == "detect"
    assert meta["reg_max"] == "16" and meta["tern_version"]
    graph = onnx.load(str(path)).graph
    assert [i.name for i in graph.input] == ["images"]
    assert [o.name for o in graph.output] == ["decoded", "raw"]
    anchors = sum((IMGSZ // s) ** 2 for s in (8, 16, 32))
    decoded, raw = (o.type.tensor_type.shape.dim for o in graph.output)
    assert decoded[0].dim_param == "batch" and [d.dim_value for d in decoded][1:] == [anchors, 4 + 3]
    assert [d.dim_value for d in raw][1:] == [anchors, 4 * 16 + 3]
    assert not list(path.parent.glob(".*tmp"))  # written atomically: no temp file left


def test_fixed_batch_export_leaves_the_model_alone(tmp_path) -> None:
    model = detector("repvgg")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    path = export_onnx(model, tmp_path / "fixed.onnx", IMGSZ)
    after = model.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    dims = onnx.load(str(path)).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [1, 3, IMGSZ, IMGSZ]
    assert json.loads(read_metadata(path)["names"]) == ["class0", "class1", "class2"]
    assert check_parity(model, path, IMGSZ, batches=(1, 2)).ok  # a fixed batch runs image by image


def test_refused_exports(tmp_path) -> None:
    model = detector()
    with pytest.raises(ExportError, match="multiple"):
        export_onnx(model, tmp_path / "m.onnx", 100)
    if not torch.cuda.is_available():
        with pytest.raises(ExportError, match="CUDA"):
            export_onnx(model, tmp_path / "m.onnx", IMGSZ, half=True)
    assert not list(tmp_path.iterdir())
