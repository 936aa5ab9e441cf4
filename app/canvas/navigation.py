"""Pan and zoom of a QGraphicsView: wheel zoom around the cursor, 1:1, pan with space+drag or
middle-drag. The view forwards its events; ``Navigator`` answers whether it took them.

Zoom is screen pixels per image pixel, kept within [MIN_ZOOM, MAX_ZOOM].
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QGraphicsView

MIN_ZOOM, MAX_ZOOM = 0.02, 64.0
WHEEL_STEP = 1.0015  # zoom factor per wheel angle unit (120 units = one notch = x1.2)


class Navigator:
    """Pan/zoom state of ``view``: ``panning`` while a pan drag is under way, ``space_held`` while the
    space bar is down (the next left drag pans)."""

    def __init__(self, view: QGraphicsView) -> None:
        self.view = view
        self.space_held = False
        self.panning = False
        self._last: QPoint | None = None

    @property
    def zoom(self) -> float:
        return self.view.transform().m11()

    def zoom_at(self, factor: float, viewport_pos: QPointF) -> None:
        """Scale by ``factor`` (clamped) keeping the scene point under ``viewport_pos`` where it is."""
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom * factor))
        factor = target / self.zoom
        anchor = self.view.mapToScene(viewport_pos.toPoint())
        self.view.scale(factor, factor)
        self._keep(anchor, viewport_pos)

    def actual_size(self, viewport_pos: QPointF | None = None) -> None:
        """1:1 (one screen pixel per image pixel) around ``viewport_pos`` (default: the centre)."""
        pos = viewport_pos if viewport_pos is not None else QPointF(self.view.viewport().rect().center())
        self.zoom_at(1.0 / self.zoom, pos)

    def _keep(self, scene_point: QPointF, viewport_pos: QPointF) -> None:
        now = self.view.mapFromScene(scene_point)
        h, v = self.view.horizontalScrollBar(), self.view.verticalScrollBar()
        h.setValue(h.value() + round(now.x() - viewport_pos.x()))
        v.setValue(v.value() + round(now.y() - viewport_pos.y()))

    # ------------------------------------------------------------------ events from the view
    def key_press(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self.space_held = True
                self.view.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return True
        return False

    def key_release(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.space_held = False
            return True
        return False

    def press(self, event: QMouseEvent) -> bool:
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self.space_held):
            self.panning = True
            self._last = event.position().toPoint()
            self.view.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return True
        return False

    def move(self, event: QMouseEvent) -> bool:
        if not self.panning or self._last is None:
            return False
        pos = event.position().toPoint()
        delta = pos - self._last
        self._last = pos
        h, v = self.view.horizontalScrollBar(), self.view.verticalScrollBar()
        h.setValue(h.value() - delta.x())
        v.setValue(v.value() - delta.y())
        return True

    def release(self, event: QMouseEvent) -> bool:
        if not self.panning:
            return False
        self.panning = False
        self._last = None
        return True
