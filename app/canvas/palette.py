"""One colour per class, shared by the canvas and the classes panel: class i always has colour i."""

from __future__ import annotations

from PySide6.QtGui import QColor

# 12 distinct, saturated colours that stay readable on photos (after Tableau / Okabe-Ito)
_HEX = ("#ffb000", "#ff3d8b", "#00c2ff", "#7cff4f", "#b26bff", "#ff6a3d",
        "#00e0b0", "#ffe14d", "#4d7cff", "#ff4dff", "#a0ff9e", "#ff9e9e")


_overrides: dict[int, QColor] = {}  # class index -> the colour the user chose (set by the classes panel)


def set_overrides(overrides: dict[int, QColor]) -> None:
    """Replace the user's colours, keyed by YOLO class index; they win over the palette."""
    _overrides.clear()
    _overrides.update({int(i): QColor(c) for i, c in overrides.items()})


def class_color(index: int) -> QColor:
    """The colour of the class at YOLO index ``index``: the user's choice, else the palette's
    (which cycles after 12)."""
    chosen = _overrides.get(index)
    return QColor(chosen) if chosen is not None else QColor(_HEX[index % len(_HEX)])


def text_color_on(background: QColor) -> QColor:
    """Black or white, whichever reads better on ``background``."""
    luma = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue()
    return QColor("#000000") if luma > 140 else QColor("#ffffff")
