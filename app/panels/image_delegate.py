"""How one image looks in the images dock.

List mode: a small thumbnail, the file's base name, then a grey line "split · status · N objects".
Grid mode: a tile with the thumbnail, the name, and a status dot with the split. Both show the status
colour (unlabeled grey, in progress amber, done green; "done, no objects" a hollow green ring) and a
red mark on images whose file is missing. Thumbnails come from the ThumbnailStore (asked for only
when a row is painted, so only visible rows cost anything).
"""

from __future__ import annotations

from pathlib import PurePath

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.thumbnails import FAILED, MISSING, ThumbnailStore

STATUS_COLORS = {"unlabeled": QColor("#8a9099"), "in_progress": QColor("#f0b429"), "done": QColor("#3ecf8e")}
MISSING_COLOR = QColor("#e5484d")
THUMB_BACKGROUND = QColor("#2a2e35")
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the ImageRow (ImageRowRole in image_list.py)
MIN_TILE_WIDTH = 116  # grid tiles are at least this wide; the panel fits as many as the width allows
AnyIndex = QModelIndex | QPersistentModelIndex


def status_text(row) -> str:
    """'done' / 'done, no objects' / 'in progress' / 'unlabeled'."""
    if row.status == "done" and row.num_objects == 0:
        return "done, no objects"
    return row.status.replace("_", " ")


def subtitle(row) -> str:
    """'train · done · 3 objects' for an ImageRow."""
    if row.status == "done" and row.num_objects == 0:
        return f"{row.split} · done, no objects"
    objects = f"{row.num_objects} object{'s' if row.num_objects != 1 else ''}"
    return f"{row.split} · {status_text(row)} · {objects}"


class ImageRowDelegate(QStyledItemDelegate):
    """Paints rows (``grid`` False) or tiles (``grid`` True); the highlight comes from the style."""

    def __init__(self, thumbnails: ThumbnailStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.grid = False
        self.tile = QSize(MIN_TILE_WIDTH, MIN_TILE_WIDTH)

    def fit_tiles(self, width: int, font_height: int) -> QSize:
        """Set the tile size so that whole tiles fill ``width`` px; returns the grid cell size."""
        columns = max(1, width // MIN_TILE_WIDTH)
        cell = max(MIN_TILE_WIDTH // 2, width // columns)
        self.tile = QSize(cell, (cell - 8) * 3 // 4 + 2 * font_height + 14)
        return self.tile

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        if self.grid:
            return self.tile
        line = QFontMetrics(option.font).height()
        return QSize(200, max(2 * line + 10, 40))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        row = index.data(ROW_ROLE)
        if row is None:
            super().paint(painter, option, index)
            return
        begin_item(painter, option)
        if self.grid:
            self._paint_tile(painter, option, row)
        else:
            self._paint_row(painter, option, row)
        painter.restore()

    # ------------------------------------------------------------------ parts
    def _paint_row(self, painter: QPainter, option: QStyleOptionViewItem, row) -> None:
        rect = QRectF(option.rect).adjusted(4, 3, -6, -3)
        thumb = QRectF(rect.left(), rect.top(), rect.height() * 4 / 3, rect.height())
        self._paint_thumbnail(painter, thumb, row)
        text_rect = rect.adjusted(thumb.width() + 18, 0, 0, 0)
        line = text_rect.height() / 2
        self._dot(painter, QPointF(thumb.right() + 9, text_rect.top() + line / 2), row)
        self._paint_name(painter, option, text_rect.adjusted(0, 0, 0, -line), row)
        self._paint_grey(painter, option, text_rect.adjusted(0, line, 0, 0), subtitle(row))

    def _paint_tile(self, painter: QPainter, option: QStyleOptionViewItem, row) -> None:
        rect = QRectF(option.rect).adjusted(4, 4, -4, -4)
        thumb = QRectF(rect.left(), rect.top(), rect.width(), rect.width() * 3 / 4)
        self._paint_thumbnail(painter, thumb, row)
        line = (rect.bottom() - thumb.bottom() - 2) / 2
        name_rect = QRectF(rect.left(), thumb.bottom() + 2, rect.width(), line)
        self._paint_name(painter, option, name_rect, row)
        info = QRectF(rect.left() + 12, name_rect.bottom() - 2, rect.width() - 12, line)
        self._dot(painter, QPointF(rect.left() + 4, info.center().y()), row)
        self._paint_grey(painter, option, info, f"{row.split} · {status_text(row)}")

    def _paint_thumbnail(self, painter: QPainter, rect: QRectF, row) -> None:
        painter.fillRect(rect, THUMB_BACKGROUND)
        image = self.thumbnails.get(row.path)
        if image is not None:
            size = QSize(image.width(), image.height()).scaled(rect.size().toSize(),
                                                              Qt.AspectRatioMode.KeepAspectRatio)
            target = QRectF(0, 0, size.width(), size.height())
            target.moveCenter(rect.center())
            painter.drawImage(target, image)
        state = self.thumbnails.state(row.path)
        if state in (MISSING, FAILED):
            painter.setPen(QPen(MISSING_COLOR, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(1, 1, -1, -1))
            self._missing_badge(painter, rect, "missing" if state == MISSING else "unreadable")

    def _missing_badge(self, painter: QPainter, rect: QRectF, text: str) -> None:
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        painter.setFont(font)
        metrics = QFontMetrics(font)
        if rect.width() < metrics.horizontalAdvance(text) + 8:
            text = "!"
        badge = QRectF(0, 0, metrics.horizontalAdvance(text) + 8, metrics.height() + 2)
        badge.moveCenter(rect.center())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(MISSING_COLOR)
        painter.drawRoundedRect(badge, 3, 3)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)

    def _dot(self, painter: QPainter, centre: QPointF, row) -> None:
        color = STATUS_COLORS.get(row.status, STATUS_COLORS["unlabeled"])
        if row.status == "done" and row.num_objects == 0:  # a ring: done, and nothing in it
            painter.setPen(QPen(color, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(centre, 3.5, 3.5)
            return
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(centre, 4, 4)

    def _paint_name(self, painter: QPainter, option: QStyleOptionViewItem, rect: QRectF, row) -> None:
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(option.palette.color(_text_role(option)))
        name = QFontMetrics(font).elidedText(PurePath(row.file_name).name, Qt.TextElideMode.ElideMiddle,
                                            int(rect.width()))
        painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter, name)

    def _paint_grey(self, painter: QPainter, option: QStyleOptionViewItem, rect: QRectF, text: str) -> None:
        painter.setFont(option.font)
        grey = option.palette.color(_text_role(option))
        grey.setAlpha(150)
        painter.setPen(grey)
        text = QFontMetrics(option.font).elidedText(text, Qt.TextElideMode.ElideRight, int(rect.width()))
        painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter, text)


def _text_role(option: QStyleOptionViewItem) -> QPalette.ColorRole:
    selected = bool(option.state & QStyle.StateFlag.State_Selected)
    return QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text


def begin_item(painter: QPainter, option: QStyleOptionViewItem) -> None:
    """Start painting an item of a view: save the painter (the caller restores it), draw the style's item
    panel (selection, hover) and turn on smooth drawing."""
    painter.save()
    style = option.widget.style() if option.widget else None
    if style is not None:
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
