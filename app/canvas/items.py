"""Graphics items that draw one stored annotation (studio data stays plain: DESIGN rule 6).

Scene coordinates are image pixels: a box ``(x1, y1, x2, y2)`` xyxy maps to the rect with those
corners; keypoints ``(K, 3)`` x, y, v draw as dots (v=2 filled, v=1 hollow, v=0 not drawn). Pens are
cosmetic and labels and dots ignore the view's zoom, so they keep their screen size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app.canvas.handles import HANDLE_SIZE, HANDLES, Handle, handle_point
from app.canvas.palette import text_color_on
from studio.store.rows import AnnotationRow

BOX_Z, SELECTED_BOX_Z, SKELETON_Z, KEYPOINT_Z = 1.0, 1.5, 2.0, 3.0
KEYPOINT_RADIUS = 4.5  # screen pixels


def _pen(color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCosmetic(True)
    return pen


class LabelItem(QGraphicsItem):
    """The class name on a filled tag above a box's top-left corner, at a constant screen size."""

    def __init__(self, text: str, color: QColor, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.text, self.color = text, color
        self.font = QFont()
        self.font.setPointSizeF(9.0)
        self.font.setBold(True)
        metrics = QFontMetricsF(self.font)
        self._rect = QRectF(0, -metrics.height() - 3, metrics.horizontalAdvance(text) + 8,
                            metrics.height() + 3)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        # the tag never changes: paint it once into a pixmap and blit it (2,000 boxes per frame)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.fillRect(self._rect, self.color)
        painter.setPen(text_color_on(self.color))
        painter.setFont(self.font)
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self.text)


class BoxItem(QGraphicsRectItem):
    """One annotation's box; ``annotation_id`` and ``category_id`` name what it shows. A selected box
    draws a thicker outline and its 8 resize handles (``handles``, keyed as in ``app.canvas.handles``)."""

    def __init__(self, annotation: AnnotationRow, color: QColor, label: str) -> None:
        x1, y1, x2, y2 = annotation.box
        super().__init__(QRectF(QPointF(x1, y1), QPointF(x2, y2)))
        self.annotation_id = annotation.id
        self.category_id = annotation.category_id
        self.color = color
        self.selected = False
        self.handles: dict[Handle, HandleItem] = {}
        self.setPen(_pen(color, 2.0))
        fill = QColor(color)
        fill.setAlpha(28)
        self.setBrush(QBrush(fill))
        self.setZValue(BOX_Z)
        self.setToolTip(label)
        self.label = LabelItem(label, color, self)
        self.label.setPos(x1, y1)

    def set_rect(self, rect: QRectF) -> None:
        """Show ``rect`` (scene, image pixels) while a drag is under way; the store is not touched."""
        self.setRect(rect)
        self.label.setPos(rect.topLeft())
        for handle, item in self.handles.items():
            item.setPos(handle_point(rect, handle))

    def set_selected_look(self, on: bool) -> None:
        """Thicker outline, stronger fill and resize handles (on), or the plain look (off)."""
        self.selected = on
        self.setPen(_pen(self.color, 3.0 if on else 2.0))
        fill = QColor(self.color)
        fill.setAlpha(60 if on else 28)
        self.setBrush(QBrush(fill))
        self.setZValue(SELECTED_BOX_Z if on else BOX_Z)
        for item in self.handles.values():
            item.setParentItem(None)
            if item.scene() is not None:
                item.scene().removeItem(item)
        self.handles = {h: HandleItem(self.color, self) for h in HANDLES} if on else {}
        self.set_rect(self.rect())


class HandleItem(QGraphicsRectItem):
    """A small square resize handle of constant screen size (HANDLE_SIZE)."""

    def __init__(self, color: QColor, parent: QGraphicsItem) -> None:
        half = HANDLE_SIZE / 2
        super().__init__(-half, -half, HANDLE_SIZE, HANDLE_SIZE, parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setPen(_pen(QColor("#000000"), 1.0))
        self.setBrush(QBrush(QColor("#ffffff")))


class KeypointItem(QGraphicsEllipseItem):
    """One keypoint at its image position; ``index`` is its position in the (K, 3) array of object
    ``annotation_id``."""

    def __init__(self, x: float, y: float, visibility: int, index: int, name: str, color: QColor,
                 annotation_id: int = -1) -> None:
        r = KEYPOINT_RADIUS
        super().__init__(-r, -r, 2 * r, 2 * r)
        self.index, self.visibility, self.annotation_id = index, visibility, annotation_id
        self.setPos(x, y)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(KEYPOINT_Z)
        if visibility >= 2:
            self.setPen(_pen(QColor("#ffffff"), 1.5))
            self.setBrush(QBrush(color))
        else:  # labeled but occluded: a hollow ring
            self.setPen(_pen(color, 2.0, Qt.PenStyle.DotLine))
            self.setBrush(QBrush(QColor(0, 0, 0, 90)))
        state = "visible" if visibility >= 2 else "occluded"
        self.setToolTip(f"{name or f'keypoint {index}'} ({state})")


class SkeletonItem(QGraphicsPathItem):
    """Lines between labeled keypoints along ``skeleton`` (COCO 1-based index pairs) of object
    ``annotation_id``."""

    def __init__(self, keypoints: np.ndarray, skeleton: Sequence[tuple[int, int]], color: QColor,
                 annotation_id: int = -1) -> None:
        self.annotation_id = annotation_id
        path = QPainterPath()
        for a, b in skeleton:
            i, j = a - 1, b - 1
            if not (0 <= i < len(keypoints) and 0 <= j < len(keypoints)):
                continue
            if keypoints[i, 2] > 0 and keypoints[j, 2] > 0:
                path.moveTo(float(keypoints[i, 0]), float(keypoints[i, 1]))
                path.lineTo(float(keypoints[j, 0]), float(keypoints[j, 1]))
        super().__init__(path)
        self.setPen(_pen(color, 2.0))
        self.setZValue(SKELETON_Z)


def annotation_items(annotation: AnnotationRow, color: QColor, label: str,
                     keypoint_names: Sequence[str] = (),
                     skeleton: Sequence[tuple[int, int]] = ()) -> list[QGraphicsItem]:
    """The items that draw ``annotation``: its BoxItem (with its label), a SkeletonItem when it has
    a skeleton, and one KeypointItem per labeled keypoint (v > 0)."""
    items: list[QGraphicsItem] = [BoxItem(annotation, color, label)]
    kpts = annotation.keypoints
    if kpts is None or len(kpts) == 0:
        return items
    kpts = np.asarray(kpts, dtype=np.float64)
    if kpts.ndim == 2 and kpts.shape[1] == 2:  # (K, 2): every point counts as visible
        kpts = np.column_stack([kpts, np.full(len(kpts), 2.0)])
    if skeleton:
        items.append(SkeletonItem(kpts, skeleton, color, annotation.id))
    for k, (x, y, v) in enumerate(kpts):
        if v > 0:
            name = keypoint_names[k] if k < len(keypoint_names) else ""
            items.append(KeypointItem(float(x), float(y), int(v), k, name, color, annotation.id))
    return items
