"""The keypoint tool (K): each click places the next unlabeled keypoint (v = 0 in the (K, 3) array,
in index order) of the selected box with v = 2; the hint names the one that comes next. Pressing on
one of the box's keypoints drags it instead. After the last one the view returns to the select tool."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, Qt

from app.canvas import edits
from app.canvas.drags import KeypointDrag

if TYPE_CHECKING:
    from app.canvas.view import CanvasView
    from studio.store.rows import AnnotationRow


def next_keypoint(keypoints: np.ndarray | None, count: int) -> int | None:
    """Index of the first keypoint with v = 0 (all of them when there are none yet), None when all
    ``count`` are labeled."""
    if keypoints is None:
        return 0 if count > 0 else None
    free = np.flatnonzero(np.asarray(keypoints)[:, 2] <= 0)
    return int(free[0]) if len(free) else None


class KeypointTool:
    name = "keypoints"
    cursor = Qt.CursorShape.CrossCursor
    crosshair = True

    def __init__(self, view: CanvasView) -> None:
        self.view = view
        self.drag: KeypointDrag | None = None

    def _target(self) -> tuple[AnnotationRow, int, list[str]] | None:
        """(selected object, keypoint count K, names) when keypoints can be placed on it."""
        view = self.view
        project = view.session.project
        annotation = view.selected_annotation()
        if project is None or annotation is None or not project.kpt_shape:
            return None
        count = project.kpt_shape[0]
        category = next((c for c in view.session.categories() if c.id == annotation.category_id), None)
        names = list(category.keypoints) if category is not None else []
        return annotation, count, names

    def press(self, scene: QPointF, viewport: QPointF) -> None:
        view = self.view
        keypoint = view.keypoint_at(viewport)
        if keypoint is not None and keypoint.annotation_id == view.selected_id:
            view.active_keypoint = (keypoint.annotation_id, keypoint.index)
            self.drag = KeypointDrag(view, keypoint, scene)
            return
        target = self._target()
        if target is None:
            return
        annotation, count, _ = target
        k = next_keypoint(annotation.keypoints, count)
        if k is None:
            return
        width, height = view.image_size()
        x, y = edits.clip_point(scene.x(), scene.y(), width, height)
        edits.set_keypoint(view.session, view.image_id, annotation.id, k, x, y, 2)
        view.active_keypoint = (annotation.id, k)
        placed = view.selected_annotation()
        if placed is not None and next_keypoint(placed.keypoints, count) is None:
            view.set_tool("select")

    def move(self, scene: QPointF, viewport: QPointF) -> None:
        if self.drag is not None:
            self.drag.move(scene)

    def release(self, scene: QPointF, viewport: QPointF) -> None:
        drag, self.drag = self.drag, None
        if drag is not None:
            drag.finish(scene)

    def cancel(self) -> None:
        if self.drag is not None:
            self.drag.item.setPos(self.drag.original)
        self.drag = None

    def hint(self) -> str:
        target = self._target()
        if target is None:
            project = self.view.session.project
            if project is not None and not project.kpt_shape:
                return "This project has no keypoints (set a skeleton first)"
            return "Select a box to place its keypoints"
        annotation, count, names = target
        k = next_keypoint(annotation.keypoints, count)
        if k is None:
            return f"All {count} keypoints placed"
        name = names[k] if k < len(names) else f"keypoint {k + 1}"
        return f"Click to place {name} ({k + 1}/{count})"
