"""The image under the boxes: one QGraphicsObject that shows an image of any size smoothly.

Item coordinates are the image's pixels after its EXIF orientation (the store's width x height), so
``boundingRect()`` is ``(0, 0, width, height)`` from ``set_image`` on and boxes can be drawn before
any pixel arrives. Decoding happens in ``ImageCache``'s thread pool: a reduced preview first (large
images only), then the full-resolution pyramid. A paint picks the pyramid level that matches the view's
scale (``levelOfDetailFromTransform``; never downscaling a level more than 2x) and draws only the
``TILE`` x ``TILE`` cells of that level that intersect the exposed rect, in one ``drawImage`` of their
union (no seams), so a pan/zoom frame never scales a whole 12,000 x 9,000 image.

Use::

    layer = ImageLayer(cache); scene.addItem(layer); layer.setZValue(-1)
    layer.set_image(row.path, row.width, row.height)   # None: clears (empty rect)
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QStyleOptionGraphicsItem, QWidget

from app.canvas.image_cache import ImageCache, Pyramid

TILE = 1024  # tile side in level pixels
SMOOTH_BELOW = 3.0  # screen px per image px under which pixels are interpolated (above: crisp pixels)
PLACEHOLDER = QColor("#3a3f46")


class ImageLayer(QGraphicsObject):
    """Signals: ``first_paint_ready()`` when something can be painted (a preview or the full image),
    ``full_resolution_ready()`` when the full pyramid is in, ``load_failed(str)`` with a message (the
    item then paints a grey placeholder saying so). Results for an image no longer shown are dropped.
    ``tiles_painted`` counts the cells drawn by the last paint (for tests and benchmarks)."""

    first_paint_ready = Signal()
    full_resolution_ready = Signal()
    load_failed = Signal(str)

    def __init__(self, cache: ImageCache, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.cache = cache
        self.path: str | None = None
        self._rect = QRectF()
        self._pyramid: Pyramid | None = None
        self.error: str | None = None
        self.tiles_painted = 0
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # a true exposedRect
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks belong to the tools
        cache.decoded.connect(self._on_decoded)
        cache.failed.connect(self._on_failed)

    # ------------------------------------------------------------------ API
    def set_image(self, path: Path | str | None, width: int, height: int) -> None:
        """Show ``path`` in the rect (0, 0, width, height); None clears. Paints at once when the
        cache holds it, else shows nothing (or the placeholder) until the decode answers."""
        self.prepareGeometryChange()
        self._rect = QRectF(0, 0, width, height) if path is not None else QRectF()
        self.path = str(path) if path is not None else None
        self._pyramid, self.error = None, None
        self.update()
        if self.path is None:
            return
        cached = self.cache.get(self.path)
        if cached is not None:
            self._show(cached)
        else:
            self.cache.request(self.path, preview=True)

    @property
    def is_full_resolution(self) -> bool:
        return self._pyramid is not None and self._pyramid.full

    @property
    def has_pixels(self) -> bool:
        return self._pyramid is not None

    def pyramid(self) -> Pyramid | None:
        return self._pyramid

    # ------------------------------------------------------------------ decode results
    def _on_decoded(self, path: str, pyramid: Pyramid) -> None:
        if path != self.path or self.is_full_resolution:
            return  # stale, or a preview after the full image
        self._show(pyramid)

    def _on_failed(self, path: str, message: str) -> None:
        if path != self.path:
            return
        self.error = message
        self.update()
        self.load_failed.emit(message)

    def _show(self, pyramid: Pyramid) -> None:
        first = self._pyramid is None
        self._pyramid = pyramid
        self.update()
        if first:
            self.first_paint_ready.emit()
        if pyramid.full:
            self.full_resolution_ready.emit()

    # ------------------------------------------------------------------ painting
    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        self.tiles_painted = 0
        if self._rect.isEmpty():
            return
        exposed = _visible(painter, option.exposedRect).intersected(self._rect)
        if self._pyramid is None:
            if self.error is not None:
                self._paint_placeholder(painter)
            return
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        image, scale = self._level(lod)
        cells = visible_cells(exposed, scale, image.width(), image.height())
        if not cells:
            return
        self.tiles_painted = len(cells)
        source = cells[0]
        for cell in cells[1:]:
            source = source.united(cell)
        target = QRectF(source.x() / scale[0], source.y() / scale[1],
                        source.width() / scale[0], source.height() / scale[1])
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, lod < SMOOTH_BELOW)
        painter.drawImage(target, image, QRectF(source))

    def _level(self, lod: float):
        """The smallest level still at least ``lod`` level px per item px, and its (sx, sy) scale."""
        assert self._pyramid is not None
        w, h = self._rect.width(), self._rect.height()
        chosen = self._pyramid.levels[0]
        for level in self._pyramid.levels:
            if level.width() / w >= lod * 0.999:
                chosen = level
        return chosen, (chosen.width() / w, chosen.height() / h)

    def _paint_placeholder(self, painter: QPainter) -> None:
        painter.fillRect(self._rect, PLACEHOLDER)
        painter.setPen(QPen(QColor("#8a9099"), 0, Qt.PenStyle.DashLine))
        painter.drawRect(self._rect)
        font = QFont()
        font.setPixelSize(max(6, int(self._rect.height() / 30)))
        painter.setFont(font)
        painter.setPen(QColor("#e6e6e6"))
        margin = self._rect.width() * 0.04
        text = f"Image not available\n{self.error}"
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        painter.drawText(self._rect.adjusted(margin, margin, -margin, -margin), flags, text)


def _visible(painter: QPainter, exposed: QRectF) -> QRectF:
    """What of the item can show: the exposed rect within the device and the clip (view.render() and
    some scene paths expose the whole item)."""
    inverse, ok = painter.worldTransform().inverted()
    device = painter.device()
    if ok and device is not None:
        on_device = inverse.mapRect(QRectF(0, 0, device.width(), device.height()))
        exposed = on_device if exposed.isEmpty() else exposed.intersected(on_device)
    if painter.hasClipping():
        exposed = exposed.intersected(painter.clipBoundingRect())
    return exposed


def visible_cells(exposed: QRectF, scale: tuple[float, float], width: int, height: int) -> list[QRect]:
    """The TILE x TILE cells of a ``width`` x ``height`` level that intersect ``exposed`` (item
    coordinates; level px = item px * scale), clipped to the level."""
    x0 = max(0, math.floor(exposed.left() * scale[0] / TILE))
    y0 = max(0, math.floor(exposed.top() * scale[1] / TILE))
    x1 = min(math.ceil(width / TILE), math.ceil(exposed.right() * scale[0] / TILE))
    y1 = min(math.ceil(height / TILE), math.ceil(exposed.bottom() * scale[1] / TILE))
    bounds = QRect(0, 0, width, height)
    return [QRect(tx * TILE, ty * TILE, TILE, TILE).intersected(bounds)
            for ty in range(y0, y1) for tx in range(x0, x1)]
