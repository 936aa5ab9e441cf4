"""Thumbnails for the images dock: made lazily on a background pool, kept on disk and in memory.

``ThumbnailStore.get(path)`` answers at once from memory or returns None and schedules the work: a
worker looks for ``<folder>/<key>.jpg`` (``.png`` when the image has alpha), where key is the sha1 of
the absolute path, the file's mtime (ns) and size, else decodes the image scaled (QImageReader, EXIF
orientation applied, long side ``SIDE`` px) and writes that file atomically. ``ready(str path)`` then
fires on the UI thread; a file that cannot be read fires ``missing(str path)`` (or ``failed``) once
and ``state(path)`` says so, which is how the list marks missing images lazily, per visible row.
The default folder is ``platformdirs.user_cache_dir("tern-studio")/thumbs``.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from pathlib import Path

import platformdirs
from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

SIDE = 192  # long side of a thumbnail in px
MEMORY_BUDGET = 96 * 2**20  # bytes of thumbnails kept decoded
READY, PENDING, MISSING, FAILED = "ready", "pending", "missing", "failed"


def default_folder() -> Path:
    return Path(platformdirs.user_cache_dir("tern-studio")) / "thumbs"


def cache_key(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha1(f"{os.path.abspath(path)}\0{mtime_ns}\0{size}".encode()).hexdigest()


def make_thumbnail(path: str, folder: Path) -> tuple[QImage, bool]:
    """(thumbnail, came from disk). Raises FileNotFoundError when ``path`` is not a file, OSError
    when it cannot be decoded or the cache file cannot be written."""
    st = os.stat(path)  # FileNotFoundError for a missing image
    key = cache_key(path, st.st_mtime_ns, st.st_size)
    for suffix in (".jpg", ".png"):
        cached = folder / f"{key}{suffix}"
        if cached.is_file():
            image = QImage(str(cached))
            if not image.isNull():
                return image, True
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    size = reader.size()
    if not size.isValid():
        raise OSError(f"cannot read {path}: {reader.errorString()}")
    if max(size.width(), size.height()) > SIDE:
        reader.setScaledSize(size.scaled(QSize(SIDE, SIDE), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        raise OSError(f"cannot decode {path}: {reader.errorString()}")
    _write(image, folder, key)
    return image, False


def _write(image: QImage, folder: Path, key: str) -> None:
    """Atomically (temp file + rename): a reader never sees half a thumbnail."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix, fmt = (".png", "PNG") if image.hasAlphaChannel() else (".jpg", "JPG")
    temp = folder / f".{key}.{os.getpid()}.{id(image)}.tmp"
    if not image.save(str(temp), fmt, 85):
        raise OSError(f"cannot write a thumbnail to {folder}")
    os.replace(temp, folder / f"{key}{suffix}")


class _Relay(QObject):
    # path, QImage (null when none), state, from disk. Never None through an ``object`` argument
    # across threads: PySide6 then under-counts None's references and the process aborts.
    done = Signal(str, QImage, str, bool)


class _ThumbTask(QRunnable):
    def __init__(self, path: str, folder: Path, relay: _Relay) -> None:
        super().__init__()
        self.path, self.folder, self.relay = path, folder, relay

    def run(self) -> None:
        try:
            image, from_disk = make_thumbnail(self.path, self.folder)
            self.relay.done.emit(self.path, image, READY, from_disk)
        except FileNotFoundError:
            self.relay.done.emit(self.path, QImage(), MISSING, False)
        except OSError:
            self.relay.done.emit(self.path, QImage(), FAILED, False)


class ThumbnailStore(QObject):
    """Signals (UI thread): ``ready(str path)``, ``missing(str path)``, ``failed(str path)``.
    ``disk_hits`` / ``decodes`` count where thumbnails came from (tests, benchmarks)."""

    ready = Signal(str)
    missing = Signal(str)
    failed = Signal(str)

    def __init__(self, folder: Path | None = None, threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = Path(folder) if folder is not None else default_folder()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._images: OrderedDict[str, QImage] = OrderedDict()
        self._bytes = 0
        self._states: dict[str, str] = {}
        self.disk_hits = 0
        self.decodes = 0
        self._seq = 0
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)

    def get(self, path: Path | str) -> QImage | None:
        """The thumbnail if it is in memory; else None, and one is scheduled (once per path)."""
        key = str(path)
        image = self._images.get(key)
        if image is not None:
            self._images.move_to_end(key)
            return image
        if key not in self._states:
            self._states[key] = PENDING
            self._seq += 1  # the newest request first: rows scrolled past wait behind visible ones
            self.pool.start(_ThumbTask(key, self.folder, self._relay), self._seq)
        return None

    def state(self, path: Path | str) -> str | None:
        """READY, PENDING, MISSING, FAILED, or None when never asked."""
        return self._states.get(str(path))

    def forget_problems(self) -> None:
        """Ask again for files that were missing or unreadable (after a relink)."""
        self._states = {k: v for k, v in self._states.items() if v not in (MISSING, FAILED)}

    def clear_queue(self) -> None:
        """Drop thumbnails not yet started (the list was reset); they are asked again when shown."""
        self.pool.clear()
        self._states = {k: v for k, v in self._states.items() if v != PENDING}

    def wait(self, msecs: int = -1) -> bool:
        return self.pool.waitForDone(msecs)

    def _on_done(self, path: str, image: QImage, state: str, from_disk: bool) -> None:
        if self._states.get(path) != PENDING:
            return  # cleared meanwhile
        self._states[path] = state
        if state != READY:
            (self.missing if state == MISSING else self.failed).emit(path)
            return
        self.disk_hits += from_disk
        self.decodes += not from_disk
        self._images[path] = image
        self._bytes += image.sizeInBytes()
        while self._bytes > MEMORY_BUDGET and len(self._images) > 1:
            old_path, old = self._images.popitem(last=False)
            self._bytes -= old.sizeInBytes()
            self._states.pop(old_path, None)  # asked again (from disk) when shown again
        self.ready.emit(path)
