"""Int8 quantization of a float32 one-stage export for CPUs (onnxruntime's static quantization): weights
int8 per output channel, activations uint8 with ranges calibrated (entropy method) on real images of the
training data, in onnxruntime's QOperator form (QLinearConv and friends, which its CPU provider runs with
VNNI / dot-product instructions where the CPU has them).

Kept in float32, because quantizing them cost accuracy when measured (on held-out val images, with
``tern val`` of each variant; the chosen one: bench/bench_accuracy.py --int8): the first convolution (it sees
raw pixels), the last convolution of every head branch (the logits: scores and box
distributions that the evaluation thresholds) and everything after the network (DFL softmax, box and
keypoint decode). The file keeps the float export's metadata, adds ``"int8": "true"`` and the number of
calibration images, and runs with ``OnnxPredictor`` like any export."""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from studio.errors import ExportError
from studio.export.onnx import set_metadata
from studio.inference.preprocess import letterbox_batch
from studio.utils.atomic import atomic_write_bytes

CALIBRATION_IMAGES = 64  # the default count: stable activation ranges in seconds of CPU time
QUANTIZED_OPS = ("Conv", "Mul", "Sigmoid", "Add", "Concat", "MaxPool", "Resize")
ACTIVATIONS = frozenset({"Sigmoid", "Relu", "LeakyRelu", "Clip", "HardSigmoid", "HardSwish", "Tanh"})


def quantize_export(float_onnx: Path | str, out_path: Path | str, images: Sequence[np.ndarray]) -> Path:
    """Write the int8 version of ``float_onnx`` (a Tern float32 detector or pose export) to ``out_path``
    atomically, calibrated on ``images`` ((H, W, 3) uint8 RGB, letterboxed as prediction does).
    ExportError when there are no images or the export is not a float32 one-stage model."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    float_onnx, out_path = Path(float_onnx), Path(out_path)
    proto = onnx.load(str(float_onnx))
    meta = {p.key: p.value for p in proto.metadata_props}
    check_quantizable(float_onnx, meta, len(images))
    with tempfile.TemporaryDirectory() as tmp, _quiet():
        source, staged = Path(tmp) / "float.onnx", Path(tmp) / "int8.onnx"
        onnx.save(unshare_initializers(proto), str(source))
        quantize_static(str(source), str(staged), _Calibration(images, int(meta["imgsz"])),
                        quant_format=QuantFormat.QOperator, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=list(QUANTIZED_OPS), nodes_to_exclude=float_nodes(proto),
                        calibrate_method=CalibrationMethod.Entropy)
        quantized = onnx.load(str(staged))
    set_metadata(quantized, {**meta, "int8": "true", "calibration_images": str(len(images))})
    onnx.checker.check_model(quantized)
    atomic_write_bytes(out_path, quantized.SerializeToString())
    return out_path


def unshare_initializers(proto):
    """``proto`` with a private copy of every weight and bias read by more than one node. The ONNX exporter
    stores equal constants once and hands them to further readers through Identity nodes (say, the zero
    biases of two untrained convs); the quantizer replaces a conv's bias by its int32 version and then
    finds no float bias for the next reader."""
    initializers = {init.name: init for init in proto.graph.initializer}
    aliases = {node.output[0]: node.input[0] for node in proto.graph.node
               if node.op_type == "Identity" and node.input[0] in initializers}
    seen: set[str] = set()
    for node in proto.graph.node:
        if node.op_type == "Identity":
            continue
        for i, name in enumerate(node.input):
            source = aliases.get(name, name)
            if source not in initializers:
                continue
            if source in seen:
                copy = proto.graph.initializer.add()
                copy.CopyFrom(initializers[source])
                copy.name = node.input[i] = f"{source}__{node.name}_{i}"
            seen.add(source)
    return proto


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """onnxruntime's quantizer prints its calibration progress and logs warnings on the root logger (the
    shape tensors it leaves in float, pre-processing advice); none of it is the user's business."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        root.setLevel(level)


def float_nodes(proto) -> list[str]:
    """Names of the nodes kept float32: every node outside the detector's modules (the decode), the first
    convolution, and each head convolution whose output no activation reads (a branch's logits)."""
    readers: dict[str, set[str]] = {}
    for node in proto.graph.node:
        for name in node.input:
            readers.setdefault(name, set()).add(node.op_type)
    convs = [node for node in proto.graph.node if node.op_type == "Conv"]
    keep = [node.name for node in proto.graph.node if not node.name.startswith("/detector/")]
    keep += [convs[0].name] if convs else []
    keep += [node.name for node in convs if "/head/" in node.name
             and not readers.get(node.output[0], set()) & ACTIVATIONS]
    return keep


def check_quantizable(path: Path, meta: dict[str, str], images: int) -> None:
    """ExportError unless ``meta`` is a float32 one-stage export's and there are calibration images."""
    if meta.get("task") not in ("detect", "pose") or meta.get("arch", "yolo") != "yolo":
        raise ExportError(f"{path}: int8 export takes one-stage detector and pose models, not "
                          f"{meta.get('arch') or meta.get('task') or 'this model'}")
    if meta.get("half") == "true" or meta.get("int8") == "true":
        raise ExportError(f"{path}: quantize the float32 export, not a float16 or int8 one")
    if images <= 0:
        raise ExportError("int8 calibration needs images and none were found: pass --calib DIR with a "
                          "few dozen images like the ones the model will see")


class _Calibration:
    """onnxruntime's CalibrationDataReader: one letterboxed image per feed (fits a fixed batch of 1 and a
    free batch alike)."""

    def __init__(self, images: Sequence[np.ndarray], imgsz: int) -> None:
        self._images, self._imgsz, self._next = images, imgsz, 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self._next >= len(self._images):
            return None
        image = self._images[self._next]
        self._next += 1
        return {"images": letterbox_batch([image], self._imgsz)[0]}

    def rewind(self) -> None:
        self._next = 0

