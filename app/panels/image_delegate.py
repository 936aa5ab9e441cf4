"""How one image row looks in the images dock: a status dot, the file's base name, then a grey line
with split, status and object count (the full name is in the tooltip)."""

from __future__ import annotations

from pathlib import PurePath

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

STATUS_COLORS = {"unlabeled": QColor("#8a9099"), "in_progress": QColor("#f0b429"), "done": QColor("#3ecf8e")}
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the ImageRow (ImageRowRole in image_list.py)


def subtitle(row) -> str:
    """'train · done · 3 objects' for an ImageRow."""
    objects = f"{row.num_objects} object{'s' if row.num_objects != 1 else ''}"
    return f"{row.split} · {row.status.replace('_', ' ')} · {objects}"


class ImageRowDelegate(QStyledItemDelegate):
    """Two lines per image; the selection highlight comes from the style."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        line = QFontMetrics(option.font).height()
        return QSize(200, 2 * line + 10)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if row is None:
            super().paint(painter, option, index)
            return
        painter.save()
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        rect = QRectF(option.rect).adjusted(8, 4, -6, -4)
        line = rect.height() / 2
        dot = STATUS_COLORS.get(row.status, QColor("#8a9099"))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(dot)
        painter.drawEllipse(QRectF(rect.left(), rect.top() + line / 2 - 4, 8, 8))
        text_rect = rect.adjusted(16, 0, 0, 0)
        name_font = QFont(option.font)
        name_font.setBold(True)
        painter.setFont(name_font)
        painter.setPen(option.palette.color(text_role))
        name = PurePath(row.file_name).name
        width = int(text_rect.width())
        elided = QFontMetrics(name_font).elidedText(name, Qt.TextElideMode.ElideMiddle, width)
        painter.drawText(text_rect.adjusted(0, 0, 0, -line), Qt.AlignmentFlag.AlignVCenter, elided)
        painter.setFont(option.font)
        grey = option.palette.color(text_role)
        grey.setAlpha(150)
        painter.setPen(grey)
        painter.drawText(text_rect.adjusted(0, line, 0, 0), Qt.AlignmentFlag.AlignVCenter, subtitle(row))
        painter.restore()
