"""Int8 quantization of an export: which nodes stay float, the int8 file still computing what the float
one computes (close, not equal), shared constants surviving, and clear refusals."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
import torch

from studio.errors import ExportError
from studio.export.onnx import export_onnx, read_metadata, set_metadata
from studio.export.quantize import float_nodes, quantize_export, unshare_initializers
from studio.inference.predictor import OnnxPredictor
from studio.models.config import ModelConfig
from studio.models.registry import build_detector
from studio.shapes import shapes_image
from tests.model_helpers import liven

IMGSZ = 64


def images(count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.asarray(shapes_image(rng, IMGSZ, 4)[0].convert("RGB")) for _ in range(count)]


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """(float path, int8 path) of a livened n pose model (boxes, classes and keypoints all exercised)."""
    torch.manual_seed(0)
    model = liven(build_detector(ModelConfig(nc=3, num_keypoints=4)))
    folder = tmp_path_factory.mktemp("int8")
    float_path = export_onnx(model, folder / "model.onnx", IMGSZ, dynamic_batch=True,
                             names=["a", "b", "c"], skeleton=[(1, 2)], kpt_sigmas=[0.05] * 4)
    return float_path, quantize_export(float_path, folder / "model.int8.onnx", images(16))


def test_convs_become_int8_but_the_first_the_logits_and_the_decode_stay_float(exports):
    float_path, int8_path = exports
    before, after = onnx.load(str(float_path)), onnx.load(str(int8_path))
    kept = set(float_nodes(before))
    convs = [n.name for n in before.graph.node if n.op_type == "Conv"]
    logits = [n for n in convs if "/head/" in n and n.rsplit("/", 2)[-2].endswith(".2")]
    assert convs[0] in kept and set(logits) <= kept and len(logits) == 9  # box, cls, kpt x 3 strides
    still_float = {n.name for n in after.graph.node if n.op_type == "Conv"}
    assert still_float == {convs[0], *logits}
    assert sum(n.op_type == "QLinearConv" for n in after.graph.node) == len(convs) - len(still_float)
    assert {"Softmax"} <= {n.op_type for n in after.graph.node}  # the DFL decode, in float


def test_the_int8_file_keeps_the_metadata_and_says_it_is_int8(exports):
    float_path, int8_path = exports
    before, after = read_metadata(float_path), read_metadata(int8_path)
    assert after.pop("int8") == "true" and after.pop("calibration_images") == "16"
    assert after == before
    assert json.loads(after["kpt_sigmas"]) == [0.05] * 4


def test_int8_outputs_follow_the_float_outputs(exports):
    float_path, int8_path = exports
    ours, ref = OnnxPredictor(int8_path), OnnxPredictor(float_path)
    batch = np.stack(_letterboxed(images(4, seed=1)))
    (d8, _), (d32, _) = ours.run(batch), ref.run(batch)
    scores8, scores32 = d8[..., 4:7].ravel(), d32[..., 4:7].ravel()
    assert np.corrcoef(scores8, scores32)[0, 1] > 0.9
    boxes8, boxes32 = d8[..., :4], d32[..., :4]
    assert np.median(np.abs(boxes8 - boxes32)) < 0.05 * IMGSZ
    assert not np.allclose(d8, d32, atol=1e-4)  # it really computed in int8


def test_shared_constants_get_a_copy_per_reader():
    weight = onnx.helper.make_tensor("w", onnx.TensorProto.FLOAT, [1], [2.0])
    nodes = [onnx.helper.make_node("Identity", ["w"], ["w_alias"], name="alias"),
             onnx.helper.make_node("Mul", ["x", "w"], ["y"], name="first"),
             onnx.helper.make_node("Mul", ["y", "w_alias"], ["z"], name="second")]
    graph = onnx.helper.make_graph(
        nodes, "g", [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
        [onnx.helper.make_tensor_value_info("z", onnx.TensorProto.FLOAT, [1])], [weight])
    proto = unshare_initializers(onnx.helper.make_model(graph))
    first, second = proto.graph.node[1], proto.graph.node[2]
    assert first.input[1] == "w" and second.input[1] not in ("w", "w_alias")
    copies = {init.name: onnx.numpy_helper.to_array(init) for init in proto.graph.initializer}
    assert copies[second.input[1]] == pytest.approx([2.0])
    onnx.checker.check_model(proto)


def test_untrained_models_with_equal_biases_quantize(tmp_path):
    """An untrained model's folded biases repeat; the exporter shares them and the quantizer needs copies."""
    model = build_detector(ModelConfig(nc=2)).eval()
    float_path = export_onnx(model, tmp_path / "m.onnx", IMGSZ)
    assert any(n.op_type == "Identity" for n in onnx.load(str(float_path)).graph.node)
    out = quantize_export(float_path, tmp_path / "m.int8.onnx", images(2))
    assert OnnxPredictor(out)(images(1))[0].shape[1] == 6


def test_refusals_name_what_to_do(exports, tmp_path):
    float_path, int8_path = exports
    with pytest.raises(ExportError, match="float32 export"):
        quantize_export(int8_path, tmp_path / "again.onnx", images(2))
    with pytest.raises(ExportError, match="--calib"):
        quantize_export(float_path, tmp_path / "none.onnx", [])
    proto = onnx.load(str(float_path))
    set_metadata(proto, {**read_metadata(float_path), "arch": "faster_rcnn"})
    onnx.save(proto, str(tmp_path / "rcnn.onnx"))
    with pytest.raises(ExportError, match="one-stage"):
        quantize_export(tmp_path / "rcnn.onnx", tmp_path / "rcnn.int8.onnx", images(2))
    assert not (tmp_path / "again.onnx").exists() and not (tmp_path / "none.onnx").exists()


def _letterboxed(rgb: list[np.ndarray]) -> list[np.ndarray]:
    from studio.inference.preprocess import letterbox_batch

    return list(letterbox_batch(rgb, IMGSZ)[0])
