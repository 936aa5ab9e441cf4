"""A model's suggestions on the canvas: kept in memory per image until accepted or rejected, drawn dashed.

``SuggestionBoard`` holds each image's suggestions (``studio.inference.assist.Suggestion``, best score
first) and which one is current (Enter accepts it, Esc rejects it); nothing reaches the project until
``accept`` / ``accept_all`` store suggestions as normal, undoable objects (undo removes them and does not
bring the suggestion back). ``suggestion_items`` draws one: a dashed box in its class colour at lower
opacity with a "class 0.87" tag, its keypoints as hollow dots; the items take no mouse buttons, so
clicks go to the real boxes under them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsRectItem

from app.canvas import edits
from app.canvas.items import KEYPOINT_RADIUS, LabelItem
from app.session import Session
from studio.inference.assist import Suggestion

SUGGESTION_Z, CURRENT_Z = 2.5, 2.6  # above the boxes and skeletons, under the keypoints of real objects
OPACITY, CURRENT_OPACITY = 0.55, 0.95


class SuggestionBoard(QObject):
    """Suggestions per image id; ``changed(image_id)`` after that image's list or current one changed."""

    changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._by_image: dict[int, list[Suggestion]] = {}
        self._current: dict[int, int] = {}

    def set(self, image_id: int, suggestions: Sequence[Suggestion]) -> None:
        """Replace the image's suggestions (an empty list clears them); the first becomes current."""
        if suggestions:
            self._by_image[image_id] = list(suggestions)
        else:
            self._by_image.pop(image_id, None)
        self._current[image_id] = 0
        self.changed.emit(image_id)

    def get(self, image_id: int) -> list[Suggestion]:
        return list(self._by_image.get(image_id, ()))

    def count(self, image_id: int | None = None) -> int:
        """Suggestions of one image, or of every image (None)."""
        if image_id is None:
            return sum(len(v) for v in self._by_image.values())
        return len(self._by_image.get(image_id, ()))

    def current(self, image_id: int) -> int:
        """Index of the image's current suggestion (-1 when it has none)."""
        n = self.count(image_id)
        return min(self._current.get(image_id, 0), n - 1) if n else -1

    def set_current(self, image_id: int, index: int) -> None:
        if 0 <= index < self.count(image_id) and index != self.current(image_id):
            self._current[image_id] = index
            self.changed.emit(image_id)

    def take(self, image_id: int, index: int | None = None) -> Suggestion | None:
        """Remove and return suggestion ``index`` (default: the current one); the one after it becomes
        current. None when the image has none."""
        items = self._by_image.get(image_id)
        index = self.current(image_id) if index is None else index
        if not items or not 0 <= index < len(items):
            return None
        taken = items.pop(index)
        if not items:
            del self._by_image[image_id]
        self._current[image_id] = index
        self.changed.emit(image_id)
        return taken

    def take_all(self, image_id: int) -> list[Suggestion]:
        taken = self._by_image.pop(image_id, [])
        self._current.pop(image_id, None)
        if taken:
            self.changed.emit(image_id)
        return taken

    def clear(self) -> None:
        """Forget every image's suggestions (another project was opened)."""
        ids = list(self._by_image)
        self._by_image.clear()
        self._current.clear()
        for image_id in ids:
            self.changed.emit(image_id)


# ---------------------------------------------------------------------- storing accepted suggestions
def _keypoints_for(session: Session, suggestion: Suggestion) -> np.ndarray | None:
    """The suggestion's keypoints when the project's schema has that many, else None."""
    project, kpts = session.project, suggestion.keypoints
    shape = project.kpt_shape if project is not None else None
    return kpts if kpts is not None and shape is not None and len(kpts) == shape[0] else None


def accept(session: Session, image_id: int, suggestion: Suggestion) -> int:
    """Store one suggestion as an object (one undo step); returns its annotation id."""
    return edits.add_box(session, image_id, suggestion.category_id, suggestion.box,
                         _keypoints_for(session, suggestion))


def accept_all(session: Session, image_id: int, suggestions: Sequence[Suggestion]) -> list[int]:
    """Store every suggestion as objects in one undo step; returns their annotation ids."""
    if not suggestions:
        return []
    objects = [(s.category_id, s.box, _keypoints_for(session, s)) for s in suggestions]
    return edits.add_boxes(session, image_id, objects)


# ---------------------------------------------------------------------- drawing
def _dashed(color: QColor, width: float) -> QPen:
    pen = QPen(color, width, Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    return pen


class SuggestionItem(QGraphicsRectItem):
    """One suggestion's dashed box with its "class 0.87" tag; ``index`` is its place in the board's
    list, ``current`` whether Enter / Esc act on it (drawn brighter and thicker)."""

    def __init__(self, suggestion: Suggestion, index: int, color: QColor, name: str, current: bool) -> None:
        x1, y1, x2, y2 = suggestion.box
        super().__init__(QRectF(QPointF(x1, y1), QPointF(x2, y2)))
        self.index, self.current, self.suggestion = index, current, suggestion
        self.setPen(_dashed(color, 2.5 if current else 1.5))
        fill = QColor(color)
        fill.setAlpha(40 if current else 0)
        self.setBrush(QBrush(fill))
        self.setOpacity(CURRENT_OPACITY if current else OPACITY)
        self.setZValue(CURRENT_Z if current else SUGGESTION_Z)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, False)
        text = f"{name} {suggestion.score:.2f}"
        keys = " (Enter accepts, Esc rejects)" if current else ""
        self.setToolTip(f"Suggestion: {text}{keys}")
        self.label = LabelItem(f"{'▸ ' if current else ''}{text}", color, self)
        self.label.setPos(x1, y1)


def suggestion_items(suggestion: Suggestion, index: int, color: QColor, name: str,
                     current: bool) -> list[QGraphicsItem]:
    """The SuggestionItem, then one hollow dashed dot per labeled keypoint (children of the box)."""
    box = SuggestionItem(suggestion, index, color, name, current)
    kpts = suggestion.keypoints
    if kpts is not None:
        r = KEYPOINT_RADIUS
        for x, y, v in np.asarray(kpts, dtype=np.float64):
            if v <= 0:
                continue
            dot = QGraphicsEllipseItem(-r, -r, 2 * r, 2 * r, box)
            dot.setPos(float(x), float(y))
            dot.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            dot.setPen(_dashed(color, 1.5))
            dot.setBrush(QBrush(QColor(0, 0, 0, 60)))
            dot.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    return [box]
