"""The images dock's "With problems" box in the real window: it lists exactly the images the problem
check names (checking once itself when no check ran yet, sharing it with the problems dock) and
follows each new check after an edit (pytest-qt, offscreen)."""

from __future__ import annotations

import pytest
from canvas_driver import open_window
from PySide6.QtCore import QPoint, Qt
from test_panel_problems import _make_defects

from app.panels.image_list import ImageIdRole
from studio.annotations import SPLITS
from studio.store import checks


@pytest.fixture
def win(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path)
    yield win
    win.images.thumbnails.wait()
    win.close()


def _listed(win) -> list[int]:
    model = win.images.model
    assert model.ensure_loaded(model.total - 1) or model.total == 0
    return [model.data(model.index(i), ImageIdRole) for i in range(model.rowCount())]


def _tick(qtbot, win) -> None:
    box = win.images.problems_box
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # the indicator


def _in_file_order(win, image_ids) -> list[int]:
    names = {r.id: r.file_name for r in win.session.project.page(0, 1000)}
    return sorted(image_ids, key=lambda i: (names[i], i))


def test_ticking_lists_the_images_with_problems_and_the_list_follows_a_fix(win, qtbot):
    session = win.session
    assert session.problems is None and not win.problems.shown  # a tab behind the annotations: unchecked
    every = session.project.count_images()
    made = _make_defects(session.project)  # six defects, one per image
    checks_run = []
    session.problems_changed.connect(lambda: checks_run.append(session.problem_image_ids))
    _tick(qtbot, win)
    assert win.images.problems_box.isChecked()
    want = {image_id for image_id, _ in made.values()}
    assert len(checks_run) == 1 and checks_run[0] == want  # no check had run: the dock asked for one
    assert _listed(win) == _in_file_order(win, want)
    assert win.images.count_label.text() == f"{len(want)} images"
    assert len(win.problems.problems) == 6  # the problems dock shows that same check
    duplicate_image, duplicate_ann = made[checks.DUPLICATE_BOX]
    session.edit(lambda p: p.delete_box(duplicate_ann), image_id=duplicate_image)  # fix one
    assert _listed(win) == _in_file_order(win, want)  # the list shows the latest check until a new one
    win.actions_by_name["check_problems"].trigger()  # View > Check for Problems
    assert len(checks_run) == 2
    assert _listed(win) == _in_file_order(win, want - {duplicate_image})
    assert win.images.count_label.text() == f"{len(want) - 1} images"
    _tick(qtbot, win)  # off again: every image, and no new check
    assert win.images.model.total == every and len(checks_run) == 2


def test_the_filter_combines_with_split_and_search(win, qtbot):
    session, images = win.session, win.images
    _make_defects(session.project)
    _tick(qtbot, win)
    ids = session.problem_image_ids
    seen = []
    for split in SPLITS:
        images.split_box.setCurrentIndex(images.split_box.findData(split))
        assert _listed(win) == [r.id for r in session.project.page(0, 1000, split=split) if r.id in ids]
        seen += _listed(win)
    assert sorted(seen) == sorted(ids)
    images.split_box.setCurrentIndex(0)  # all splits
    one = session.project.image(sorted(ids)[2])
    qtbot.keyClicks(images.search_box, one.file_name.rsplit("/", 1)[-1].upper())
    qtbot.waitUntil(lambda: images.model.total == 1)
    assert _listed(win) == [one.id]
    other = next(s for s in ("train", "val") if s != one.split)
    images.split_box.setCurrentIndex(images.split_box.findData(other))
    assert _listed(win) == [] and images.count_label.text() == "0 images"


def test_a_shown_problems_dock_rechecks_after_an_edit_and_the_list_follows(win, qtbot):
    session = win.session
    win.problems.raise_()
    qtbot.waitUntil(lambda: win.problems.checked)  # shown on a small project: it checks itself
    _tick(qtbot, win)
    assert _listed(win) == [] and win.images.count_label.text() == "0 images"  # the demo is clean
    image = max(session.project.page(0, 100), key=lambda r: r.num_objects)
    ann = session.project.annotations(image.id)[0]
    session.edit(lambda p: p.add_box(image.id, ann.category_id, ann.box), image_id=image.id)
    qtbot.waitUntil(lambda: _listed(win) == [image.id], timeout=3000)
    session.undo()
    qtbot.waitUntil(lambda: _listed(win) == [], timeout=3000)
