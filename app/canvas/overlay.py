"""What the canvas paints over the scene: crosshair lines at the cursor while drawing, and the tool's
hint beside the cursor (e.g. which keypoint a click places next)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

CROSSHAIR = QColor(255, 255, 255, 220)
CROSSHAIR_GAP = QColor(0, 0, 0, 140)
HINT_OFFSET = QPointF(18, 22)  # screen pixels from the cursor to the hint's top-left


def paint_crosshair(painter: QPainter, viewport_pos: QPointF, viewport: QRectF) -> None:
    """A horizontal and a vertical line through ``viewport_pos`` across the whole ``viewport``, one
    screen pixel wide (white dashes on dark gaps, visible on any image)."""
    painter.save()
    painter.resetTransform()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    x, y = int(viewport_pos.x()), int(viewport_pos.y())
    for color, style in ((CROSSHAIR_GAP, Qt.PenStyle.SolidLine), (CROSSHAIR, Qt.PenStyle.DashLine)):
        painter.setPen(QPen(color, 1.0, style))
        painter.drawLine(int(viewport.left()), y, int(viewport.right()), y)
        painter.drawLine(x, int(viewport.top()), x, int(viewport.bottom()))
    painter.restore()


def paint_hint(painter: QPainter, text: str, viewport_pos: QPointF) -> None:
    """``text`` on a dark tag beside ``viewport_pos``, in screen pixels whatever the zoom."""
    painter.save()
    painter.resetTransform()
    font = QFont()
    font.setPointSizeF(9.5)
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    box = QRectF(viewport_pos + HINT_OFFSET, metrics.size(0, text)).adjusted(-5, -3, 5, 3)
    painter.fillRect(box, QColor(20, 22, 26, 210))
    painter.setPen(QColor("#f0f0f0"))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()
