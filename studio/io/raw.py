"""Camera RAW files: the visible Bayer mosaic with its levels (read with rawpy / LibRaw), and packing it to
4 channels in canonical R, Gr, Gb, B order whatever the camera's CFA pattern (DESIGN section 3).

A mosaic is ``(H, W)`` uint16 with H and W even; its pattern names the 2x2 tile at ``mosaic[0:2, 0:2]``
row-major ("RGGB" = R G / G B). Packed is ``(4, H/2, W/2)`` float32: channel c holds
``(x - black[c]) / (white - black[c])``, not clipped (noise below black stays negative). Gr is the green
on the red row, Gb the green on the blue row.
"""

from __future__ import annotations

import contextlib
import logging
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.errors import RawFileError

CFA_PATTERNS = ("RGGB", "BGGR", "GRBG", "GBRG")
PACKED_CHANNELS = ("R", "Gr", "Gb", "B")
# pattern -> (row, col) inside the 2x2 tile of the R, Gr, Gb and B sites
CFA_OFFSETS = {
    "RGGB": ((0, 0), (0, 1), (1, 0), (1, 1)),
    "BGGR": ((1, 1), (1, 0), (0, 1), (0, 0)),
    "GRBG": ((0, 1), (0, 0), (1, 1), (1, 0)),
    "GBRG": ((1, 0), (1, 1), (0, 0), (0, 1)),
}
ZERO_FRACTION = 0.99  # this share of zero pixels or more: a truncated file or a placeholder
PIXELS_PER_BYTE = 1024  # no sensor's data compresses below 1 byte per 1024 pixels (deflate's best is ~1:1000)
PHOTOMETRIC_CFA = 32803

# LibRaw's error classes (rawpy) -> what went wrong and what to do; looked up along the exception's classes
LIBRAW_REASONS = {
    "LibRawFileUnsupportedError": "not a RAW file that LibRaw can read (an unsupported camera or format, a "
                                  "damaged file, or not a RAW file at all): convert it to DNG (e.g. with "
                                  "Adobe DNG Converter)",
    "LibRawIOError": "the file ends early or cannot be read (input/output error): it is probably truncated; "
                     "copy it again from the camera or card",
    "LibRawDataError": "the RAW data is corrupt (data error): copy the file again from the camera or card",
    "LibRawTooBigError": "the image is too big for LibRaw, or a corrupt header claims a huge size: check the "
                         "file, or convert it to DNG",
    "LibRawUnsufficientMemoryError": "not enough memory to decode it: close other programs and try again",
    "LibRawMemPoolOverflowError": "not enough memory to decode it: close other programs and try again",
    "LibRawBadCropError": "its crop area is invalid (a corrupt header): copy the file again",
    "LibRawNotImplementedError": "it uses a RAW feature LibRaw does not implement: convert it to DNG",
    "NotSupportedError": "it uses a RAW feature rawpy does not support: convert it to DNG",
    "LibRawError": "LibRaw cannot decode it: the file is corrupt or unsupported; convert it to DNG",
}


@dataclass(frozen=True, eq=False)
class RawImage:
    """A RAW file's visible Bayer mosaic and what is needed to normalise it and write it back."""

    path: Path
    mosaic: np.ndarray  # (H, W) uint16: the visible area (sensor margins cut), H and W even
    pattern: str  # CFA at mosaic[0:2, 0:2], one of CFA_PATTERNS
    black: tuple[float, float, float, float]  # black level of the packed channels R, Gr, Gb, B
    white: float  # white (saturation) level
    camera: str  # "Make Model" or "unknown"
    iso: float | None  # None when unknown
    origin: tuple[int, int]  # (top, left) of the visible area in the full sensor array
    raw_shape: tuple[int, int]  # the full sensor array (H, W)

    def packed(self) -> np.ndarray:
        """(4, H/2, W/2) float32 in R, Gr, Gb, B order, normalised per channel (module docstring)."""
        return pack(self.mosaic, self.pattern, self.black, self.white)

    def describe(self) -> str:
        """One line: name, camera, CFA, black, white, visible WxH, ISO."""
        black = _number(self.black[0]) if len(set(self.black)) == 1 else "/".join(map(_number, self.black))
        iso = _number(self.iso) if self.iso is not None else "unknown"
        h, w = self.mosaic.shape
        return (f"{self.path.name}: {self.camera}, CFA {self.pattern}, black {black}, "
                f"white {_number(self.white)}, {w}x{h} visible, ISO {iso}")


def _number(x: float) -> str:
    return f"{x:g}"


def raw_info_line(path: Path | str) -> str:
    """``RawImage.describe()`` of the file, or ``"name: why"`` when it cannot be used."""
    try:
        return read_raw(path).describe()
    except RawFileError as exc:
        return f"{Path(path).name}: {exc.reason}"


def read_raw(path: Path | str) -> RawImage:
    """Read a Bayer RAW file's visible mosaic and levels. RawFileError(path, reason) when it is not a file,
    not a RAW file LibRaw reads, truncated or corrupt, not a 2x2 Bayer sensor, or (almost) all zero."""
    import rawpy

    path = Path(path)
    _check_file(path)
    # the file's structure first: LibRaw decodes a truncated DNG into whatever memory held (random levels)
    camera, problem = _tiff_facts(path)
    if problem:
        raise RawFileError(path, problem)
    try:
        with rawpy.imread(str(path)) as raw:
            fields = read_fields(raw, path)
    except (rawpy.LibRawError, rawpy.NotSupportedError) as exc:
        raise RawFileError(path, _libraw_reason(exc)) from None
    mosaic = fields["mosaic"]
    if np.count_nonzero(mosaic) <= (1.0 - ZERO_FRACTION) * mosaic.size:
        raise RawFileError(path, "the image data is (almost) all zero: the file is probably truncated or a "
                                 "placeholder; copy it again from the camera or card")
    return RawImage(path=path, camera=camera, **fields)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise RawFileError(path, "no such file: check the path")
    if path.is_dir():
        raise RawFileError(path, "a folder, not a RAW file: pass the files in it (e.g. folder/*.dng)")
    if not path.is_file():
        raise RawFileError(path, "not a regular file")
    if path.stat().st_size == 0:
        raise RawFileError(path, "the file is empty (0 bytes): copy it again from the camera or card")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise RawFileError(path, f"cannot be opened ({exc.strerror or exc}): check its permissions") from None


def _libraw_reason(exc: Exception) -> str:
    for cls in type(exc).__mro__:
        if cls.__name__ in LIBRAW_REASONS:
            return LIBRAW_REASONS[cls.__name__]
    return f"LibRaw cannot decode it ({exc}): the file is corrupt or unsupported"


def read_fields(raw, path: Path) -> dict:
    """The RawImage fields that rawpy gives (all but path and camera) from an open rawpy handle; RawFileError
    (path, ...) when the sensor is not a 2x2 Bayer one or its levels are impossible."""
    pattern, colors = _bayer_pattern(raw, path)
    levels = raw.black_level_per_channel
    black = tuple(float(levels[colors[dy, dx]]) for dy, dx in CFA_OFFSETS[pattern])
    white = float(raw.white_level)
    if white <= max(black):
        raise RawFileError(path, f"its white level ({white:g}) is not above its black level "
                                 f"({max(black):g}): the file's metadata is corrupt")
    visible = raw.raw_image_visible
    h, w = visible.shape[0] // 2 * 2, visible.shape[1] // 2 * 2  # even sizes: whole 2x2 tiles only
    if h < 2 or w < 2:
        raise RawFileError(path, f"the visible image is only {visible.shape[1]}x{visible.shape[0]} pixels")
    sizes = raw.sizes
    iso = float(raw.other.iso_speed)
    return {
        "mosaic": np.array(visible[:h, :w], dtype=np.uint16, copy=True),
        "pattern": pattern,
        "black": black,
        "white": white,
        "iso": iso if iso > 0 else None,
        "origin": (int(sizes.top_margin), int(sizes.left_margin)),
        "raw_shape": (int(sizes.raw_height), int(sizes.raw_width)),
    }


def _bayer_pattern(raw, path: Path) -> tuple[str, np.ndarray]:
    """The CFA pattern at the visible origin and the (2, 2) colour indices there (RawFileError if the
    sensor is not a 2x2 R/G/B Bayer one)."""
    import rawpy

    why = None
    cfa = raw.raw_pattern
    if raw.raw_type != rawpy.RawType.Flat:
        why = "rawpy raw type Stack, several values per pixel: a scanner, Foveon or demosaiced RAW"
    elif cfa is None:
        why = "no colour filter array"
    elif cfa.shape != (2, 2):
        kind = " (Fujifilm X-Trans)" if cfa.shape == (6, 6) else ""
        why = f"a {cfa.shape[0]}x{cfa.shape[1]} colour filter array{kind}"
    elif raw.num_colors != 3:
        why = f"{raw.num_colors} colours ({raw.color_desc.decode('ascii', 'replace')})"
    if why is None:
        colors = np.asarray(raw.raw_colors_visible[:2, :2])
        desc = raw.color_desc.decode("ascii", "replace")
        name = "".join(desc[i] if i < len(desc) else "?" for i in colors.ravel())
        if name in CFA_PATTERNS:
            return name, colors
        why = f"CFA pattern {name}"
    raise RawFileError(path, f"not a Bayer sensor ({why}): only 2x2 Bayer RAWs can be denoised")


def _tiff_facts(path: Path) -> tuple[str, str | None]:
    """(camera, problem) from the TIFF structure of a TIFF-based RAW (DNG, NEF, CR2, ARW, ...): the
    camera's make and model ("unknown" otherwise) and why the CFA image data cannot be real (None if
    fine or not a TIFF)."""
    import tifffile

    try:
        with _quiet_tifffile(), tifffile.TiffFile(path) as tif:
            first = tif.pages[0]
            camera = camera_name(first.tags)
            page = cfa_page(tif)
            problem = _data_problem(page, path.stat().st_size) if page is not None else None
            return camera, problem
    except (tifffile.TiffFileError, OSError, ValueError, KeyError, IndexError, EOFError, struct.error):
        return "unknown", None


def camera_name(tags) -> str:
    """The camera as "Make Model" (the model alone when it starts with the make), else the
    UniqueCameraModel, else "unknown", from a tifffile tag collection."""
    make, model = _text(tags, "Make"), _text(tags, "Model")
    if make and model:
        return model if model.lower().startswith(make.split()[0].lower()) else f"{make} {model}"
    return model or make or _text(tags, "UniqueCameraModel") or "unknown"


def _text(tags, name: str) -> str:
    tag = tags.get(name)
    value = tag.value if tag is not None else ""
    return value.strip().strip("\x00").strip() if isinstance(value, str) else ""


def cfa_page(tif):
    """The tifffile page holding the CFA (Bayer) image: IFD0 or a SubIFD with PhotometricInterpretation
    32803, the full-resolution one (NewSubfileType 0) first, then the largest; None when there is none."""
    found = []
    for page in tif.pages:
        found.append(page)
        subs = getattr(page, "pages", None)
        if subs is not None and "SubIFDs" in page.tags:
            found.extend(subs)
    cfa = [p for p in found if int(p.tags.valueof("PhotometricInterpretation", 0)) == PHOTOMETRIC_CFA]
    if not cfa:
        return None
    return max(cfa, key=lambda p: (int(p.tags.valueof("NewSubfileType", 0)) == 0,
                                   p.imagewidth * p.imagelength))


def _data_problem(page, file_size: int) -> str | None:
    offsets, counts = page.dataoffsets, page.databytecounts
    if not offsets or not counts:
        return None
    end = max(o + c for o, c in zip(offsets, counts, strict=False))
    if end > file_size:
        return (f"the file ends before its image data does ({file_size} of {end} bytes): it is truncated; "
                "copy it again from the camera or card")
    pixels = page.imagewidth * page.imagelength
    if sum(counts) * PIXELS_PER_BYTE < pixels:
        return (f"the image data is only {sum(counts)} bytes for {page.imagewidth}x{page.imagelength} "
                "pixels: the file is probably truncated or a placeholder")
    return None


@contextlib.contextmanager
def _quiet_tifffile() -> Iterator[None]:
    """tifffile logs about RAW compressions it cannot decode; reading tags only, that is noise here."""
    logger = logging.getLogger("tifffile")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _levels(pattern: str, black: Sequence[float], white: float) -> tuple[tuple, np.ndarray, float]:
    if pattern not in CFA_OFFSETS:
        raise ValueError(f"unknown CFA pattern {pattern!r}: expected one of {', '.join(CFA_PATTERNS)}")
    black_c = np.asarray(black, dtype=np.float64).reshape(-1)
    if black_c.size == 1:
        black_c = np.repeat(black_c, 4)
    if black_c.size != 4:
        raise ValueError(f"black must be 1 or 4 values (R, Gr, Gb, B), got {black_c.size}")
    if not float(white) > black_c.max():
        raise ValueError(f"white level {white} must be above the black levels {black_c.tolist()}")
    return CFA_OFFSETS[pattern], black_c, float(white)


def pack(mosaic: np.ndarray, pattern: str, black: Sequence[float], white: float) -> np.ndarray:
    """(H, W) mosaic of CFA ``pattern`` -> (4, H/2, W/2) float32 R, Gr, Gb, B, each channel
    (x - black[c]) / (white - black[c]), not clipped. ``black`` is per packed channel (or one value)."""
    m = np.asarray(mosaic)
    if m.ndim != 2 or m.shape[0] % 2 or m.shape[1] % 2:
        raise ValueError(f"a mosaic must be (H, W) with H and W even, got shape {m.shape}")
    offsets, black_c, white = _levels(pattern, black, white)
    out = np.empty((4, m.shape[0] // 2, m.shape[1] // 2), dtype=np.float32)
    for c, (dy, dx) in enumerate(offsets):
        out[c] = (m[dy::2, dx::2].astype(np.float64) - black_c[c]) / (white - black_c[c])
    return out


def unpack(packed: np.ndarray, pattern: str, black: Sequence[float], white: float, *,
           clip: bool = False) -> np.ndarray:
    """(4, h, w) packed R, Gr, Gb, B -> (2h, 2w) uint16 mosaic of ``pattern`` in the camera's values,
    rounded; clip=True clips each site to [black, white], else only to the uint16 range. The exact
    inverse of ``pack`` for the same pattern and levels."""
    p = np.asarray(packed)
    if p.ndim != 3 or p.shape[0] != 4:
        raise ValueError(f"packed must be (4, h, w), got shape {p.shape}")
    if not np.isfinite(p).all():
        raise ValueError("packed holds NaN or infinite values")
    offsets, black_c, white = _levels(pattern, black, white)
    out = np.empty((2 * p.shape[1], 2 * p.shape[2]), dtype=np.uint16)
    for c, (dy, dx) in enumerate(offsets):
        values = np.rint(p[c].astype(np.float64) * (white - black_c[c]) + black_c[c])
        low, high = (np.ceil(black_c[c]), np.floor(white)) if clip else (0.0, 65535.0)
        out[dy::2, dx::2] = np.clip(values, max(low, 0.0), min(high, 65535.0))
    return out
