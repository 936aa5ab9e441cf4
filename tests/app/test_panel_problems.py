"""The problems dock in the real window: one defect of each kind made in the demo project is listed
after Refresh, and a click jumps to the image and selects the object (pytest-qt, offscreen)."""

from __future__ import annotations

import pytest
from canvas_driver import open_window
from PySide6.QtCore import Qt

from app.session import NO_ANNOTATION
from studio.store import checks


def _make_defects(project) -> dict[str, tuple[int, int | None]]:
    """kind -> (image id, annotation id or None) of one defect of each kind."""
    images = project.page(0, 100)
    busy = [r for r in images if r.num_objects >= 2]
    made = {}
    a = project.annotations(busy[0].id)[0]
    project.set_box(a.id, (a.box[0], a.box[1], busy[0].width + 40, a.box[3]))
    made[checks.BOX_OUTSIDE] = (busy[0].id, a.id)
    made[checks.BOX_EMPTY] = (busy[1].id, project.add_box(busy[1].id, a.category_id, (10, 10, 10, 30)))
    b = project.annotations(busy[2].id)[0]
    made[checks.DUPLICATE_BOX] = (busy[2].id, project.add_box(busy[2].id, b.category_id, b.box))
    c = next(x for x in project.annotations(busy[3].id) if x.keypoints is not None)
    project.set_keypoint(c.id, 1, -30.0, 5.0, 2)
    made[checks.KEYPOINT_OUTSIDE] = (busy[3].id, c.id)
    lone = next(r for r in images if r.num_objects == 1)
    project.delete_box(project.annotations(lone.id)[0].id)
    project.set_status(lone.id, "in_progress")
    made[checks.EMPTY_IN_PROGRESS] = (lone.id, None)
    gone = busy[4]
    gone.path.unlink()
    made[checks.MISSING_FILE] = (gone.id, None)
    return made


@pytest.fixture
def win(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path)
    win.problems.raise_()
    qtbot.waitUntil(lambda: win.problems.table.isVisible())
    yield win
    win.close()


def test_demo_project_is_clean_and_each_defect_kind_is_listed(win, qtbot):
    qtbot.waitUntil(lambda: win.problems.checked)  # shown: a small project checks itself
    assert win.problems.problems == [] and win.problems.status.text().startswith("No problems found")
    made = _make_defects(win.session.project)
    qtbot.mouseClick(win.problems.refresh_button, Qt.MouseButton.LeftButton)
    found = {p.kind: (p.image_id, p.annotation_id) for p in win.problems.problems}
    assert found == made and len(win.problems.problems) == 6
    table = win.problems.table
    names = {r.id: r.file_name for r in win.session.project.page(0, 100)}
    for row, problem in enumerate(win.problems.problems):
        assert table.item(row, 0).text() == problem.kind
        assert table.item(row, 1).text() == names[problem.image_id].rsplit("/", 1)[-1]
        assert table.item(row, 1).toolTip() == f"{names[problem.image_id]}: {problem.message}"
        assert table.item(row, 2).text() == problem.message
    assert win.problems.status.text().startswith("6 problems")


def test_clicking_a_problem_jumps_to_its_image_and_object(win, qtbot):
    made = _make_defects(win.session.project)
    win.problems.refresh()
    table = win.problems.table
    for kind in (checks.DUPLICATE_BOX, checks.MISSING_FILE, checks.BOX_OUTSIDE):
        row = [p.kind for p in win.problems.problems].index(kind)
        table.scrollToItem(table.item(row, 1))
        rect = table.visualItemRect(table.item(row, 1))
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        image_id, ann_id = made[kind]
        assert win.session.current_image_id == image_id
        assert win.canvas.image_row is not None and win.canvas.image_row.id == image_id
        assert win.session.selected_annotation_id == (NO_ANNOTATION if ann_id is None else ann_id)
        if ann_id is not None:
            assert [b.annotation_id for b in win.canvas.box_items() if b.selected] == [ann_id]
            assert win.annotations.selected_id() == ann_id


def test_edits_recheck_a_shown_small_project_after_a_pause(win, qtbot):
    qtbot.waitUntil(lambda: win.problems.checked)
    session = win.session
    image = max(session.project.page(0, 100), key=lambda r: r.num_objects)
    ann = session.project.annotations(image.id)[0]
    session.edit(lambda p: p.add_box(image.id, ann.category_id, ann.box), image_id=image.id)
    qtbot.waitUntil(lambda: [p.kind for p in win.problems.problems] == [checks.DUPLICATE_BOX], timeout=3000)
    session.undo()
    qtbot.waitUntil(lambda: win.problems.problems == [], timeout=3000)
