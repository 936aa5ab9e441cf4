"""The draw tool (W): press, drag and release draws a box of the current class in image pixels,
normalised (x1 < x2, y1 < y2), clipped to the image; one under 2 px a side is ignored. The new box
becomes the selection; the tool stays on for the next box."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from app.canvas import edits

if TYPE_CHECKING:
    from app.canvas.view import CanvasView

RUBBER_Z = 10.0


class DrawBoxTool:
    name = "draw"
    cursor = Qt.CursorShape.CrossCursor
    crosshair = True

    def __init__(self, view: CanvasView) -> None:
        self.view = view
        self.start: QPointF | None = None
        self.rubber: QGraphicsRectItem | None = None

    def press(self, scene: QPointF, viewport: QPointF) -> None:
        if self.view.current_category() is None:
            return
        width, height = self.view.image_size()
        self.start = QPointF(*edits.clip_point(scene.x(), scene.y(), width, height))
        self.rubber = QGraphicsRectItem(QRectF(self.start, self.start))
        pen = QPen(self.view.category_color(self.view.current_category()), 2.0, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.rubber.setPen(pen)
        self.rubber.setBrush(QColor(255, 255, 255, 25))
        self.rubber.setZValue(RUBBER_Z)
        self.view.scene().addItem(self.rubber)

    def move(self, scene: QPointF, viewport: QPointF) -> None:
        if self.start is None or self.rubber is None:
            return
        width, height = self.view.image_size()
        end = QPointF(*edits.clip_point(scene.x(), scene.y(), width, height))
        self.rubber.setRect(QRectF(self.start, end).normalized())

    def release(self, scene: QPointF, viewport: QPointF) -> None:
        start = self.start
        self.cancel()
        category = self.view.current_category()
        if start is None or category is None:
            return
        width, height = self.view.image_size()
        box = edits.normalised_box(start.x(), start.y(), scene.x(), scene.y(), width, height)
        if box is None:
            return
        ann_id = edits.add_box(self.view.session, self.view.image_id, category.id, box)
        self.view.select(ann_id)

    def cancel(self) -> None:
        if self.rubber is not None and self.rubber.scene() is not None:
            self.rubber.scene().removeItem(self.rubber)
        self.start, self.rubber = None, None

    def hint(self) -> str:
        category = self.view.current_category()
        if category is None:
            return "Add a class first: boxes need a class"
        return f"Draw a {category.name} box (Esc: stop drawing)"
