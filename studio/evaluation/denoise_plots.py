"""Pictures of denoising: packed Bayer data rendered to a quick RGB view (half resolution: one pixel per
2x2 site, greens averaged, grey-world white balance, sRGB gamma) and a grid of noisy | denoised | clean
crops with their PSNR. For looking only; ``studio/io/raw_write.py`` renders the real sRGB preview."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from studio.utils.atomic import atomic_write_bytes

LABEL_H = 18


def packed_to_rgb(packed: np.ndarray, gains: np.ndarray | None = None) -> np.ndarray:
    """(4, h, w) packed RGGB in [0, 1] -> (h, w, 3) uint8 RGB. ``gains`` (3,) multiply R, G, B (default:
    grey world on this image, so crops of one picture may differ slightly in tint)."""
    p = np.clip(np.asarray(packed, dtype=np.float32), 0.0, 1.0)
    rgb = np.stack([p[0], 0.5 * (p[1] + p[2]), p[3]], axis=-1)
    if gains is None:
        means = rgb.reshape(-1, 3).mean(0) + 1e-6
        gains = means[1] / means
    rgb = rgb * np.asarray(gains, dtype=np.float32)
    rgb = rgb / max(float(np.percentile(rgb, 99.5)), 1e-6)  # expose so the bright end is near white
    srgb = np.where(rgb <= 0.0031308, 12.92 * rgb, 1.055 * np.power(np.clip(rgb, 0, None), 1 / 2.4) - 0.055)
    return (np.clip(srgb, 0, 1) * 255 + 0.5).astype(np.uint8)


def comparison_grid(rows: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], out_png: Path | str,
                    tile: int = 192) -> Path:
    """One row per crop: noisy | denoised | clean (each (4, h, w) packed), each tile labelled with its
    PSNR against clean; every view of a row uses the clean crop's white balance and exposure."""
    from studio.evaluation.image_quality import psnr

    lines = []
    for noisy, denoised, clean in rows:
        views = []
        for name, packed in (("noisy", noisy), ("denoised", denoised), ("clean", clean)):
            image = packed_to_rgb(packed / max(_exposure(clean), 1e-6), _gains(clean))
            image = cv2.resize(image, (tile, tile), interpolation=cv2.INTER_NEAREST)
            label = name if name == "clean" else \
                f"{name} {psnr(np.clip(packed, 0, 1), np.clip(clean, 0, 1)):.2f} dB"
            views.append(_labelled(image, label))
        lines.append(np.concatenate(views, axis=1))
    grid = np.concatenate(lines, axis=0)
    ok, png = cv2.imencode(".png", cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    assert ok
    atomic_write_bytes(Path(out_png), png.tobytes())
    return Path(out_png)


def _gains(packed: np.ndarray) -> np.ndarray:
    p = np.clip(packed, 0, 1)
    means = np.array([p[0].mean(), 0.5 * (p[1].mean() + p[2].mean()), p[3].mean()]) + 1e-6
    return means[1] / means


def _exposure(packed: np.ndarray) -> float:
    return float(np.percentile(np.clip(packed, 0, 1), 99.5))


def _labelled(image: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((LABEL_H, image.shape[1], 3), 24, np.uint8)
    cv2.putText(bar, text, (4, LABEL_H - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (235, 235, 235), 1, cv2.LINE_AA)
    return np.concatenate([bar, image], axis=0)
