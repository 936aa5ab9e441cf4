"""Export a denoiser to ONNX and run it: input ``packed`` (B, 4, H, W) float (packed Bayer, normalised),
output ``denoised`` of the same shape; batch, height and width are free (the graph pads to the model's
``multiple`` and crops back itself). The file's metadata says ``task`` = denoise plus what the caller adds
(preset, config json), so ``OnnxDenoiser`` needs nothing else."""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from studio.errors import CheckpointError, ExportError
from studio.export.onnx import _version, fused_copy, read_metadata, set_metadata
from studio.export.parity import _providers
from studio.inference.onnx_session import open_session
from studio.utils.atomic import atomic_write_bytes

INPUT, OUTPUT = "packed", "denoised"
AXES = {0: "batch", 2: "height", 3: "width"}


def export_denoiser(model: nn.Module, out_path: Path | str, *, opset: int = 17, half: bool = False,
                    metadata: Mapping[str, Any] | None = None) -> Path:
    """Write ``out_path`` atomically (the caller's model is left as it was); returns it.

    half: float16 weights, input and output, which needs a CUDA GPU (ExportError without one); metadata:
    extra metadata_props (e.g. {"preset": "small", "config": cfg.to_dict()}), values that are not str
    stored as json. The keys task, in_channels, multiple, half and tern_version are always set here.
    """
    if half and not torch.cuda.is_available():
        raise ExportError("--half exports float16, which needs a CUDA GPU to trace and check; "
                          "none is available: export without --half (float32)")
    device, dtype = (torch.device("cuda"), torch.float16) if half else (torch.device("cpu"), torch.float32)
    wrapper = fused_copy(model).to(device, dtype)
    channels, multiple = int(model.in_channels), int(model.multiple)
    # not a multiple of the pad size, so the traced graph pads (by amounts computed from the input's shape)
    dummy = torch.rand(1, channels, 2 * multiple + 3, 2 * multiple + 5, device=device, dtype=dtype)
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the TorchScript exporter warns on every call (see export/onnx.py)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(wrapper, (dummy,), buffer, dynamo=False, opset_version=opset, input_names=[INPUT],
                          output_names=[OUTPUT], dynamic_axes={INPUT: AXES, OUTPUT: AXES},
                          do_constant_folding=True)
    import onnx

    proto = onnx.load_from_string(buffer.getvalue())
    for value in (*proto.graph.input, *proto.graph.output):  # the tracer leaves output channels symbolic
        value.type.tensor_type.shape.dim[1].dim_value = channels
    extra = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (metadata or {}).items()}
    set_metadata(proto, {**extra, "task": "denoise", "in_channels": str(channels), "multiple": str(multiple),
                          "half": json.dumps(half), "tern_version": _version()})
    onnx.checker.check_model(proto)
    out_path = Path(out_path)
    atomic_write_bytes(out_path, proto.SerializeToString())
    return out_path


class OnnxDenoiser:
    """Runs a denoiser export with onnxruntime: ``__call__(packed (B, C, H, W) float32 numpy)`` -> denoised
    (B, C, H, W) float32 (a float16 file computes in float16). threads: onnxruntime intra-op threads (None:
    one per core); providers: onnxruntime execution providers (None: the fastest it offers)."""

    def __init__(self, onnx_path: Path | str, threads: int | None = None,
                 providers: Sequence[str] | None = None) -> None:
        self.path = Path(onnx_path)
        self.session = open_session(self.path, providers, threads)
        self.metadata: dict[str, str] = dict(self.session.get_modelmeta().custom_metadata_map)
        if self.metadata.get("task") != "denoise":
            raise CheckpointError(self.path, f"not a Tern denoiser export (task "
                                             f"{self.metadata.get('task', 'missing')!r}); export it with "
                                             "studio.export.onnx_denoise")
        entry = self.session.get_inputs()[0]
        self.input_name = entry.name
        self.input_dtype = np.float16 if entry.type == "tensor(float16)" else np.float32
        self.in_channels = int(self.metadata.get("in_channels", "4"))

    def __call__(self, packed: np.ndarray) -> np.ndarray:
        if packed.ndim != 4 or packed.shape[1] != self.in_channels:
            raise ValueError(f"{self.path.name} takes (B, {self.in_channels}, H, W) packed arrays, got shape "
                             f"{packed.shape}")
        (out,) = self.session.run([OUTPUT], {self.input_name: np.ascontiguousarray(packed,
                                                                                   self.input_dtype)})
        return out.astype(np.float32, copy=False)


def check_denoiser_parity(model: nn.Module, onnx_path: Path | str,
                          sizes: Sequence[tuple[int, int, int]] = ((1, 64, 64), (2, 96, 80)),
                          seed: int = 0) -> float:
    """Largest |torch - onnx| over seeded random inputs of each (B, H, W) in ``sizes`` (values in
    [-0.05, 1.05]: packed data keeps noise below black and above white). A float32 file runs on
    onnxruntime's CPU provider against the model on the CPU; a float16 file on CUDA against the model in
    float16 there."""
    denoiser = OnnxDenoiser(onnx_path, providers=_providers(onnx_path))
    half = read_metadata(onnx_path).get("half") == "true"
    device, dtype = (torch.device("cuda"), torch.float16) if half else (torch.device("cpu"), torch.float32)
    reference = fused_copy(model).to(device, dtype)
    generator = torch.Generator().manual_seed(seed)
    worst = 0.0
    for batch, height, width in sizes:
        x = torch.rand(batch, denoiser.in_channels, height, width, generator=generator) * 1.1 - 0.05
        with torch.no_grad():
            expected = reference(x.to(device, dtype)).float().cpu().numpy()
        worst = max(worst, float(np.abs(expected - denoiser(x.numpy())).max()))
    return worst
