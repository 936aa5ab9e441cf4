"""``tern denoise apply``: a trained denoiser (best.pt or model.onnx) on RAW files, by overlapping tiles,
written as a DNG in the camera's value range (DNG inputs), a 16-bit TIFF of the linear mosaic and an sRGB
PNG preview. A file that cannot be used gets one line saying why; the others go on."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.engine.denoise_meta import DenoiseMeta
from studio.errors import CheckpointError, ConfigError, RawFileError

FORMATS = ("dng", "tiff", "png")
TILE, OVERLAP = 256, 32  # packed pixels


@dataclass
class Denoiser:
    """The network as a numpy function (B, 4, h, w) float32 -> same (in its own input units), and its
    transform (``meta``). ``fn`` is torch or onnxruntime; ``tiled_apply`` feeds it tiles."""

    fn: Callable[[np.ndarray], np.ndarray]
    meta: DenoiseMeta
    source: Path

    def denoise(self, packed: np.ndarray, k: float, sigma: float, tile: int = TILE,
                overlap: int = OVERLAP) -> np.ndarray:
        """(4, h, w) packed noisy in [0, 1] -> (4, h, w) denoised, same units."""
        from studio.inference.tiles import tiled_apply

        ks, ss = np.float32([k]), np.float32([sigma])
        encoded = self.meta.encode(packed[None].astype(np.float32), ks, ss)
        out = tiled_apply(self.fn, np.ascontiguousarray(encoded, dtype=np.float32), tile, overlap)
        return self.meta.decode(out, ks, ss)[0]


def load_denoiser_any(path: Path | str, threads: int | None = None) -> Denoiser:
    """A denoise checkpoint (.pt) or its exported ONNX file."""
    path = Path(path)
    if path.suffix.lower() == ".onnx":
        from studio.export.onnx_denoise import OnnxDenoiser

        session = OnnxDenoiser(path, threads=threads)
        text = session.metadata.get("denoise")
        if not text:
            raise CheckpointError(path, "not a Tern denoiser export (no 'denoise' metadata): export it with "
                                        "`tern export --weights best.pt` from a denoise run")
        return Denoiser(session, DenoiseMeta.from_dict(json.loads(text)), path)
    import torch

    from studio.engine.denoise_meta import load_denoiser

    model, meta = load_denoiser(path)

    @torch.no_grad()
    def run(x: np.ndarray) -> np.ndarray:
        return model(torch.from_numpy(x)).numpy()

    return Denoiser(run, meta, path)


def output_formats(spec: str, source: Path) -> list[str]:
    """--format (comma list; default every format that applies: dng only for DNG inputs)."""
    if not spec:
        return [f for f in FORMATS if f != "dng" or source.suffix.lower() == ".dng"]
    formats = [f.strip().lower() for f in spec.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ConfigError(f"--format {spec}: {', '.join(unknown)} unknown; choose from {', '.join(FORMATS)}")
    return formats


def noise_for(denoiser: Denoiser, raw, iso: float | None, noise: tuple[float, float] | None):
    """(k, sigma, where from): --noise, else the model's noise model at --iso or the file's ISO."""
    if noise is not None:
        return noise[0], noise[1], "--noise"
    use = iso or raw.iso
    params = denoiser.meta.params_for(use)
    return params.k, params.sigma, (f"ISO {use:g}" if use else "ISO unknown: the model's middle ISO")


def apply_one(denoiser: Denoiser, path: Path, out_dir: Path, format_spec: str, *, iso: float | None = None,
              noise: tuple[float, float] | None = None, tile: int = TILE) -> str:
    """Denoise one file and write its outputs; returns the line to print. Raises RawFileError."""
    from studio.io.raw import read_raw, unpack
    from studio.io.raw_write import write_dng, write_preview_png, write_tiff16

    start = time.perf_counter()
    raw = read_raw(path)
    formats = output_formats(format_spec, path)
    if "dng" in formats and path.suffix.lower() != ".dng":
        raise RawFileError(path, "DNG output needs a DNG input; use --format tiff,png for this file")
    k, sigma, where = noise_for(denoiser, raw, iso, noise)
    denoised = denoiser.denoise(raw.packed(), k, sigma, tile=tile)
    mosaic = unpack(denoised, raw.pattern, raw.black, raw.white, clip=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    writers = {"dng": lambda p: write_dng(raw, mosaic, p), "tiff": lambda p: write_tiff16(mosaic, p),
               "png": lambda p: write_preview_png(raw, mosaic, p)}
    written = [writers[f](out_dir / f"{path.stem}_denoised.{f}") for f in formats]
    seconds = time.perf_counter() - start
    names = ", ".join(Path(p).name for p in written)
    size = f"{mosaic.shape[1]}x{mosaic.shape[0]}"
    return f"{path.name}: {size}, noise k={k:.3g} sigma={sigma:.3g} ({where}), {seconds:.1f} s -> {names}"


def apply_all(weights: Path | str, inputs: Sequence[Path], out_dir: Path, format_spec: str = "", *,
              iso: float | None = None, noise: tuple[float, float] | None = None, tile: int = TILE,
              say: Callable[[str], None] = print) -> int:
    """Every input gets one line; returns how many failed."""
    denoiser = load_denoiser_any(weights)
    output_formats(format_spec, Path("x.dng"))  # a bad --format fails before any work
    failed = 0
    for path in inputs:
        try:
            say(apply_one(denoiser, Path(path), out_dir, format_spec, iso=iso, noise=noise, tile=tile))
        except RawFileError as exc:
            failed += 1
            say(f"{Path(path).name}: skipped: {exc.reason}")
    return failed
