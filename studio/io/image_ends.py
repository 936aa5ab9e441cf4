"""A cheap truncation check: does a JPEG or PNG file end the way its format ends?

``tern data check`` runs it on every image by default: reading a file's last bytes costs almost
nothing, while a full decode (``--verify-images``) costs milliseconds an image. It finds the usual
damage, a download or copy cut short; other formats and subtler damage need the full decode.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from studio.annotations import Sample
from studio.io.problems import Problem, UnreadableImage

JPEG_START, JPEG_END = b"\xff\xd8", b"\xff\xd9"
PNG_START, PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND"
TRAILER_WINDOW = 65536  # some cameras append data after the end marker: look this far back


def truncation_reason(path: Path | str) -> str | None:
    """'truncated JPEG (no end marker)' / 'truncated PNG (no IEND chunk)' when the file stops short,
    else None (also for other formats and unreadable files, which other checks report)."""
    try:
        with open(path, "rb") as fh:
            start = fh.read(8)
            size = fh.seek(0, os.SEEK_END)
            if start.startswith(JPEG_START):
                return None if _ends_with(fh, size, JPEG_END) else "truncated JPEG (no end marker)"
            if start.startswith(PNG_START):
                return None if _ends_with(fh, size, PNG_END) else "truncated PNG (no IEND chunk)"
    except OSError:
        return None
    return None


def _ends_with(fh, size: int, marker: bytes) -> bool:
    fh.seek(max(0, size - 12))
    if marker in fh.read(12):
        return True
    fh.seek(max(0, size - TRAILER_WINDOW))
    return marker in fh.read(TRAILER_WINDOW)


def truncated_images(samples: Iterable[Sample], workers: int = 8) -> list[Problem]:
    """An UnreadableImage problem for each sample whose image file is cut short."""
    paths = [s.path for s in samples if s.path is not None]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        reasons = list(pool.map(truncation_reason, paths, chunksize=256))
    return [UnreadableImage(path, None, reason) for path, reason in zip(paths, reasons, strict=True)
            if reason]
