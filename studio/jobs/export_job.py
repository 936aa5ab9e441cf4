"""``tern export``: weights (a detector, pose model or denoiser) -> ONNX beside them (best.pt -> best.onnx),
with the parity check."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.errors import ConfigError


@dataclass(frozen=True)
class ExportOptions:
    weights: str
    format: str = "onnx"
    imgsz: int = 0              # 0: the training size
    dynamic_batch: bool = False
    half: bool = False
    out: str = ""               # default: the weights path with .onnx


def run_export(opts: ExportOptions) -> tuple[Path, list[str]]:
    from studio.engine.checkpoint import load_checkpoint, model_from_checkpoint
    from studio.engine.detect_finish import export_with_parity
    from studio.events import EventWriter

    if opts.format != "onnx":
        raise ConfigError(f"--format {opts.format}: only onnx is supported")
    ckpt = load_checkpoint(opts.weights)
    out = Path(opts.out) if opts.out else Path(opts.weights).with_suffix(".onnx")
    if ckpt.get("task") == "denoise":  # any batch and size; --imgsz and --dynamic-batch do not apply
        from studio.engine.denoise_finish import export_denoiser_with_parity
        from studio.engine.denoise_meta import load_denoiser

        model, meta = load_denoiser(opts.weights)
        return out, export_denoiser_with_parity(model, meta, out, EventWriter(None), half=opts.half)
    model, meta = model_from_checkpoint(ckpt)
    lines = export_with_parity(model, out, meta, EventWriter(None), imgsz=opts.imgsz,
                               dynamic_batch=opts.dynamic_batch, half=opts.half)
    return out, lines
