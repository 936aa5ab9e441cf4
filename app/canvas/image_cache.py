"""Decoding images off the UI thread, and an LRU of decoded images so D/A switches paint from memory.

A decoded image is a ``Pyramid``: level 0 at full resolution (EXIF orientation applied, as the store's
boxes are), each next level half the previous, down to ``PYRAMID_MIN`` px on the long side. A preview
is a one-level Pyramid decoded at a reduced size (JPEG DCT scaling makes that several times faster).

``ImageCache.request(path)`` decodes on its QThreadPool (QRunnable + QImageReader) and answers with
``decoded(path, Pyramid)`` / ``failed(path, message)`` on the UI thread; ``prefetch(paths)`` does the
same at a lower priority for the neighbours and drops queued work for paths no longer wanted.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageIOHandler, QImageReader

PREVIEW_SIDE = 2048  # a preview's long side is about this (the next JPEG DCT scale at or above 1500)
PYRAMID_MIN = 1024  # the smallest level's long side
ALLOCATION_LIMIT_MB = 4096  # Qt's default 256 MB refuses a 12,000 x 9,000 image
FULL_PRIORITY, PREVIEW_PRIORITY, PREFETCH_PRIORITY = 2, 3, 0


@dataclass(frozen=True)
class Pyramid:
    """levels[0] is the largest decoded level; level k is about levels[0] / 2**k. ``full`` is False
    for a preview. ``source_size`` is the oriented size of the file's full image (w, h)."""

    levels: tuple[QImage, ...]
    full: bool
    source_size: tuple[int, int]

    @property
    def nbytes(self) -> int:
        return sum(level.sizeInBytes() for level in self.levels)


def preview_size(size: QSize) -> QSize | None:
    """The reduced decode size for a raw (un-oriented) ``size``: size / 2**k with the largest k whose
    long side stays >= 1500 px; None when the image is small enough to decode whole."""
    long_side = max(size.width(), size.height())
    if long_side <= PREVIEW_SIDE:
        return None
    k = math.floor(math.log2(long_side / 1500))
    d = 2 ** max(k, 1)
    return QSize(math.ceil(size.width() / d), math.ceil(size.height() / d))


def decode(path: str, *, preview: bool) -> Pyramid:
    """Read ``path`` (orientation applied). Raises OSError with Qt's reason when it cannot be read."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    raw = reader.size()
    if not raw.isValid():
        raise OSError(f"cannot read {path}: {reader.errorString()}")
    oriented = (raw.height(), raw.width()) if _swaps_axes(reader) else (raw.width(), raw.height())
    small = preview_size(raw) if preview else None
    if small is not None:
        reader.setScaledSize(small)
    image = reader.read()
    if image.isNull():
        raise OSError(f"cannot decode {path}: {reader.errorString()}")
    image = _paintable(image)
    levels = [image] if preview else _halvings(image)
    return Pyramid(tuple(levels), full=not preview, source_size=oriented)


def _swaps_axes(reader: QImageReader) -> bool:
    return bool(reader.transformation() & QImageIOHandler.Transformation.TransformationRotate90)


def _paintable(image: QImage) -> QImage:
    """The formats the raster engine draws fastest."""
    if image.hasAlphaChannel():
        return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    if image.format() != QImage.Format.Format_RGB32:
        return image.convertToFormat(QImage.Format.Format_RGB32)
    return image


def _halvings(image: QImage) -> list[QImage]:
    levels = [image]
    while max(levels[-1].width(), levels[-1].height()) > PYRAMID_MIN:
        last = levels[-1]
        levels.append(last.scaled(max(1, last.width() // 2), max(1, last.height() // 2),
                                  Qt.AspectRatioMode.IgnoreAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation))
    return levels


class _Relay(QObject):
    """Lives on the UI thread; workers emit through it, so receivers run on the UI thread. (Never
    None through an ``object`` argument across threads: PySide6 then under-counts None's references.)"""

    done = Signal(str, bool, object)  # path, preview, Pyramid
    failed = Signal(str, bool, str)  # path, preview, error message


class _DecodeTask(QRunnable):
    def __init__(self, path: str, preview: bool, relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the cache keeps it to cancel it with tryTake
        self.path, self.preview, self.relay = path, preview, relay
        self.priority = 0

    def run(self) -> None:
        try:
            pyramid = decode(self.path, preview=self.preview)
        except OSError as exc:
            self.relay.failed.emit(self.path, self.preview, str(exc))
            return
        self.relay.done.emit(self.path, self.preview, pyramid)


class ImageCache(QObject):
    """LRU of full-resolution Pyramids by path string, within ``budget_bytes``; decodes in a pool.

    Signals (UI thread): ``decoded(str path, Pyramid)`` for a full image or a preview (check
    ``Pyramid.full``); ``failed(str path, str message)``.
    """

    decoded = Signal(str, object)
    failed = Signal(str, str)

    def __init__(self, budget_bytes: int = 512 * 2**20, threads: int | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        if QImageReader.allocationLimit() < ALLOCATION_LIMIT_MB:
            QImageReader.setAllocationLimit(ALLOCATION_LIMIT_MB)
        self.budget_bytes = budget_bytes
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads or max(2, min(4, (os.cpu_count() or 2) - 1)))
        self._lru: OrderedDict[str, Pyramid] = OrderedDict()
        self._bytes = 0
        self._tasks: dict[tuple[str, bool], _DecodeTask] = {}
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)
        self._relay.failed.connect(self._on_failed)

    # ------------------------------------------------------------------ reading
    def get(self, path: Path | str) -> Pyramid | None:
        """The cached full image of ``path`` (now the most recently used), or None."""
        key = str(path)
        pyramid = self._lru.get(key)
        if pyramid is not None:
            self._lru.move_to_end(key)
        return pyramid

    def __contains__(self, path: object) -> bool:
        return str(path) in self._lru

    @property
    def nbytes(self) -> int:
        return self._bytes

    # ------------------------------------------------------------------ decoding
    def request(self, path: Path | str, *, preview: bool = False) -> None:
        """Decode ``path`` soon (a preview first when ``preview``); answers with decoded/failed."""
        key = str(path)
        if preview and key not in self._lru:
            self._submit(key, True, PREVIEW_PRIORITY)
        self._submit(key, False, FULL_PRIORITY)

    def prefetch(self, paths: list[Path | str], keep: tuple[Path | str, ...] = ()) -> None:
        """Decode ``paths`` at low priority (those not cached already); queued decodes of any other
        path except ``keep`` are dropped (the user moved on)."""
        wanted = {str(p) for p in (*paths, *keep)}
        for (key, preview), task in list(self._tasks.items()):
            if key not in wanted and self.pool.tryTake(task):
                del self._tasks[(key, preview)]
        for path in paths:
            self._submit(str(path), False, PREFETCH_PRIORITY)

    def wait(self, msecs: int = -1) -> bool:
        """Block until the pool is idle (benchmarks and tests); queued results arrive after."""
        return self.pool.waitForDone(msecs)

    def _submit(self, key: str, preview: bool, priority: int) -> None:
        if not preview and key in self._lru:
            return
        queued = self._tasks.get((key, preview))
        if queued is not None:
            if priority > queued.priority and self.pool.tryTake(queued):  # a prefetch now wanted first
                queued.priority = priority
                self.pool.start(queued, priority)
            return  # running already, or queued at least as urgently
        task = _DecodeTask(key, preview, self._relay)
        task.priority = priority
        self._tasks[(key, preview)] = task
        self.pool.start(task, priority)

    def _on_failed(self, path: str, preview: bool, error: str) -> None:
        self._tasks.pop((path, preview), None)
        if not preview:
            self.failed.emit(path, error)

    def _on_done(self, path: str, preview: bool, pyramid: Pyramid) -> None:
        self._tasks.pop((path, preview), None)
        if pyramid.full:
            self._store(path, pyramid)
        elif path in self._lru:  # the full image beat its preview
            return
        self.decoded.emit(path, pyramid)

    def _store(self, path: str, pyramid: Pyramid) -> None:
        if path in self._lru:
            self._bytes -= self._lru.pop(path).nbytes
        if pyramid.nbytes > self.budget_bytes:
            return  # larger than the whole cache: shown, never kept
        self._lru[path] = pyramid
        self._bytes += pyramid.nbytes
        while self._bytes > self.budget_bytes and len(self._lru) > 1:
            _, old = self._lru.popitem(last=False)
            self._bytes -= old.nbytes
