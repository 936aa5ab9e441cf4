"""Drags of existing items: the item follows the mouse (visual only) and the release commits ONE
edit through ``app.canvas.edits``. Positions are scene coordinates (image pixels)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF

from app.canvas import edits
from app.canvas.handles import Handle, resized
from app.canvas.items import BoxItem, KeypointItem

if TYPE_CHECKING:
    from app.canvas.view import CanvasView


class BoxDrag:
    """Move ``item`` (``handle`` None) or resize it by ``handle`` from scene point ``start``."""

    def __init__(self, view: CanvasView, item: BoxItem, handle: Handle | None, start: QPointF) -> None:
        self.view, self.item, self.handle, self.start = view, item, handle, start
        self.original = QRectF(item.rect())

    def box_at(self, pos: QPointF) -> edits.Box | None:
        """The box the drag would store with the mouse at ``pos`` (None: too small, ignored)."""
        width, height = self.view.image_size()
        r = self.original
        box = (r.left(), r.top(), r.right(), r.bottom())
        if self.handle is None:
            return edits.moved_box(box, pos.x() - self.start.x(), pos.y() - self.start.y(), width, height)
        rect = resized(r, self.handle, pos)
        return edits.normalised_box(rect.left(), rect.top(), rect.right(), rect.bottom(), width, height)

    def move(self, pos: QPointF) -> None:
        box = self.box_at(pos)
        if box is not None:
            self.item.set_rect(QRectF(QPointF(box[0], box[1]), QPointF(box[2], box[3])))

    def finish(self, pos: QPointF) -> None:
        box = self.box_at(pos)
        r = self.original
        if box is None or box == (r.left(), r.top(), r.right(), r.bottom()):
            self.item.set_rect(r)  # a click, or a box squeezed under the minimum: nothing to store
            return
        edits.set_box(self.view.session, self.view.image_id, self.item.annotation_id, box,
                      move=self.handle is None)


class KeypointDrag:
    """Move keypoint ``item`` from scene point ``start``; keeps its visibility."""

    def __init__(self, view: CanvasView, item: KeypointItem, start: QPointF) -> None:
        self.view, self.item = view, item
        self.offset = item.pos() - start
        self.original = QPointF(item.pos())

    def point_at(self, pos: QPointF) -> tuple[float, float]:
        width, height = self.view.image_size()
        target = pos + self.offset
        return edits.clip_point(target.x(), target.y(), width, height)

    def move(self, pos: QPointF) -> None:
        self.item.setPos(QPointF(*self.point_at(pos)))

    def finish(self, pos: QPointF) -> None:
        x, y = self.point_at(pos)
        if (x, y) == (self.original.x(), self.original.y()):
            return
        edits.set_keypoint(self.view.session, self.view.image_id, self.item.annotation_id, self.item.index,
                           x, y, self.item.visibility)
