"""Keypoints and whole-image actions on the canvas (pytest-qt, offscreen): place all keypoints of a
box in order with the next one named, drag one, cycle its visibility with V; copy the previous
image's boxes in one undo step; mark an image done."""

from __future__ import annotations

import numpy as np
import pytest
from canvas_driver import click, drag, key, open_window, to_scene, to_view
from PySide6.QtCore import QPoint, Qt

from app.panels.image_list import ImageRowRole
from studio.store.project import Project

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def win(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path)
    yield window
    window.close()


def _ann(win, ann_id: int):
    return next(a for a in win.session.annotations(win.canvas.image_id) if a.id == ann_id)


def _new_box(qtbot, win) -> int:
    view = win.canvas
    before = {a.id for a in win.session.annotations(view.image_id)}
    key(qtbot, win, Qt.Key.Key_W)
    drag(qtbot, view, to_view(view, 60, 60), to_view(view, 260, 200))
    key(qtbot, win, Qt.Key.Key_Escape)
    (new,) = {a.id for a in win.session.annotations(view.image_id)} - before
    return new


def test_place_every_keypoint_in_order_then_drag_and_cycle_visibility(qtbot, win):
    view, session = win.canvas, win.session
    new = _new_box(qtbot, win)
    names = session.categories()[0].keypoints
    assert len(names) == 3
    key(qtbot, win, Qt.Key.Key_K)
    assert view.tool.name == "keypoints"
    assert view.tool.hint() == f"Click to place {names[0]} (1/3)"
    spots = [to_view(view, 80, 90), to_view(view, 240, 170), to_view(view, 150, 120)]
    for i, spot in enumerate(spots):
        assert names[i] in view.tool.hint()
        click(qtbot, view, spot)
    kpts = _ann(win, new).keypoints
    np.testing.assert_allclose(kpts[:, :2], [to_scene(view, s) for s in spots])
    assert list(kpts[:, 2]) == [2, 2, 2]
    assert view.tool.name == "select"  # all placed: back to selecting
    assert len([k for k in view.keypoint_items() if k.annotation_id == new]) == 3
    # drag the second keypoint
    drag(qtbot, view, spots[1], spots[1] + QPoint(-12, 9))
    moved = _ann(win, new).keypoints[1]
    np.testing.assert_allclose(moved, [*to_scene(view, spots[1] + QPoint(-12, 9)), 2])
    # V on the hovered keypoint: 2 -> 1 -> 0 (hidden, slot kept) -> 2
    qtbot.mouseMove(view.viewport(), spots[0])
    seen = []
    for _ in range(3):
        key(qtbot, win, Qt.Key.Key_V)
        seen.append(int(_ann(win, new).keypoints[0, 2]))
    assert seen == [1, 0, 2]
    np.testing.assert_allclose(_ann(win, new).keypoints[0, :2], to_scene(view, spots[0]))
    session.undo()
    assert _ann(win, new).keypoints[0, 2] == 0
    assert not [k for k in view.keypoint_items() if k.annotation_id == new and k.index == 0]
    shown = _ann(win, new).keypoints
    path = session.project.path
    session.close()
    with Project.open(path) as project:
        again = next(a for r in project.page(0, 100) for a in project.annotations(r.id) if a.id == new)
        np.testing.assert_array_equal(again.keypoints, shown)


def test_k_without_a_selection_says_what_to_do(qtbot, win):
    view = win.canvas
    view.select(-1)
    key(qtbot, win, Qt.Key.Key_K)
    assert view.tool.hint() == "Select a box to place its keypoints"
    count = len(win.session.annotations(view.image_id))
    click(qtbot, view, to_view(view, 50, 50))
    assert len(win.session.annotations(view.image_id)) == count


def test_copy_boxes_from_the_previous_image_is_one_undo_step(qtbot, win):
    view, session = win.canvas, win.session
    model = win.images.model
    rows = [model.data(model.index(i), ImageRowRole) for i in range(model.rowCount())]
    source = next(i for i, r in enumerate(rows[:-1]) if r.num_objects > 0)
    win.images.select_row(source + 1)
    assert view.image_id == rows[source + 1].id
    before = session.annotations(view.image_id)
    copied = session.annotations(rows[source].id)
    key(qtbot, win, Qt.Key.Key_V, CTRL | SHIFT)
    after = session.annotations(view.image_id)
    assert len(after) == len(before) + len(copied)
    added = after[len(before):]
    width, height = view.image_size()
    for got, want in zip(added, copied, strict=True):
        assert got.category_id == want.category_id
        assert got.box == pytest.approx(tuple(min(c, lim) for c, lim in zip(want.box, (width, height) * 2,
                                                                            strict=True)))
        np.testing.assert_array_equal(got.keypoints, want.keypoints)
    assert len(view.box_items()) == len(after)
    session.undo()
    assert [a.id for a in session.annotations(view.image_id)] == [a.id for a in before]
    session.redo()
    assert len(session.annotations(view.image_id)) == len(after)


def test_copy_follows_the_filtered_list_not_the_file_order(qtbot, win):
    from app.panels.image_filters import ImageFilter

    win.images.model.set_filter(ImageFilter(search="1"))  # sea_001, sea_010, ...: not contiguous
    model = win.images.model
    rows = [model.data(model.index(i), ImageRowRole) for i in range(model.rowCount())]
    file_before = win.session.project.page(0, 200)[9]  # sea_009, the file before sea_010
    assert [r.file_name[-11:] for r in rows[:2]] == ["sea_001.jpg", "sea_010.jpg"]
    assert file_before.num_objects != rows[0].num_objects  # so the count below tells them apart
    win.images.select_row(1)
    copied = win.session.annotations(rows[0].id)  # the previous row of the list
    before = win.session.annotations(rows[1].id)
    key(qtbot, win, Qt.Key.Key_V, CTRL | SHIFT)
    assert len(win.session.annotations(rows[1].id)) == len(before) + len(copied)


def test_copy_on_the_first_image_does_nothing(qtbot, win):
    win.images.select_row(0)
    history = win.session.project.undo_text()
    key(qtbot, win, Qt.Key.Key_V, CTRL | SHIFT)
    assert win.session.project.undo_text() == history


def test_mark_done_sets_the_status_in_the_store(qtbot, win):
    view, session = win.canvas, win.session
    model = win.images.model
    rows = [model.data(model.index(i), ImageRowRole) for i in range(model.rowCount())]
    target = 2
    session.edit(lambda p: p.set_status(rows[target].id, "in_progress"), images=True)  # the demo is all done
    win.images.select_row(target)
    assert session.project.image(view.image_id).status == "in_progress"
    for ann in session.annotations(view.image_id):  # an image emptied by hand: "done, no objects"
        view.select(ann.id)
        key(qtbot, win, Qt.Key.Key_Delete)
    key(qtbot, win, Qt.Key.Key_Return, CTRL)
    image = session.project.image(view.image_id)
    assert image.status == "done" and image.num_objects == 0
    assert model.data(model.index(target), ImageRowRole).status == "done"
    image_id, path = view.image_id, session.project.path
    session.close()
    with Project.open(path) as project:
        assert project.image(image_id).status == "done" and project.image(image_id).num_objects == 0


def test_dragging_a_box_carries_its_keypoints_in_one_undo_step(qtbot, win):
    view, session = win.canvas, win.session
    ann = session.annotations(view.image_id)[0]
    x1, y1, x2, y2 = ann.box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    click(qtbot, view, to_view(view, cx, cy))  # select it first, then drag it by its body
    drag(qtbot, view, to_view(view, cx, cy), to_view(view, cx + 12, cy + 8))
    moved = _ann(win, ann.id)
    dx, dy = moved.box[0] - x1, moved.box[1] - y1
    assert (dx, dy) != (0, 0) and moved.box[2] - moved.box[0] == pytest.approx(x2 - x1)
    labeled = ann.keypoints[:, 2] > 0
    np.testing.assert_allclose(moved.keypoints[labeled, :2], ann.keypoints[labeled, :2] + [dx, dy])
    session.undo()
    np.testing.assert_array_equal(_ann(win, ann.id).keypoints, ann.keypoints)
    assert _ann(win, ann.id).box == ann.box
