"""Export a detector to ONNX: input ``images`` (B, 3, S, S) float RGB in [0, 1]; outputs ``decoded``
(B, A, 4 + nc + 3K: xyxy input pixels, sigmoid class scores, then for a pose model K keypoints x, y input
pixels and sigmoid visibility) and ``raw`` (B, A, 4 * reg_max + nc + 3K: the head's logits). The file
carries what a predictor needs (names, class ids, imgsz, strides, keypoints and skeleton) as metadata, so
``OnnxPredictor`` reads nothing else."""

from __future__ import annotations

import copy
import io
import json
import warnings
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import torch
from torch import nn

from studio.errors import ExportError
from studio.models.postprocess import decode_outputs, flatten_outputs
from studio.utils.atomic import atomic_write_bytes

INPUT, OUTPUTS = "images", ("decoded", "raw")


class ExportModel(nn.Module):
    """Wraps a (fused, eval) detector: ``forward(images (B, 3, S, S))`` -> (decoded (B, A, 4 + nc + 3K),
    raw (B, A, 4 * reg_max + nc + 3K)), anchors in ``make_anchors`` order (stride-major, then row-major)."""

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.detector = detector
        self.strides, self.reg_max = tuple(detector.strides), detector.reg_max
        self.num_keypoints = int(getattr(detector, "num_keypoints", 0))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        outputs = self.detector(images)
        decoded = decode_outputs(outputs, self.strides, self.reg_max, self.num_keypoints)
        return decoded, flatten_outputs(outputs)


def export_onnx(model: nn.Module, out_path: Path | str, imgsz: int, dynamic_batch: bool = False,
                half: bool = False, opset: int = 17, *, names: Sequence[str] | None = None,
                class_ids: Sequence[int] | None = None,
                skeleton: Sequence[tuple[int, int]] = (), kpt_sigmas: Sequence[float] = ()) -> Path:
    """Write ``out_path`` atomically. The caller's model is left as it was (a fused copy is exported).

    dynamic_batch: the batch dimension is free (else fixed at 1); half: float16 weights and input, which
    needs a CUDA GPU (ExportError without one); names / class_ids: class index -> name / dataset category
    id (defaults: class0.. / 0..); skeleton: a pose model's 1-based keypoint edges (for drawing).
    """
    stride = max(model.strides)
    if imgsz <= 0 or imgsz % stride:
        raise ExportError(f"imgsz {imgsz} must be a positive multiple of the model's largest stride {stride}")
    if half and not torch.cuda.is_available():
        raise ExportError("--half exports float16, which needs a CUDA GPU to trace and check; "
                          "none is available: export without --half (float32)")
    device, dtype = (torch.device("cuda"), torch.float16) if half else (torch.device("cpu"), torch.float32)
    wrapper = ExportModel(fused_copy(model)).to(device, dtype)
    dummy = torch.zeros(1, 3, imgsz, imgsz, device=device, dtype=dtype)
    proto = _trace(wrapper, dummy, dynamic_batch, opset)
    nc, k = int(model.nc), int(getattr(model, "num_keypoints", 0))
    set_metadata(proto, {
        "task": "pose" if k else "detect",
        "num_keypoints": str(k),
        "skeleton": json.dumps([[int(a), int(b)] for a, b in skeleton]),
        "kpt_sigmas": json.dumps([float(s) for s in kpt_sigmas]),
        "names": json.dumps(list(names) if names is not None else [f"class{i}" for i in range(nc)]),
        "class_ids": json.dumps([int(i) for i in class_ids] if class_ids is not None else list(range(nc))),
        "imgsz": str(imgsz),
        "strides": json.dumps([int(s) for s in model.strides]),
        "reg_max": str(int(model.reg_max)),
        "dynamic_batch": json.dumps(dynamic_batch),
        "half": json.dumps(half),
        "tern_version": _version(),
    })
    import onnx

    onnx.checker.check_model(proto)
    out_path = Path(out_path)
    atomic_write_bytes(out_path, proto.SerializeToString())
    return out_path


def _trace(wrapper: ExportModel, dummy: torch.Tensor, dynamic_batch: bool, opset: int):
    """The ModelProto of ``wrapper`` traced on ``dummy`` (B = 1), output shapes written in."""
    import onnx

    axes = {name: {0: "batch"} for name in (INPUT, *OUTPUTS)} if dynamic_batch else None
    buffer = io.BytesIO()
    # The TorchScript-based exporter (dynamo=False) is pinned on purpose: the torch.export-based default
    # needs the onnxscript package (not a dependency of ours) and emits its own opset and graph layout,
    # while this tracer exports a plain conv network exactly, at opset 17, in about a second. torch marks
    # it deprecated and warns on every call; that warning is silenced here, for this call only.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        torch.onnx.export(wrapper, (dummy,), buffer, dynamo=False, opset_version=opset, input_names=[INPUT],
                          output_names=list(OUTPUTS), dynamic_axes=axes, do_constant_folding=True)
    proto = onnx.load_from_string(buffer.getvalue())
    with torch.no_grad():
        shapes = [tuple(t.shape) for t in wrapper(dummy)]
    _set_output_shapes(proto, shapes, dynamic_batch)
    return proto


def fused_copy(model: nn.Module) -> nn.Module:
    """A float32 eval-mode copy of ``model``, fused when it can fuse (the caller's model is untouched)."""
    model = copy.deepcopy(model).float().eval()
    return model.fuse() if callable(getattr(model, "fuse", None)) else model


def read_metadata(onnx_path: Path | str) -> dict[str, str]:
    """The metadata_props of an ONNX file (weights are not loaded)."""
    import onnx

    proto = onnx.load(str(onnx_path), load_external_data=False)
    return {p.key: p.value for p in proto.metadata_props}


def _set_output_shapes(proto, shapes: list[tuple[int, ...]], dynamic_batch: bool) -> None:
    """The tracer leaves the anchor and channel sizes of the outputs symbolic; they are fixed by imgsz and
    nc, so write them down (the batch stays "batch" when dynamic)."""
    for output, shape in zip(proto.graph.output, shapes, strict=True):
        dims = output.type.tensor_type.shape.dim
        for i, (dim, size) in enumerate(zip(dims, shape, strict=True)):
            if i == 0 and dynamic_batch:
                dim.dim_param = "batch"
            else:
                dim.dim_value = size


def set_metadata(proto, values: dict[str, str]) -> None:
    """Replace the metadata_props of ``proto`` by ``values``."""
    del proto.metadata_props[:]
    for key, value in values.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value


def _version() -> str:
    try:
        return metadata.version("tern-studio")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"
