"""A cheap truncation check: does a JPEG or PNG file end the way its format ends?

``tern data check`` runs it on every image by default: reading a file's last bytes costs almost
nothing, while a full decode (``--verify-images``) costs milliseconds an image. It finds the usual
damage, a download or copy cut short; other formats and subtler damage need the full decode.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
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
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        start = os.pread(fd, 8, 0) if hasattr(os, "pread") else os.read(fd, 8)
        if start.startswith(JPEG_START):
            return None if _ends_with(fd, JPEG_END) else "truncated JPEG (no end marker)"
        if start.startswith(PNG_START):
            return None if _ends_with(fd, PNG_END) else "truncated PNG (no IEND chunk)"
        return None
    except OSError:
        return None
    finally:
        os.close(fd)


def _ends_with(fd: int, marker: bytes) -> bool:
    size = os.fstat(fd).st_size
    for window in (12, TRAILER_WINDOW):
        os.lseek(fd, max(0, size - window), os.SEEK_SET)
        if marker in os.read(fd, window):
            return True
    return False


def truncated_images(samples: Iterable[Sample]) -> list[Problem]:
    """An UnreadableImage problem for each sample whose image file is cut short. Serial on purpose:
    about 10 µs a file here, and threads only add lock contention to so little work."""
    found = ((s.path, truncation_reason(s.path)) for s in samples if s.path is not None)
    return [UnreadableImage(path, None, reason) for path, reason in found if reason]
