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
    int8: bool = False          # also write <out>.int8.onnx (CPU int8, calibrated) and compare it on val
    calib: str = ""             # int8 calibration: an image, folder or dataset (default: the training data)


def run_export(opts: ExportOptions) -> tuple[Path, list[str]]:
    from studio.engine.checkpoint import load_checkpoint, model_from_checkpoint
    from studio.engine.detect_finish import export_with_parity
    from studio.events import EventWriter

    if opts.format != "onnx":
        raise ConfigError(f"--format {opts.format}: only onnx is supported")
    ckpt = load_checkpoint(opts.weights)
    out = Path(opts.out) if opts.out else Path(opts.weights).with_suffix(".onnx")
    if ckpt.get("task") == "denoise":  # any batch and size; --imgsz and --dynamic-batch do not apply
        if opts.int8:
            raise ConfigError("--int8 is for detector and pose models; denoisers export float32 or --half")
        from studio.engine.denoise_finish import export_denoiser_with_parity
        from studio.engine.denoise_meta import load_denoiser

        model, meta = load_denoiser(opts.weights)
        return out, export_denoiser_with_parity(model, meta, out, EventWriter(None), half=opts.half)
    model, meta = model_from_checkpoint(ckpt)
    if opts.int8 and (opts.half or meta.model_config.arch != "yolo"):
        raise ConfigError("--int8 quantizes a float32 one-stage detector or pose model: drop --half"
                          if opts.half else f"--int8 is not available for {meta.model_config.arch} models")
    lines = export_with_parity(model, out, meta, EventWriter(None), imgsz=opts.imgsz,
                               dynamic_batch=opts.dynamic_batch, half=opts.half)
    if opts.int8:
        from studio.export.int8_job import export_int8

        lines += export_int8(out, ckpt.get("train_config") or {}, opts.calib)[1]
    return out, lines
