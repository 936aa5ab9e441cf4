"""Helpers the RAW tests share (import as ``tests.raw_helpers``): tiny synthetic DNGs of any CFA
pattern, written with tifffile as a camera writes an uncompressed DNG, and mosaics whose values say
their colour."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import tifffile

COLOUR_CODES = {"R": 0, "G": 1, "B": 2}
# the value a site of each colour gets in colour_coded(); a site's colour is value // 1000 - 1
COLOUR_VALUES = {"R": 1000, "G": 2000, "B": 3000}


def colour_coded(pattern: str, h: int, w: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """(h, w) uint16 mosaic of ``pattern`` (phase at [0, 0]) whose sites hold COLOUR_VALUES (+ 0..99 of
    noise when rng is given), so a value's colour can be read back: "RGB"[v // 1000 - 1]."""
    tile = np.array([COLOUR_VALUES[c] for c in pattern], dtype=np.uint16).reshape(2, 2)
    out = np.tile(tile, ((h + 1) // 2, (w + 1) // 2))[:h, :w]
    if rng is not None:
        out = out + rng.integers(0, 100, out.shape).astype(np.uint16)
    return out


def colours_of(values: np.ndarray) -> str:
    """The colour letters of colour_coded values, row-major."""
    return "".join("RGB"[int(v) // 1000 - 1] for v in np.asarray(values).ravel())


def synthetic_dng(full: np.ndarray, pattern: str, *, area: tuple[int, int, int, int] | None = None,
                  black: tuple[int, int, int, int] = (64, 64, 64, 64), white: int = 4000,
                  make: str = "Tern", model: str = "Synthetic", iso: int | None = None) -> bytes:
    """An uncompressed DNG of the (H, W) uint16 sensor array ``full`` with CFAPattern ``pattern`` and
    per-site ``black`` (row-major, both relative to ActiveArea's corner; area (top, left, bottom, right),
    default all). No Exif IFD (tifffile does not write one), so no ISO. LibRaw rejects images under 22 px
    a side."""
    h, w = full.shape
    tags = [
        (271, "s", 0, make, True),
        (272, "s", 0, model, True),
        (33421, "H", 2, (2, 2), True),
        (33422, "B", 4, bytes(COLOUR_CODES[c] for c in pattern), True),
        (50706, "B", 4, b"\x01\x04\x00\x00", True),
        (50708, "s", 0, f"{make} {model}", True),
        (50713, "H", 2, (2, 2), True),
        (50714, "I", 4, tuple(black), True),
        (50717, "I", 1, white, True),
        (50721, "2i", 9, (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1), True),  # ColorMatrix1
        (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
        (50829, "I", 4, area or (0, 0, h, w), True),  # ActiveArea
    ]
    buf = io.BytesIO()
    with tifffile.TiffWriter(buf, byteorder="<") as tif:
        tif.write(np.ascontiguousarray(full, dtype=np.uint16), photometric=32803, subfiletype=0,
                  software=False, metadata=None, extratags=sorted(tags))
    return buf.getvalue()


def write_synthetic_dng(path: Path, full: np.ndarray, pattern: str, **kwargs) -> Path:
    path.write_bytes(synthetic_dng(full, pattern, **kwargs))
    return path
