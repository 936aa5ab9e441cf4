"""The images dock as a browser: file-name search, "contains class X", grid of thumbnails, status
refresh after edits, missing images marked and relinked from the File menu (pytest-qt, offscreen)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListView

from app.__main__ import create_window
from app.panels import image_list
from app.panels.image_delegate import MISSING_COLOR, THUMB_BACKGROUND, status_text, subtitle
from app.panels.image_list import ImageListPanel, ImageRowRole
from app.session import Session
from app.settings import UserDirs
from app.thumbnails import MISSING, ThumbnailStore
from studio.demo_project import ensure_demo_project


@pytest.fixture
def demo(tmp_path) -> Path:
    return ensure_demo_project(tmp_path / "data")


@pytest.fixture
def open_panel(qtbot, tmp_path):
    """open_panel(project) -> an images dock (270 px wide, as in the window) showing it."""
    made = []

    def make(project: Path) -> ImageListPanel:
        session = Session()
        panel = ImageListPanel(session, None, ThumbnailStore(tmp_path / "thumbs"))
        qtbot.addWidget(panel)
        panel.resize(270, 700)
        panel.show()
        qtbot.waitExposed(panel)
        session.open_project(project)
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.thumbnails.wait()
        panel.session.close()


@pytest.fixture
def panel(open_panel, demo) -> ImageListPanel:
    return open_panel(demo)


def _rows(panel) -> list:
    model = panel.model
    return [model.data(model.index(i), ImageRowRole) for i in range(model.rowCount())]


def _all(project) -> list:
    return project.page(0, 1000)


def test_typing_in_the_search_box_filters_by_file_name(qtbot, panel):
    project = panel.session.project
    qtbot.keyClicks(panel.search_box, "SEA_00")
    want = [r.file_name for r in _all(project) if "sea_00" in r.file_name.lower()]
    assert 0 < len(want) < len(_all(project))
    qtbot.waitUntil(lambda: [r.file_name for r in _rows(panel)] == want, timeout=2000)
    assert panel.count_label.text() == f"{len(want)} images"
    assert panel.session.current_image_id == _rows(panel)[0].id
    panel.search_box.clear()
    qtbot.waitUntil(lambda: panel.model.rowCount() == len(_all(project)), timeout=2000)


def test_the_class_filter_lists_images_holding_that_class(qtbot, panel):
    project = panel.session.project
    box = panel.class_box
    assert [box.itemText(i) for i in range(box.count())] == ["All classes", "contains ship", "contains boat"]
    for cat in project.categories():
        box.setCurrentIndex(box.findData(cat.id))
        want = [r.id for r in _all(project)
                if any(a.category_id == cat.id for a in project.annotations(r.id))]
        assert [r.id for r in _rows(panel)] == want and len(want) > 0
    panel.status_box.setCurrentIndex(panel.status_box.findData("unlabeled"))
    assert all(r.status == "unlabeled" for r in _rows(panel))


def test_grid_mode_shows_thumbnails(qtbot, panel):
    qtbot.mouseClick(panel.filters.grid_button, Qt.MouseButton.LeftButton)
    assert panel.grid and panel.view.viewMode() == QListView.ViewMode.IconMode
    first = panel.model.index(0)
    rect = panel.view.visualRect(first)
    second = panel.view.visualRect(panel.model.index(1))
    assert rect.width() < 200 and second.top() == rect.top()  # tiles side by side
    path = _rows(panel)[0].path
    qtbot.waitUntil(lambda: panel.thumbnails.get(path) is not None, timeout=5000)
    shot = panel.view.viewport().grab().toImage()
    centre = QColor(shot.pixel(rect.center().x(), rect.top() + 50))
    assert centre != THUMB_BACKGROUND and centre.name() != panel.view.palette().base().color().name()
    qtbot.mouseClick(panel.filters.grid_button, Qt.MouseButton.LeftButton)
    assert panel.view.viewMode() == QListView.ViewMode.ListMode


def test_edits_refresh_rows_in_place(qtbot, panel):
    rows = _rows(panel)
    panel.select_row(3)
    target = rows[3]
    panel.session.edit(lambda p: p.set_status(target.id, "done"), images=True)
    assert _rows(panel)[3].status == "done" and panel.view.currentIndex().row() == 3
    empty = next(r for r in rows if r.num_objects == 0) if any(r.num_objects == 0 for r in rows) else None
    if empty is not None:
        assert subtitle(empty).count("·") == 2
    anns = panel.session.project.annotations(target.id)
    panel.session.edit(lambda p: [p.delete_box(a.id) for a in anns], image_id=target.id)
    row = _rows(panel)[3]
    assert row.num_objects == 0 and status_text(row) == "done, no objects"
    assert subtitle(row) == f"{row.split} · done, no objects"


def test_an_edit_that_leaves_the_filter_keeps_the_image_shown(qtbot, panel):
    panel.status_box.setCurrentIndex(panel.status_box.findData("done"))
    before = _rows(panel)
    shown = panel.session.current_image_id
    panel.session.edit(lambda p: p.set_status(shown, "in_progress"), images=True)
    assert [r.id for r in _rows(panel)] == [r.id for r in before if r.id != shown]
    assert panel.session.current_image_id == shown


def test_a_missing_image_gets_a_red_mark(qtbot, open_panel, demo):
    gone = sorted((demo.parent / "dataset" / "images").rglob("*.jpg"), key=lambda p: p.name)[1]
    gone.unlink()
    panel = open_panel(demo)
    row = _rows(panel)[1]
    assert Path(row.path) == gone
    qtbot.waitUntil(lambda: panel.thumbnails.state(row.path) == MISSING, timeout=5000)
    assert panel.thumbnails.state(row.path) == MISSING
    rect = panel.view.visualRect(panel.model.index(1))
    shot = panel.view.viewport().grab().toImage()
    y = rect.center().y()
    assert any(QColor(shot.pixel(rect.left() + 4 + dx, y)) == MISSING_COLOR for dx in range(5))


def test_relink_from_the_file_menu(qtbot, tmp_path, demo, monkeypatch):
    dirs = UserDirs(data=tmp_path / "data", config=tmp_path / "config", cache=tmp_path / "cache")
    window = create_window(demo, dirs)
    qtbot.addWidget(window)
    project = window.session.project
    moved = tmp_path / "moved"
    shutil.move(demo.parent / "dataset" / "images", moved / "images")
    assert len(project.missing_images()) == 24
    monkeypatch.setattr(image_list.QFileDialog, "getExistingDirectory", lambda *a, **k: str(moved))
    told = []
    monkeypatch.setattr(image_list, "tell", lambda _parent, title, text, **kw: told.append(text))
    window.actions_by_name["relink_missing"].trigger()
    assert project.missing_images() == [] and told == ["Relinked 24 of 24 missing images."]
    assert all(moved in Path(r.path).parents for r in _rows(window.images))
    assert project.undo_text() == "Relink 24 images"
    window.close()
