"""Boxes on the canvas, driven with mouse and key events on the real window: draw, select, move,
resize by a handle, nudge, change class with a digit, delete; every step undone and redone, and all
of it found again after reopening the project file (pytest-qt, offscreen)."""

from __future__ import annotations

import pytest
from canvas_driver import click, drag, key, open_window, to_scene, to_view
from PySide6.QtCore import QPoint, Qt

from app.session import NO_ANNOTATION
from studio.store.project import Project


@pytest.fixture
def win(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path)
    yield window
    window.close()


def _boxes(win) -> dict[int, tuple]:
    return {a.id: a.box for a in win.session.project.annotations(win.canvas.image_id)}


def _draw(qtbot, win, a: tuple[float, float], b: tuple[float, float]) -> tuple[int, tuple]:
    """Draw from scene point a to b with the W tool; returns (new id, the box the view reads)."""
    view = win.canvas
    before = set(_boxes(win))
    key(qtbot, win, Qt.Key.Key_W)
    assert view.tool.name == "draw"
    start, end = to_view(view, *a), to_view(view, *b)
    drag(qtbot, view, start, end)
    (new,) = set(_boxes(win)) - before
    (x1, y1), (x2, y2) = to_scene(view, start), to_scene(view, end)
    return new, (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def test_draw_a_box_stores_it_in_image_pixels(qtbot, win):
    view, session = win.canvas, win.session
    count = len(_boxes(win))
    history = session.project.undo_text()
    new, expected = _draw(qtbot, win, (300.0, 200.0), (120.5, 60.25))  # drawn right-to-left, upwards
    assert _boxes(win)[new] == pytest.approx(expected)
    ann = next(a for a in session.annotations(view.image_id) if a.id == new)
    assert ann.category_id == session.categories()[0].id
    assert view.selected_id == new and view.box_item(new).selected  # the new box is selected
    assert len(view.box_items()) == count + 1
    assert session.project.undo_text() == "Add box"  # one edit for the whole drag
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert new not in _boxes(win) and len(view.box_items()) == count
    assert session.project.undo_text() == history
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert _boxes(win)[new] == pytest.approx(expected) and len(view.box_items()) == count + 1


def test_drawing_clips_to_the_image_and_ignores_tiny_boxes(qtbot, win):
    view = win.canvas
    width, height = view.image_size()
    new, _ = _draw(qtbot, win, (width - 40, height - 30), (width + 15, height + 12))  # past the corner
    x1, y1, x2, y2 = _boxes(win)[new]
    assert (x2, y2) == (width, height) and x1 < x2 and y1 < y2
    count = len(_boxes(win))
    drag(qtbot, view, to_view(view, 50, 50), to_view(view, 51, 51))  # under 2 px: ignored
    assert len(_boxes(win)) == count


def test_click_selects_esc_deselects_and_drag_moves(qtbot, win):
    view, session = win.canvas, win.session
    new, (x1, y1, x2, y2) = _draw(qtbot, win, (100, 100), (200, 180))
    key(qtbot, win, Qt.Key.Key_Escape)  # leaves the draw tool
    assert view.tool.name == "select" and view.selected_id == new
    key(qtbot, win, Qt.Key.Key_Escape)  # deselects
    assert view.selected_id == NO_ANNOTATION and not view.box_item(new).selected
    click(qtbot, view, to_view(view, 150, 140))
    assert view.selected_id == new and len(view.box_item(new).handles) == 8
    click(qtbot, view, to_view(view, 5, 5))  # empty space
    assert view.selected_id == NO_ANNOTATION
    start, end = to_view(view, 150, 140), to_view(view, 190, 120)
    drag(qtbot, view, start, end)
    (sx, sy), (ex, ey) = to_scene(view, start), to_scene(view, end)
    assert _boxes(win)[new] == pytest.approx((x1 + ex - sx, y1 + ey - sy, x2 + ex - sx, y2 + ey - sy))
    assert session.project.undo_text() == "Edit box" and view.selected_id == new
    session.undo()
    assert _boxes(win)[new] == pytest.approx((x1, y1, x2, y2))
    assert view.selected_id == new  # the selection survives the redraw
    session.redo()
    assert _boxes(win)[new][0] == pytest.approx(x1 + ex - sx)


def test_resize_by_the_bottom_right_and_left_handles(qtbot, win):
    view = win.canvas
    new, (x1, y1, x2, y2) = _draw(qtbot, win, (100, 100), (200, 180))
    key(qtbot, win, Qt.Key.Key_Escape)
    corner = to_view(view, x2, y2)
    end = corner + QPoint(30, 20)
    drag(qtbot, view, corner, end)
    ex, ey = to_scene(view, end)
    assert _boxes(win)[new] == pytest.approx((x1, y1, ex, ey))
    left = to_view(view, x1, (y1 + ey) / 2)
    drag(qtbot, view, left, left + QPoint(-25, 0))  # the middle of the left edge: width only
    nx, _ = to_scene(view, left + QPoint(-25, 0))
    assert _boxes(win)[new] == pytest.approx((nx, y1, ex, ey))
    win.session.undo()
    assert _boxes(win)[new] == pytest.approx((x1, y1, ex, ey))


def test_nudge_with_arrows_change_class_with_digits_and_delete(qtbot, win):
    view, session = win.canvas, win.session
    new, (x1, y1, x2, y2) = _draw(qtbot, win, (100, 100), (200, 180))
    key(qtbot, win, Qt.Key.Key_Escape)
    key(qtbot, win, Qt.Key.Key_Right)
    key(qtbot, win, Qt.Key.Key_Up)
    key(qtbot, win, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert _boxes(win)[new] == pytest.approx((x1 + 1, y1 + 9, x2 + 1, y2 + 9))
    session.undo()
    assert _boxes(win)[new] == pytest.approx((x1 + 1, y1 - 1, x2 + 1, y2 - 1))
    first, second = session.categories()[:2]
    key(qtbot, win, Qt.Key.Key_2)
    ann = next(a for a in session.annotations(view.image_id) if a.id == new)
    assert ann.category_id == second.id and view.box_item(new).label.text == second.name
    assert session.current_category_id == second.id  # the next box gets it too
    key(qtbot, win, Qt.Key.Key_9)  # no ninth class: nothing happens
    assert view.box_item(new).category_id == second.id
    session.undo()
    assert view.box_item(new).category_id == first.id
    key(qtbot, win, Qt.Key.Key_Delete)
    assert new not in _boxes(win) and view.box_item(new) is None
    assert view.selected_id == NO_ANNOTATION
    session.undo()
    assert new in _boxes(win) and view.box_item(new) is not None
    view.select(new)
    key(qtbot, win, Qt.Key.Key_Backspace)
    assert new not in _boxes(win)


def test_labels_hide_and_show(qtbot, win):
    view = win.canvas
    assert view.box_items() and all(b.label.isVisible() for b in view.box_items())
    key(qtbot, win, Qt.Key.Key_L)
    assert not any(b.label.isVisible() for b in view.box_items())
    key(qtbot, win, Qt.Key.Key_L)
    assert all(b.label.isVisible() for b in view.box_items())


def test_everything_is_in_the_file_after_reopening(qtbot, win):
    view, session = win.canvas, win.session
    new, _ = _draw(qtbot, win, (100, 100), (200, 180))
    key(qtbot, win, Qt.Key.Key_Escape)
    key(qtbot, win, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    key(qtbot, win, Qt.Key.Key_2)
    image_id, path = view.image_id, session.project.path
    stored = next(a for a in session.annotations(image_id) if a.id == new)
    assert stored.category_id == session.categories()[1].id
    shown = len(view.box_items())
    session.close()
    with Project.open(path) as project:
        again = next(a for a in project.annotations(image_id) if a.id == new)
        assert (again.box, again.category_id) == (stored.box, stored.category_id)
        assert project.image(image_id).num_objects == shown


def test_a_read_only_project_is_not_edited(qtbot, win):
    view, session = win.canvas, win.session
    path = session.project.path
    session.open_project(path, readonly=True)
    qtbot.waitUntil(lambda: view.image_id != -1)
    boxes = _boxes(win)
    key(qtbot, win, Qt.Key.Key_W)
    drag(qtbot, view, to_view(view, 100, 100), to_view(view, 200, 180))
    assert view.tool.name == "select" and _boxes(win) == boxes
    first = next(iter(boxes))
    view.select(first)
    drag(qtbot, view, to_view(view, *boxes[first][:2]) + QPoint(5, 5), to_view(view, 10, 10))
    key(qtbot, win, Qt.Key.Key_Delete)
    key(qtbot, win, Qt.Key.Key_Right)
    assert _boxes(win) == boxes and view.box_item(first).rect().left() == boxes[first][0]
