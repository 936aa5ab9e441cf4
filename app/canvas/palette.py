"""One colour per class, shared by the canvas and the classes panel: class i always has colour i."""

from __future__ import annotations

from PySide6.QtGui import QColor

# 12 distinct, saturated colours that stay readable on photos (after Tableau / Okabe-Ito)
_HEX = ("#ffb000", "#ff3d8b", "#00c2ff", "#7cff4f", "#b26bff", "#ff6a3d",
        "#00e0b0", "#ffe14d", "#4d7cff", "#ff4dff", "#a0ff9e", "#ff9e9e")


def class_color(index: int) -> QColor:
    """The colour of the class at YOLO index ``index`` (cycles after 12)."""
    return QColor(_HEX[index % len(_HEX)])


def text_color_on(background: QColor) -> QColor:
    """Black or white, whichever reads better on ``background``."""
    luma = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue()
    return QColor("#000000") if luma > 140 else QColor("#ffffff")
