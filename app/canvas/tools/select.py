"""The select tool: click a box to select it (empty space deselects), drag it to move it, drag one of
its 8 handles to resize it, drag a keypoint to move it. Each drag commits one edit on release."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt

from app.canvas.drags import BoxDrag, KeypointDrag
from app.canvas.handles import cursor_for
from app.session import NO_ANNOTATION

if TYPE_CHECKING:
    from app.canvas.view import CanvasView


class SelectTool:
    name = "select"
    cursor = Qt.CursorShape.ArrowCursor
    crosshair = False

    def __init__(self, view: CanvasView) -> None:
        self.view = view
        self.drag: BoxDrag | KeypointDrag | None = None

    def press(self, scene: QPointF, viewport: QPointF) -> None:
        view = self.view
        selected = view.box_item(view.selected_id)
        handle = view.handle_at(viewport)
        if selected is not None and handle is not None:
            self.drag = BoxDrag(view, selected, handle, scene)
            return
        keypoint = view.keypoint_at(viewport)
        if keypoint is not None:
            view.select(keypoint.annotation_id)
            view.active_keypoint = (keypoint.annotation_id, keypoint.index)
            self.drag = KeypointDrag(view, keypoint, scene)
            return
        box = view.box_at(scene)
        if box is None:
            view.select(NO_ANNOTATION)
            return
        view.select(box.annotation_id)
        self.drag = BoxDrag(view, box, None, scene)

    def move(self, scene: QPointF, viewport: QPointF) -> None:
        if self.drag is not None:
            self.drag.move(scene)
            return
        handle = self.view.handle_at(viewport)
        if handle is not None:
            self.view.viewport().setCursor(cursor_for(handle))
        elif self.view.keypoint_at(viewport) is not None or self.view.box_at(scene) is not None:
            self.view.viewport().setCursor(Qt.CursorShape.SizeAllCursor)
        else:
            self.view.viewport().setCursor(self.cursor)

    def release(self, scene: QPointF, viewport: QPointF) -> None:
        drag, self.drag = self.drag, None
        if drag is not None:
            drag.finish(scene)

    def cancel(self) -> None:
        if isinstance(self.drag, BoxDrag):
            self.drag.item.set_rect(self.drag.original)
        elif isinstance(self.drag, KeypointDrag):
            self.drag.item.setPos(self.drag.original)
        self.drag = None

    def hint(self) -> str:
        return ""
