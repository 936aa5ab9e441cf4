"""Pan and zoom on the canvas (pytest-qt, offscreen): the wheel zooms around the cursor, Ctrl+1 shows
1:1, space+drag and middle-drag pan, F fits; the draw tool shows a crosshair."""

from __future__ import annotations

import pytest
from canvas_driver import drag, key, open_window, to_scene
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent

from app.canvas.navigation import WHEEL_STEP


@pytest.fixture
def win(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path)
    yield window
    window.close()


def _wheel(view, at: QPoint, delta: int) -> None:
    event = QWheelEvent(QPointF(at), QPointF(view.viewport().mapToGlobal(at)), QPoint(), QPoint(0, delta),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    view.wheelEvent(event)


def test_the_wheel_zooms_around_the_cursor(win):
    view = win.canvas
    fitted = view.zoom
    at = QPoint(view.viewport().width() // 3, view.viewport().height() // 3)
    _wheel(view, at, 240)  # zoom in: scroll bars appear, so the anchor can be kept
    _wheel(view, at, 480)
    assert view.zoom == pytest.approx(fitted * WHEEL_STEP ** 720)
    under = to_scene(view, at)
    _wheel(view, at, 360)
    assert to_scene(view, at) == pytest.approx(under, abs=1.0 / view.zoom + 1e-6)


def test_ctrl_1_is_actual_size_and_f_fits(qtbot, win):
    view = win.canvas
    fitted = view.zoom
    key(qtbot, win, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom == pytest.approx(1.0)
    key(qtbot, win, Qt.Key.Key_F)
    assert view.zoom == pytest.approx(fitted)


def test_space_drag_and_middle_drag_pan_without_editing(qtbot, win):
    view, session = win.canvas, win.session
    view.zoom_by(6.0)
    boxes = [a.box for a in session.annotations(view.image_id)]
    history = session.project.undo_text()
    centre = view.viewport().rect().center()
    before = to_scene(view, centre)
    qtbot.keyPress(view, Qt.Key.Key_Space)
    drag(qtbot, view, centre, centre + QPoint(-60, -40))
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    after = to_scene(view, centre)
    assert after[0] - before[0] == pytest.approx(60 / view.zoom, abs=1.5 / view.zoom)
    assert after[1] - before[1] == pytest.approx(40 / view.zoom, abs=1.5 / view.zoom)
    drag(qtbot, view, centre, centre + QPoint(30, 30), button=Qt.MouseButton.MiddleButton)
    assert to_scene(view, centre)[0] == pytest.approx(after[0] - 30 / view.zoom, abs=1.5 / view.zoom)
    assert [a.box for a in session.annotations(view.image_id)] == boxes
    assert session.project.undo_text() == history


def test_drawing_shows_a_crosshair(qtbot, win):
    view = win.canvas
    key(qtbot, win, Qt.Key.Key_W)
    assert view.tool.crosshair and view.viewport().cursor().shape() == Qt.CursorShape.CrossCursor
    at = view.viewport().rect().center()
    qtbot.mouseMove(view.viewport(), at)
    image = view.viewport().grab().toImage()
    row = [image.pixelColor(x, at.y()).lightness() for x in range(0, 12)]  # left of the image
    column = [image.pixelColor(at.x(), y).lightness() for y in range(0, 12)]  # above it
    assert max(row) > 180 and max(column) > 180  # the lines run across the whole view
    key(qtbot, win, Qt.Key.Key_W)
    assert view.tool.name == "select" and not view.tool.crosshair
