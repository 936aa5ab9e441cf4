"""Render resources/icons/tern.svg to the PNG the Windows and macOS builds need (PyInstaller turns a PNG
into .ico / .icns with Pillow) and the Linux icon theme's 256x256 fallback.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icon.py   # after editing tern.svg
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZE = 256


def render(svg: Path, png: Path, size: int = SIZE) -> None:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    if not image.save(str(png)):
        raise OSError(f"could not write {png}")


if __name__ == "__main__":
    app = QGuiApplication(sys.argv[:1])
    render(ICONS / "tern.svg", ICONS / f"tern-{SIZE}.png")
