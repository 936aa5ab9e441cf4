"""The annotations dock in the real window: rows match the store and follow edits, a click selects
the object on the canvas (and a canvas pick selects the row), Delete deletes (pytest-qt, offscreen)."""

from __future__ import annotations

import numpy as np
import pytest
from canvas_driver import open_window
from PySide6.QtCore import Qt

from app.panels.annotations import AnnotationIdRole, keypoint_text, size_text
from app.session import NO_ANNOTATION


@pytest.fixture
def win(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path)
    busiest = max(win.session.project.page(0, 100), key=lambda r: r.num_objects)
    win.session.select_image(busiest.id)
    win.annotations.raise_()
    qtbot.waitUntil(lambda: win.annotations.table.isVisible())
    yield win
    win.close()


def _shown(panel) -> list[tuple]:
    table = panel.table
    return [(table.item(r, 0).data(AnnotationIdRole), table.item(r, 0).text(), table.item(r, 1).text(),
             table.item(r, 2).text()) for r in range(table.rowCount())]


def _click_row(qtbot, panel, row: int) -> None:
    rect = panel.table.visualItemRect(panel.table.item(row, 1))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _expected(win) -> list[tuple]:
    names = {c.id: c.name for c in win.session.categories()}
    return [(a.id, names[a.category_id], size_text(a.box), keypoint_text(a))
            for a in win.session.project.annotations(win.session.current_image_id)]


def test_rows_match_the_store(win):
    shown = _shown(win.annotations)
    assert len(shown) >= 3 and shown == _expected(win)
    ann = win.session.project.annotations(win.session.current_image_id)[0]
    w, h = ann.box[2] - ann.box[0], ann.box[3] - ann.box[1]
    assert shown[0][2] == f"{w:.0f} x {h:.0f}"
    assert shown[0][3] == f"{int((ann.keypoints[:, 2] > 0).sum())}/{len(ann.keypoints)}"
    assert win.annotations.summary.text() == f"{len(shown)} objects"


def test_rows_follow_edits_undo_and_image_changes(win, qtbot):
    session, image_id = win.session, win.session.current_image_id
    before = _shown(win.annotations)
    new_id = session.edit(lambda p: p.add_box(image_id, session.categories()[1].id, (5, 6, 45, 36)),
                          image_id=image_id)
    assert _shown(win.annotations)[-1] == (new_id, session.categories()[1].name, "40 x 30", "")
    session.edit(lambda p: p.set_keypoint(before[0][0], 0, 1.0, 2.0, 0), image_id=image_id)
    assert _shown(win.annotations)[0][3] == "2/3" and _shown(win.annotations) == _expected(win)
    session.undo()
    session.undo()
    assert _shown(win.annotations) == before
    other = next(r for r in session.project.page(0, 100) if r.id != image_id)
    session.select_image(other.id)
    assert len(_shown(win.annotations)) == other.num_objects and _shown(win.annotations) == _expected(win)


def test_clicking_a_row_selects_the_object_on_the_canvas(win, qtbot):
    rows = win.annotations.rows
    with qtbot.waitSignal(win.session.annotation_selected) as signal:
        _click_row(qtbot, win.annotations, 1)
    assert signal.args == [rows[1].id] and win.session.selected_annotation_id == rows[1].id
    selected = [b.annotation_id for b in win.canvas.box_items() if b.selected]
    assert selected == [rows[1].id]
    win.session.select_annotation(rows[2].id)  # as a click on the canvas does
    assert [i.row() for i in win.annotations.table.selectionModel().selectedRows()] == [2]
    win.session.select_annotation(NO_ANNOTATION)
    assert win.annotations.table.selectionModel().selectedRows() == []


def test_delete_key_in_the_list_deletes_the_object_and_undo_restores_it(win, qtbot):
    image_id = win.session.current_image_id
    before = win.session.project.annotations(image_id)
    _click_row(qtbot, win.annotations, 0)
    qtbot.keyClick(win.annotations.table, Qt.Key.Key_Delete)
    after = win.session.project.annotations(image_id)
    assert [a.id for a in after] == [a.id for a in before[1:]]
    assert len(win.canvas.box_items()) == len(after) == win.annotations.table.rowCount()
    assert win.session.undo()
    restored = win.session.project.annotations(image_id)
    assert [a.id for a in restored] == [a.id for a in before]
    np.testing.assert_array_equal(restored[0].keypoints, before[0].keypoints)
    assert _shown(win.annotations) == _expected(win)
