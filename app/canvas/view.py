"""The read-only viewer: the selected image with its boxes and keypoints; wheel zooms, fit on open.

Scene coordinates are the image's pixels (after its EXIF orientation, as the store's boxes are).
The image is read with QImageReader straight from its path (no cv2, no numpy round trip).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImageReader, QPainter, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from app.canvas.items import BoxItem, KeypointItem, annotation_items
from app.canvas.palette import class_color
from app.session import NO_IMAGE, Session
from studio.store.rows import ImageRow

MIN_ZOOM, MAX_ZOOM = 0.02, 64.0
WHEEL_STEP = 1.0015  # zoom factor per wheel angle unit (120 units = one notch = x1.2)


def load_pixmap(path: Path) -> QPixmap | None:
    """The image at ``path`` with its EXIF orientation applied, or None when it cannot be read."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    image = reader.read()
    return None if image.isNull() else QPixmap.fromImage(image)


class CanvasView(QGraphicsView):
    """Shows ``session``'s selected image; redraws on ``image_selected``, clears on ``project_changed``."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setBackgroundBrush(QBrush(QColor("#1e2126")))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.image_item: QGraphicsPixmapItem | None = None
        self.image_row: ImageRow | None = None
        self._fit_pending = True  # follow the window's size until the user zooms
        session.image_selected.connect(self.show_image)
        session.project_changed.connect(self.clear)

    # ------------------------------------------------------------------ content
    def clear(self) -> None:
        self.scene().clear()
        self.image_item, self.image_row = None, None

    def show_image(self, image_id: int) -> None:
        """Draw image ``image_id`` of the session's project (NO_IMAGE clears) and fit it."""
        self.clear()
        if image_id == NO_IMAGE or self.session.project is None:
            return
        row = self.session.project.image(image_id)
        self.image_row = row
        rect = QRectF(0, 0, row.width, row.height)
        pixmap = load_pixmap(row.path)
        if pixmap is None:
            self._draw_missing(row, rect)
        else:
            self.image_item = self.scene().addPixmap(pixmap)
            self.image_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
            rect = QRectF(pixmap.rect())
        self._draw_annotations(image_id)
        margin = max(rect.width(), rect.height()) * 0.05
        self.scene().setSceneRect(rect.adjusted(-margin, -margin, margin, margin))
        self.fit()

    def _draw_annotations(self, image_id: int) -> None:
        index = self.session.category_index()
        categories = self.session.categories()
        for ann in self.session.annotations(image_id):
            i = index.get(ann.category_id, -1)
            cat = categories[i] if i >= 0 else None
            label = cat.name if cat is not None else f"class id {ann.category_id}"
            color = class_color(i) if i >= 0 else QColor("#ff0000")
            items = annotation_items(ann, color, label, cat.keypoints if cat else (),
                                     cat.skeleton if cat else ())
            for item in items:
                self.scene().addItem(item)

    def _draw_missing(self, row: ImageRow, rect: QRectF) -> None:
        """A grey placeholder of the stored size, saying which file is missing."""
        placeholder = QGraphicsRectItem(rect)
        placeholder.setBrush(QBrush(QColor("#3a3f46")))
        placeholder.setPen(QPen(QColor("#8a9099"), 0, Qt.PenStyle.DashLine))
        self.scene().addItem(placeholder)
        text = QGraphicsSimpleTextItem(f"Image not found:\n{row.path}", placeholder)
        font = QFont()
        font.setPointSizeF(max(8.0, row.height / 30))
        text.setFont(font)
        text.setBrush(QBrush(QColor("#e6e6e6")))
        text.setPos(rect.width() * 0.04, rect.height() * 0.04)

    def box_items(self) -> list[BoxItem]:
        return [item for item in self.scene().items() if isinstance(item, BoxItem)]

    def keypoint_items(self) -> list[KeypointItem]:
        return [item for item in self.scene().items() if isinstance(item, KeypointItem)]

    # ------------------------------------------------------------------ zoom
    @property
    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        return self.transform().m11()

    def fit(self) -> None:
        """Show the whole image (and its margin), centred."""
        if self.scene().sceneRect().isEmpty():
            return
        self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self._fit_pending = True

    def zoom_by(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom * factor))
        factor = target / self.zoom
        self.scale(factor, factor)
        self._fit_pending = False

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta:
            self.zoom_by(WHEEL_STEP ** delta)
        event.accept()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit_pending:
            self.fit()
