"""Image files: sizes from headers, full-decode checks, loading as RGB arrays, listing folders.

Sizes and pixels are those of the image AFTER its EXIF orientation is applied (DESIGN section 3):
a photo stored 4000x3000 with orientation 6 (rotate 90) is 3000x4000 here, and boxes refer to that.
Nothing here changes global Pillow state (``ImageFile.LOAD_TRUNCATED_IMAGES`` stays False).
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from studio.errors import StudioError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")

_ORIENTATION_TAG = 0x0112
_SWAPPING_ORIENTATIONS = (5, 6, 7, 8)  # transpose / rotate 270 / transverse / rotate 90
HEAD_BYTES = 32768
_HEAD_FORMATS = ("JPEG", "MPO", "PNG", "BMP", "WEBP")
_FORMAT_HINTS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".bmp": "BMP", ".tif": "TIFF",
                 ".tiff": "TIFF", ".webp": "WEBP"}


class ImageReadError(StudioError):
    """An image file is missing or cannot be read: ``path`` and a short ``reason``."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: cannot read image ({reason}); replace or remove the file")


def is_image_file(name: str | Path) -> bool:
    """True when the name ends in one of IMAGE_EXTENSIONS (any case)."""
    return os.path.splitext(str(name))[1].lower() in IMAGE_EXTENSIONS


def _open(path: Path) -> Image.Image:
    """Open lazily (header only), trying the format the extension names first."""
    hint = _FORMAT_HINTS.get(path.suffix.lower())
    if hint is not None:
        try:
            return Image.open(path, formats=[hint])
        except UnidentifiedImageError:
            pass  # wrong extension: let Pillow try every format below
    return Image.open(path)


def _orientation(image: Image.Image) -> int:
    """EXIF orientation (1..8) read from the header; 1 when absent. Never decodes pixels."""
    if image.format in ("TIFF", "MPO") or (image.format == "JPEG" and "exif" in image.info):
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    elif "exif" in image.info:  # PNG eXIf / WebP EXIF chunk: parse the raw bytes only
        exif = Image.Exif()
        exif.load(image.info["exif"])
        value = exif.get(_ORIENTATION_TAG, 1)
    else:
        return 1
    return value if isinstance(value, int) else 1


def _reason(exc: BaseException) -> str:
    """A short human reason for a Pillow / OS failure."""
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, IsADirectoryError):
        return "is a folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, UnidentifiedImageError):
        return "not an image"
    if isinstance(exc, Image.DecompressionBombError):
        return "too many pixels (decompression bomb guard)"
    text = str(exc).lower()
    if "truncated" in text or "premature end" in text or "broken data stream" in text:
        return "truncated file"
    if isinstance(exc, SyntaxError):
        return f"corrupt header: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def read_image_head(path: Path | str) -> bytes | None:
    """The first HEAD_BYTES of a file (enough for nearly every header), or None when unreadable.

    Cheap raw I/O meant for worker threads; hand the bytes to ``read_image_size(path, head)``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        return os.read(fd, HEAD_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)


def _size_from_head(head: bytes, path: Path) -> tuple[int, int] | None:
    """Parse (width, height, orientation) from ``head``; None when the header does not fit in it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with _open_bytes(head, path) as image:
                if image.format not in _HEAD_FORMATS:
                    return None  # e.g. TIFF: its directories may lie anywhere in the file
                size, orientation = image.size, _orientation(image)
    except Exception:  # any failure on a partial header: read_image_size re-reads the whole file
        return None
    return (size[1], size[0]) if orientation in _SWAPPING_ORIENTATIONS else size


def _open_bytes(head: bytes, path: Path) -> Image.Image:
    hint = _FORMAT_HINTS.get(path.suffix.lower())
    return Image.open(io.BytesIO(head), formats=[hint] if hint else None)


def read_image_size(path: Path | str, head: bytes | None = None) -> tuple[int, int]:
    """(width, height) after EXIF orientation, from the header only (no pixel decode).

    ``head``: the file's first bytes from ``read_image_head`` (parsed without touching the file
    again when the header fits). Raises ImageReadError for a missing or unreadable file.
    """
    path = Path(path)
    if head:
        size = _size_from_head(head, path)
        if size is not None:
            return size
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with _open(path) as image:
                width, height = image.size
                orientation = _orientation(image)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise ImageReadError(path, _reason(exc)) from exc
    if orientation in _SWAPPING_ORIENTATIONS:
        return height, width
    return width, height


def verify_image(path: Path | str) -> str | None:
    """Decode the whole image; a short reason ("truncated file", "not an image", ...) or None if fine."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with _open(path) as image:
                image.load()
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        return _reason(exc)
    return None


def load_image(path: Path | str) -> np.ndarray:
    """The image as an (H, W, 3) uint8 RGB array, EXIF orientation applied. Raises ImageReadError."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with _open(path) as image:
                oriented = ImageOps.exif_transpose(image)
                return np.asarray(oriented.convert("RGB"), dtype=np.uint8)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise ImageReadError(path, _reason(exc)) from exc


def list_images(folder: Path | str) -> list[Path]:
    """Every image file under ``folder`` (recursive, by extension, any case), sorted by path."""
    return [Path(p) for p in image_files(folder)]


def image_files(folder: Path | str) -> list[str]:
    """list_images as plain path strings (cheaper for 100,000s of files)."""
    found: list[str] = []
    stack = [os.fspath(folder)]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for entry in entries:
            if entry.is_dir():
                stack.append(entry.path)
            elif is_image_file(entry.name):
                found.append(entry.path)
    found.sort()
    return found
