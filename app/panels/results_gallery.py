"""The Results dock's prediction gallery: one tile per val image, worst first, with what the model got right
and wrong at the chosen confidence drawn over the thumbnail: true positives green, false positives red,
missed ground truth orange and dashed; a pose run's keypoints and skeleton in the same colours.

Thumbnails come from a ``ThumbnailStore`` (decoded on its thread pool only when a tile is painted), so
filling or re-sorting the gallery never reads an image on the GUI thread. Double-click or Enter on a tile
emits ``image_activated(path)``.
"""

from __future__ import annotations

from pathlib import PurePath

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFontMetrics, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.panels.image_delegate import begin_item
from app.thumbnails import FAILED, MISSING, ThumbnailStore
from studio.evaluation.review import ImageMatch, Outcomes, ReviewImage

TP_COLOR = QColor("#3ecf8e")
FP_COLOR = QColor("#e5484d")
MISSED_COLOR = QColor("#ff9f1c")
KEYPOINT_CONF = 0.5  # a predicted keypoint is drawn when the model's confidence in it is at least this
THUMB_BACKGROUND = QColor("#2a2e35")
TILE_IMAGE = 180  # px side of the square a thumbnail is fitted into
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1  # (ReviewImage, ImageMatch)
AnyIndex = QModelIndex | QPersistentModelIndex


def verdict(match: ImageMatch) -> str:
    """'2 false positives · 1 missed' or '3 found, no errors' (or 'nothing to find')."""
    parts = []
    if len(match.fp):
        parts.append(f"{len(match.fp)} false positive{'s' if len(match.fp) != 1 else ''}")
    if len(match.missed):
        parts.append(f"{len(match.missed)} missed")
    if parts:
        return " · ".join(parts)
    return f"{len(match.tp)} found, no errors" if len(match.tp) else "nothing to find"


class GalleryModel(QAbstractListModel):
    """The images of ``outcomes`` in the order given by ``set_order``; each tile's matching at ``conf`` is
    made when the tile is first painted. ``path_ready`` repaints the tiles of a path."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outcomes: Outcomes | None = None
        self.conf = 0.25
        self._order: list[int] = []
        self._matches: dict[int, ImageMatch] = {}
        self._rows_of: dict[str, list[int]] = {}

    def set_order(self, outcomes: Outcomes | None, order: list[int], conf: float) -> None:
        """Show images ``order`` (indices into the review's images) at confidence ``conf``."""
        self.beginResetModel()
        self.outcomes, self._order, self.conf, self._matches = outcomes, list(order), conf, {}
        self._rows_of = {}
        if outcomes is not None:
            for row, index in enumerate(self._order):
                self._rows_of.setdefault(outcomes.review.images[index].path, []).append(row)
        self.endResetModel()

    def entry(self, row: int) -> tuple[ReviewImage, ImageMatch]:
        assert self.outcomes is not None
        index = self._order[row]
        match = self._matches.get(index)
        if match is None:
            match = self._matches[index] = self.outcomes.match(index, self.conf)
        return self.outcomes.review.images[index], match

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._order)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._order):
            return None
        img, match = self.entry(index.row())
        if role == ENTRY_ROLE:
            return img, match
        if role == Qt.ItemDataRole.DisplayRole:
            return PurePath(img.path).name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{img.path}\n{verdict(match)}\nDouble-click or Enter opens it on the canvas"
        return None

    def path_ready(self, path: str) -> None:
        for row in self._rows_of.get(path, ()):
            self.dataChanged.emit(self.index(row), self.index(row), [Qt.ItemDataRole.DecorationRole])


class GalleryDelegate(QStyledItemDelegate):
    """Paints a tile: the thumbnail fitted in a square, the boxes over it, the name and the verdict."""

    def __init__(self, thumbnails: ThumbnailStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.names: list[str] = []
        self.skeleton: tuple[tuple[int, int], ...] = ()  # a pose review's 1-based edges

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        line = QFontMetrics(option.font).height()
        return QSize(TILE_IMAGE + 12, TILE_IMAGE + 2 * line + 16)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        entry = index.data(ENTRY_ROLE)
        if entry is None:
            return
        img, match = entry
        begin_item(painter, option)
        rect = QRectF(option.rect)
        square = QRectF(rect.left() + 6, rect.top() + 6, TILE_IMAGE, TILE_IMAGE)
        painter.fillRect(square, THUMB_BACKGROUND)
        target = _fitted(square, img.width, img.height)
        self._paint_image(painter, img, target)
        _paint_boxes(painter, img, match, target, self.names)
        paint_keypoints(painter, img, match, target, self.skeleton)
        below = square.bottom() + 4
        caption = QRectF(rect.left() + 6, below, TILE_IMAGE, rect.bottom() - below)
        painter.setFont(option.font)
        self._paint_caption(painter, option, img, match, caption)
        painter.restore()

    def _paint_image(self, painter: QPainter, img: ReviewImage, target: QRectF) -> None:
        thumb = self.thumbnails.get(img.path)
        if thumb is not None:
            painter.drawImage(target, thumb)
            return
        state = self.thumbnails.state(img.path)
        if state in (MISSING, FAILED):
            painter.setPen(FP_COLOR)
            painter.drawText(target, Qt.AlignmentFlag.AlignCenter, "image missing" if state == MISSING
                             else "cannot read image")

    def _paint_caption(self, painter: QPainter, option: QStyleOptionViewItem, img: ReviewImage,
                       match: ImageMatch, area: QRectF) -> None:
        metrics = QFontMetrics(option.font)
        line = metrics.height()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        painter.setPen(palette.highlightedText().color() if selected else palette.text().color())
        left = Qt.AlignmentFlag.AlignLeft
        name = metrics.elidedText(PurePath(img.path).name, Qt.TextElideMode.ElideMiddle, int(area.width()))
        painter.drawText(QRectF(area.left(), area.top(), area.width(), line), left, name)
        color = FP_COLOR if len(match.fp) else MISSED_COLOR if len(match.missed) else TP_COLOR
        painter.setPen(color.lighter(130) if selected else color)
        text = metrics.elidedText(verdict(match), Qt.TextElideMode.ElideRight, int(area.width()))
        painter.drawText(QRectF(area.left(), area.top() + line, area.width(), line), left, text)


def _fitted(square: QRectF, width: int, height: int) -> QRectF:
    """The largest rect of aspect width:height centred in ``square``."""
    if width <= 0 or height <= 0:
        return square
    scale = min(square.width() / width, square.height() / height)
    w, h = width * scale, height * scale
    return QRectF(square.center().x() - w / 2, square.center().y() - h / 2, w, h)


def _paint_boxes(painter: QPainter, img: ReviewImage, match: ImageMatch, target: QRectF,
                 names: list[str]) -> None:
    """Missed ground truth (orange, dashed), true positives (green), then false positives (red, on top,
    each tagged with its class and score: a duplicate or a wrong class would hide under a green box)."""
    sx = target.width() / img.width if img.width > 0 else 1.0
    sy = target.height() / img.height if img.height > 0 else 1.0
    painter.setBrush(Qt.BrushStyle.NoBrush)
    layers = ((img.gt_boxes[match.missed], MISSED_COLOR, Qt.PenStyle.DashLine),
              (img.dets[match.tp, :4], TP_COLOR, Qt.PenStyle.SolidLine),
              (img.dets[match.fp, :4], FP_COLOR, Qt.PenStyle.SolidLine))
    clip = target.adjusted(-1, -1, 1, 1)
    rects: list[QRectF] = []
    for boxes, color, line in layers:
        pen = QPen(color, 2, line)
        pen.setCosmetic(True)
        painter.setPen(pen)
        for x1, y1, x2, y2 in boxes.tolist():
            rects.append(QRectF(target.left() + x1 * sx, target.top() + y1 * sy, (x2 - x1) * sx,
                                (y2 - y1) * sy).intersected(clip))
            painter.drawRect(rects[-1])
    for rect, (score, cls) in zip(rects[len(rects) - len(match.fp):], img.dets[match.fp, 4:6].tolist(),
                                  strict=True):
        name = names[int(cls)] if 0 <= int(cls) < len(names) else str(int(cls))
        _tag(painter, rect, f"{name} {score:.2f}", target)


def paint_keypoints(painter: QPainter, img: ReviewImage, match: ImageMatch, target: QRectF,
                     skeleton: tuple[tuple[int, int], ...]) -> None:
    """A pose review's keypoints in their object's colour: the labelled points (v > 0) of missed objects,
    and the points of true and false positives that the model is at least KEYPOINT_CONF sure of; each
    skeleton edge whose two ends are drawn."""
    if img.det_kpts is None or img.gt_kpts is None:
        return
    sx = target.width() / img.width if img.width > 0 else 1.0
    sy = target.height() / img.height if img.height > 0 else 1.0
    layers = ((img.gt_kpts[match.missed], MISSED_COLOR, 0.0),
              (img.det_kpts[match.tp], TP_COLOR, KEYPOINT_CONF),
              (img.det_kpts[match.fp], FP_COLOR, KEYPOINT_CONF))
    for objects, color, threshold in layers:
        pen = QPen(color, 1.5)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(color)
        for points in objects:
            shown = points[:, 2] > threshold
            xy = [(target.left() + x * sx, target.top() + y * sy) for x, y in points[:, :2].tolist()]
            for a, b in skeleton:
                if 0 < a <= len(xy) and 0 < b <= len(xy) and shown[a - 1] and shown[b - 1]:
                    painter.drawLine(QPointF(*xy[a - 1]), QPointF(*xy[b - 1]))
            for (x, y), visible in zip(xy, shown, strict=True):
                if visible:
                    painter.drawEllipse(QPointF(x, y), 2.0, 2.0)
    painter.setBrush(Qt.BrushStyle.NoBrush)


def _tag(painter: QPainter, box: QRectF, text: str, bounds: QRectF) -> None:
    """A small red label on the top-left corner of ``box``, kept inside ``bounds``."""
    font = painter.font()
    font.setPointSizeF(max(6.0, font.pointSizeF() * 0.75))
    painter.setFont(font)
    metrics = QFontMetrics(font)
    w, h = metrics.horizontalAdvance(text) + 4, metrics.height()
    x = min(max(box.left(), bounds.left()), bounds.right() - w)
    y = box.top() - h if box.top() - h >= bounds.top() else box.top()
    label = QRectF(x, y, w, h)
    painter.fillRect(label, FP_COLOR)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(label, Qt.AlignmentFlag.AlignCenter, text)


class GalleryView(QListView):
    """Tiles left to right, wrapping; ``image_activated(path)`` on double-click or Enter."""

    image_activated = Signal(str)

    def __init__(self, thumbnails: ThumbnailStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gallery = GalleryModel(self)
        self.setModel(self.gallery)
        self.tiles = GalleryDelegate(thumbnails, self)
        self.setItemDelegate(self.tiles)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSpacing(4)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        thumbnails.ready.connect(self.gallery.path_ready)
        thumbnails.missing.connect(self.gallery.path_ready)
        thumbnails.failed.connect(self.gallery.path_ready)
        self.doubleClicked.connect(self._activate)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._activate(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _activate(self, index: QModelIndex) -> None:
        if index.isValid():
            self.image_activated.emit(self.gallery.entry(index.row())[0].path)
