"""Helpers for the canvas tests: the studio window on a fresh demo project, and mouse gestures on
the canvas given in scene coordinates (image pixels), mapped to the viewport as a user's mouse is."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt

from app.__main__ import create_window
from app.settings import UserDirs
from studio.demo_project import ensure_demo_project

LEFT = Qt.MouseButton.LeftButton


def open_window(qtbot, tmp_path: Path):
    """The main window on a demo project copied under ``tmp_path``, shown and exposed."""
    dirs = UserDirs(data=tmp_path / "data", config=tmp_path / "config", cache=tmp_path / "cache")
    project = ensure_demo_project(dirs.data)
    win = create_window(project, dirs)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)  # window shortcuts need an active window
    win.canvas.setFocus()
    return win


def to_view(view, x: float, y: float) -> QPoint:
    """The viewport pixel that shows scene point (x, y)."""
    return view.mapFromScene(QPointF(x, y))


def to_scene(view, point: QPoint) -> tuple[float, float]:
    """The scene point (image pixels) the canvas reads for viewport pixel ``point``."""
    scene = view.mapToScene(point)
    return scene.x(), scene.y()


def drag(qtbot, view, start: QPoint, end: QPoint, button=LEFT, steps: int = 4) -> None:
    """Press at ``start``, move there in ``steps`` steps, release at ``end`` (viewport pixels)."""
    port = view.viewport()
    qtbot.mousePress(port, button, pos=start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(port, start + (end - start) * i / steps)
    qtbot.mouseRelease(port, button, pos=end)


def click(qtbot, view, point: QPoint) -> None:
    qtbot.mouseMove(view.viewport(), point)
    qtbot.mouseClick(view.viewport(), LEFT, pos=point)


def key(qtbot, win, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key press as the user makes it: to the canvas, which has the focus."""
    qtbot.keyClick(win.canvas, key, modifier)
