"""``tern denoise calibrate``: measure the sensor's noise (Poisson-Gaussian: shot-noise gain k and read
noise sigma, in normalised units) from noisy/clean pairs or from flat and dark frames, fit how both grow
with ISO, and save the small YAML file ``tern train denoise --noise FILE`` uses. Presets can be written
out as a starting point."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from studio.errors import ConfigError


def calibrate(pairs: Sequence[Sequence[str]], flats: Sequence[Path], darks: Sequence[Path], preset: str,
              list_only: bool, out: Path) -> list[str]:
    from studio.data.noise import NOISE_PRESETS, fit_model

    if list_only:
        return [f"{name}: {model.describe()}" for name, model in NOISE_PRESETS.items()]
    if preset:
        if preset not in NOISE_PRESETS:
            raise ConfigError(f"--preset {preset!r}: choose one of {', '.join(NOISE_PRESETS)}")
        NOISE_PRESETS[preset].save(out)
        return [f"preset {preset}: {NOISE_PRESETS[preset].describe()}", f"written to {out}"]
    points, lines = _pair_points(pairs)
    if flats or darks:
        point = _flat_dark_point(flats, darks)
        points.append(point)
        lines.append(_point_line("flat/dark frames", *point))
    if not points:
        raise ConfigError("tern denoise calibrate: give --pairs NOISY CLEAN, or --flat and --dark frames "
                          "(or --preset NAME)")
    try:
        model = fit_model(points)
    except ValueError as exc:
        raise ConfigError(f"cannot fit a noise model to these frames: {exc}") from exc
    model.save(out)
    return [*lines, f"noise model: {model.describe()}",
            f"written to {out} (use: tern train denoise --noise {out})"]


def _pair_points(pairs: Sequence[Sequence[str]]) -> tuple[list, list[str]]:
    from studio.data.denoise_data import load_images

    points, lines = [], []
    for noisy, clean in pairs:
        images, notes = load_images(clean, noisy)
        lines += notes
        for image in images:
            assert image.params is not None
            points.append((image.iso, image.params))
            lines.append(_point_line(image.name, image.iso, image.params))
    return points, lines


def _flat_dark_point(flats: Sequence[Path], darks: Sequence[Path]):
    from studio.data.noise import fit_flat_dark
    from studio.io.raw import read_raw

    if not flats or not darks:
        raise ConfigError("--flat and --dark go together: flat frames at a few brightness levels and at "
                          "least one dark frame (lens cap on), all at one ISO")
    flat_raws = [read_raw(p) for p in flats]
    dark_raws = [read_raw(p) for p in darks]
    isos = {r.iso for r in flat_raws + dark_raws}
    if len(isos) > 1:
        raise ConfigError(f"the flat and dark frames were taken at different ISOs "
                          f"({', '.join(sorted(map(str, isos)))}); "
                          "calibrate one ISO at a time")
    params = fit_flat_dark([r.packed() for r in flat_raws], [r.packed() for r in dark_raws])
    return isos.pop(), params


def _point_line(name: str, iso: float | None, params) -> str:
    where = f"ISO {iso:g}" if iso else "ISO unknown"
    return f"{name} ({where}): k={params.k:.4g} sigma={params.sigma:.4g}"
