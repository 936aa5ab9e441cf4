"""The canvas: the selected image with its boxes and keypoints, and the tools that edit them.

Scene coordinates are the image's pixels (after its EXIF orientation, as the store's boxes are).
The view redraws its annotation items from the store on ``annotations_changed`` of the shown image,
keeping the selection (by annotation id) while it exists. Left-button gestures go to the active tool
(``select`` / ``draw`` / ``keypoints``), pan and zoom to ``Navigator``; key commands live in
``app.canvas.commands`` (``handlers()``). The image itself is drawn by ``_draw_image`` alone. A model's
suggestions (``suggestions``, an ``app.canvas.suggestions.SuggestionBoard`` the pre-labeling controller
fills) are drawn dashed over the image they belong to until accepted or rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QStatusTipEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from app.canvas import edits, overlay
from app.canvas.handles import Handle, handle_at, handle_point
from app.canvas.image_cache import ImageCache
from app.canvas.image_layer import ImageLayer
from app.canvas.items import KEYPOINT_RADIUS, BoxItem, KeypointItem, annotation_items
from app.canvas.navigation import WHEEL_STEP, Navigator
from app.canvas.palette import class_color
from app.canvas.suggestions import SuggestionBoard, suggestion_items
from app.canvas.tools.base import Tool
from app.canvas.tools.draw_box import DrawBoxTool
from app.canvas.tools.keypoints import KeypointTool
from app.canvas.tools.select import SelectTool
from app.session import NO_ANNOTATION, NO_IMAGE, Session
from studio.annotations import Category
from studio.store.rows import AnnotationRow, ImageRow

KEYPOINT_REACH = KEYPOINT_RADIUS + 3.0  # screen pixels from a keypoint's centre that still grab it


class CanvasView(QGraphicsView):
    """Shows and edits ``session``'s selected image. ``previous_image(image_id)`` names the image
    "Copy Boxes from Previous Image" copies from (default: the one before it in file-name order)."""

    def __init__(self, session: Session, parent: QWidget | None = None,
                 previous_image: Callable[[int], int | None] | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.previous_image = previous_image or self._previous_in_store
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setBackgroundBrush(QBrush(QColor("#1e2126")))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)
        self.image_cache = ImageCache()  # decoded images, shared by every image shown
        self.neighbour_paths: Callable[[], list[Path]] = list  # the images list sets what to prefetch
        self.image_item: ImageLayer | None = None
        self.image_row: ImageRow | None = None
        self.annotations: list[AnnotationRow] = []
        self._items: list[QGraphicsItem] = []
        self.suggestions = SuggestionBoard(self)  # in memory until accepted (Enter) or rejected (Esc)
        self._suggestion_items: list[QGraphicsItem] = []
        self.show_labels = True
        self.active_keypoint: tuple[int, int] | None = None  # (annotation id, k) last placed or dragged
        self.hovered_keypoint: tuple[int, int] | None = None
        self.navigator = Navigator(self)
        self.tools: dict[str, Tool] = {t.name: t for t in (SelectTool(self), DrawBoxTool(self),
                                                          KeypointTool(self))}
        self.tool: Tool = self.tools["select"]
        self._cursor: tuple[QPointF, QPointF] | None = None  # (scene, viewport) of the mouse
        self._fit_pending = True  # follow the window's size until the user zooms
        self._hint = ""
        session.image_selected.connect(self.show_image)
        session.project_changed.connect(self.clear)
        session.annotations_changed.connect(self._annotations_changed)
        session.categories_changed.connect(self.redraw_annotations)
        session.categories_changed.connect(self.redraw_suggestions)
        session.annotation_selected.connect(self._selection_changed)
        session.project_changed.connect(self.suggestions.clear)
        self.suggestions.changed.connect(self._suggestions_changed)

    def handlers(self) -> dict[str, Callable[[], object]]:
        """The canvas's rows of ``app.actions.ACTIONS``: its key commands (``app.canvas.commands``)."""
        from app.canvas.commands import CanvasCommands

        self.commands = CanvasCommands(self)
        return self.commands.handlers()

    # ------------------------------------------------------------------ content
    @property
    def image_id(self) -> int:
        return self.image_row.id if self.image_row is not None else NO_IMAGE

    def image_size(self) -> tuple[float, float]:
        """(width, height) of the shown image in pixels ((0, 0) when none)."""
        row = self.image_row
        return (float(row.width), float(row.height)) if row is not None else (0.0, 0.0)

    def clear(self) -> None:
        self.tool.cancel()
        self.scene().clear()
        self.image_item, self.image_row = None, None
        self.annotations, self._items, self._suggestion_items = [], [], []
        self.active_keypoint = self.hovered_keypoint = None

    def show_image(self, image_id: int) -> None:
        """Draw image ``image_id`` of the session's project (NO_IMAGE clears) and fit it."""
        self.clear()
        if image_id == NO_IMAGE or self.session.project is None:
            return
        row = self.session.project.image(image_id)
        self.image_row = row
        rect = self._draw_image(row)
        self.redraw_annotations()
        self.redraw_suggestions()
        margin = max(rect.width(), rect.height()) * 0.05
        self.scene().setSceneRect(rect.adjusted(-margin, -margin, margin, margin))
        self.fit()

    def _draw_image(self, row: ImageRow) -> QRectF:
        """Put the image in the scene: an ImageLayer decodes off the UI thread (a reduced first paint,
        then full resolution, tiled), or paints a placeholder naming a missing file. Returns its rect
        in image pixels; the neighbours in the list are prefetched."""
        layer = ImageLayer(self.image_cache)
        layer.setZValue(-1)
        self.scene().addItem(layer)
        layer.set_image(row.path, row.width, row.height)
        self.image_item = layer
        self.image_cache.prefetch(self.neighbour_paths(), keep=(row.path,))
        return QRectF(0, 0, row.width, row.height)

    def _annotations_changed(self, image_id: int) -> None:
        if image_id == self.image_id:
            self.redraw_annotations()

    def redraw_annotations(self) -> None:
        """Replace the annotation items with the store's objects; keeps the selection if it exists."""
        if self.image_row is None:
            return
        self.tool.cancel()
        for item in self._items:
            self.scene().removeItem(item)
        self.annotations = self.session.annotations(self.image_id)
        self._items = []
        index, categories = self.session.category_index(), self.session.categories()
        for ann in self.annotations:
            i = index.get(ann.category_id, -1)
            cat = categories[i] if i >= 0 else None
            label = cat.name if cat is not None else f"class id {ann.category_id}"
            color = class_color(i) if i >= 0 else QColor("#ff0000")
            for item in annotation_items(ann, color, label, cat.keypoints if cat else (),
                                         cat.skeleton if cat else ()):
                self.scene().addItem(item)
                self._items.append(item)
        self.set_labels_visible(self.show_labels)
        if self.selected_annotation() is None:
            self.select(NO_ANNOTATION)
        self._selection_changed(self.selected_id)
        self.show_hint()

    def _suggestions_changed(self, image_id: int) -> None:
        if image_id == self.image_id:
            self.redraw_suggestions()

    def redraw_suggestions(self) -> None:
        """Replace the suggestion items with the board's suggestions of the shown image."""
        for item in self._suggestion_items:
            self.scene().removeItem(item)
        self._suggestion_items = []
        if self.image_row is None:
            return
        index, categories = self.session.category_index(), self.session.categories()
        current = self.suggestions.current(self.image_id)
        for i, suggestion in enumerate(self.suggestions.get(self.image_id)):
            k = index.get(suggestion.category_id, -1)
            name = categories[k].name if k >= 0 else f"class id {suggestion.category_id}"
            color = class_color(k) if k >= 0 else QColor("#ff0000")
            for item in suggestion_items(suggestion, i, color, name, i == current):
                self.scene().addItem(item)
                self._suggestion_items.append(item)
        self.show_hint()

    def box_items(self) -> list[BoxItem]:
        return [item for item in self._items if isinstance(item, BoxItem)]

    def keypoint_items(self) -> list[KeypointItem]:
        return [item for item in self._items if isinstance(item, KeypointItem)]

    def set_labels_visible(self, on: bool) -> None:
        self.show_labels = on
        for box in self.box_items():
            box.label.setVisible(on)

    # ------------------------------------------------------------------ selection and classes
    @property
    def selected_id(self) -> int:
        return self.session.selected_annotation_id

    def select(self, annotation_id: int) -> None:
        self.session.select_annotation(annotation_id)

    def selected_annotation(self) -> AnnotationRow | None:
        return next((a for a in self.annotations if a.id == self.selected_id), None)

    def box_item(self, annotation_id: int) -> BoxItem | None:
        return next((b for b in self.box_items() if b.annotation_id == annotation_id), None)

    def _selection_changed(self, annotation_id: int) -> None:
        for box in self.box_items():
            if box.selected != (box.annotation_id == annotation_id):
                box.set_selected_look(not box.selected)
        self.show_hint()

    def current_category(self) -> Category | None:
        """The class new boxes get: the session's current class, else the first class."""
        categories = self.session.categories()
        wanted = self.session.current_category_id
        return next((c for c in categories if c.id == wanted), categories[0] if categories else None)

    def category_color(self, category: Category | None) -> QColor:
        index = self.session.category_index().get(category.id, -1) if category is not None else -1
        return class_color(index) if index >= 0 else QColor("#ff0000")

    # ------------------------------------------------------------------ hit tests
    def box_at(self, scene: QPointF) -> BoxItem | None:
        """The selected box when it holds ``scene``, else the smallest box that does."""
        hits = [b for b in self.box_items() if b.rect().contains(scene)]
        selected = next((b for b in hits if b.annotation_id == self.selected_id), None)
        return selected or min(hits, key=lambda b: b.rect().width() * b.rect().height(), default=None)

    def keypoint_at(self, viewport: QPointF) -> KeypointItem | None:
        """The drawn keypoint nearest ``viewport`` within KEYPOINT_REACH screen pixels (the selected
        box's first)."""
        best, best_d = None, KEYPOINT_REACH ** 2
        for item in self.keypoint_items():
            p = self.mapFromScene(item.pos())
            d = (p.x() - viewport.x()) ** 2 + (p.y() - viewport.y()) ** 2
            d -= 0.5 if item.annotation_id == self.selected_id else 0.0
            if d <= best_d:
                best, best_d = item, d
        return best

    def handle_at(self, viewport: QPointF) -> Handle | None:
        """The resize handle of the selected box under ``viewport``, if any."""
        box = self.box_item(self.selected_id)
        if box is None:
            return None
        points = {h: QPointF(self.mapFromScene(handle_point(box.rect(), h))) for h in box.handles}
        return handle_at(points, viewport)

    # ------------------------------------------------------------------ tools
    def set_tool(self, name: str) -> None:
        """Make tool ``name`` ("select" | "draw" | "keypoints") active."""
        self.tool.cancel()
        self.tool = self.tools[name]
        self.viewport().setCursor(self.tool.cursor)
        self.show_hint()
        self.viewport().update()

    def show_hint(self) -> None:
        """The tool's hint in the window's status bar (a status tip travels up to QMainWindow); while the
        image has suggestions, how to accept or reject them."""
        hint = self.tool.hint()
        pending = self.suggestions.count(self.image_id) if self.image_row is not None else 0
        if pending and not hint:
            hint = (f"{pending} suggestion{'s' if pending != 1 else ''}: Enter accepts the highlighted one, "
                    "Esc rejects it; Shift+Enter accepts all, Shift+Esc rejects all")
        if hint != self._hint:
            self._hint = hint
            QApplication.sendEvent(self, QStatusTipEvent(hint))
        self.viewport().update()

    # ------------------------------------------------------------------ events
    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if self.navigator.press(event):
            return event.accept()
        if event.button() != Qt.MouseButton.LeftButton or self.image_row is None:
            return super().mousePressEvent(event)
        if self.session.readonly and self.tool.name != "select":
            return event.accept()
        self.tool.press(*self._positions(event))
        return event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        scene, viewport = self._positions(event)
        self._cursor = (scene, viewport)
        if self.navigator.move(event):
            return event.accept()
        hovered = self.keypoint_at(viewport)
        self.hovered_keypoint = (hovered.annotation_id, hovered.index) if hovered is not None else None
        self.tool.move(scene, viewport)
        if self.tool.crosshair:
            self.viewport().update()
        return event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self.navigator.release(event):
            self.viewport().setCursor(self.tool.cursor)
            return event.accept()
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        if self.session.readonly:
            self.tool.cancel()
        else:
            self.tool.release(*self._positions(event))
        return event.accept()

    def leaveEvent(self, event) -> None:
        self._cursor = None
        self.viewport().update()
        super().leaveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.navigator.key_press(event):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if self.navigator.key_release(event):
            self.viewport().setCursor(self.tool.cursor)
        else:
            super().keyReleaseEvent(event)

    def _positions(self, event: QMouseEvent) -> tuple[QPointF, QPointF]:
        viewport = event.position()
        return self.mapToScene(viewport.toPoint()), viewport

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if self._cursor is None or self.image_row is None:
            return
        viewport = self._cursor[1]
        if self.tool.crosshair:
            overlay.paint_crosshair(painter, viewport, QRectF(self.viewport().rect()))
        hint = self.tool.hint()
        if hint and self.tool.name == "keypoints":
            overlay.paint_hint(painter, hint, viewport)

    def _previous_in_store(self, image_id: int) -> int | None:
        project = self.session.project
        return edits.previous_image_id(project, image_id) if project is not None else None

    # ------------------------------------------------------------------ zoom
    @property
    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        return self.navigator.zoom

    def fit(self) -> None:
        """Show the whole image (and its margin), centred."""
        if self.scene().sceneRect().isEmpty():
            return
        self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self._fit_pending = True

    def actual_size(self) -> None:
        """One screen pixel per image pixel, around the cursor when it is over the view."""
        self.navigator.actual_size(self._cursor[1] if self._cursor is not None else None)
        self._fit_pending = False

    def zoom_by(self, factor: float, viewport: QPointF | None = None) -> None:
        pos = viewport if viewport is not None else QPointF(self.viewport().rect().center())
        self.navigator.zoom_at(factor, pos)
        self._fit_pending = False

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta:
            self.zoom_by(WHEEL_STEP ** delta, event.position())
        event.accept()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit_pending:
            self.fit()
