"""Atomic file writes: write a temp file beside the target, fsync, then rename over it.

A failure midway (full disk, a kill) leaves the old file intact and no half-written file behind.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_open(path: Path | str, mode: str = "w", encoding: str | None = "utf-8") -> Iterator:
    """Open a temp file for writing; on a clean exit it replaces ``path``, else it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    binary = "b" in mode
    try:
        with os.fdopen(fd, mode, encoding=None if binary else encoding,
                       newline=None if binary else "") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600; give what a plain open() would
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _mode_for(path: Path) -> int:
    """The replaced file's permissions, or 0666 less the umask for a new file."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return 0o666 & ~_umask()


@functools.cache
def _umask() -> int:
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()


def atomic_write_text(path: Path | str, text: str) -> None:
    with atomic_open(path, "w") as fh:
        fh.write(text)


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    with atomic_open(path, "wb", encoding=None) as fh:
        fh.write(data)


def place_file(source: Path | None, target: Path, mode: str) -> bool:
    """Put ``source`` at ``target`` atomically: mode "link" hard-links (falling back to a copy across
    devices or where links are refused), "copy" copies. False when there is no source file."""
    if source is None or not source.is_file():
        return False
    if target.exists() and os.path.samefile(source, target):
        return True
    target.parent.mkdir(parents=True, exist_ok=True)
    if mode == "link":
        temp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.link")
        try:
            os.link(source, temp)
            os.replace(temp, target)
            return True
        except OSError:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
    with atomic_open(target, "wb", encoding=None) as out, open(source, "rb") as src:
        shutil.copyfileobj(src, out, 1 << 20)
    return True
