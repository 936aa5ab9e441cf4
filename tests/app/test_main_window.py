"""The studio window on the demo project: list, classes, viewer, keys, status bar (pytest-qt)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent

from app.__main__ import create_window
from app.panels import image_list
from app.settings import UserDirs
from studio.demo_project import ensure_demo_project


@pytest.fixture
def dirs(tmp_path) -> UserDirs:
    return UserDirs(data=tmp_path / "data", config=tmp_path / "config", cache=tmp_path / "cache")


@pytest.fixture
def window(qtbot, dirs):
    project = ensure_demo_project(dirs.data)
    win = create_window(project, dirs)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def _rows(win) -> list:
    model = win.images.model
    return [model.data(model.index(i), image_list.ImageRowRole) for i in range(model.rowCount())]


def test_the_list_shows_every_image(window):
    assert window.session.project is not None
    assert window.images.model.rowCount() == 24 == window.session.project.count_images()
    assert window.images.count_label.text() == "24 images"
    names = [row.file_name for row in _rows(window)]
    assert len(set(names)) == 24 and all(name.endswith(".jpg") for name in names)
    assert window.windowTitle().startswith("demo")


def test_opening_selects_the_first_image_and_fits_it(window, qtbot):
    first = _rows(window)[0]
    assert window.session.current_image_id == first.id
    assert window.images.view.currentIndex().row() == 0
    layer = window.canvas.image_item
    assert layer is not None
    qtbot.waitUntil(lambda: layer.is_full_resolution)
    full = layer.pyramid().levels[0]
    assert (full.width(), full.height()) == (first.width, first.height)
    visible = window.canvas.mapToScene(window.canvas.viewport().rect()).boundingRect()
    assert visible.contains(window.canvas.image_item.boundingRect())


def test_selecting_a_row_draws_its_boxes_where_the_store_has_them(window, qtbot):
    rows = _rows(window)
    target = max(rows, key=lambda r: r.num_objects)
    with qtbot.waitSignal(window.session.image_selected):
        window.images.select_row(rows.index(target))
    annotations = window.session.project.annotations(target.id)
    boxes = window.canvas.box_items()
    assert len(boxes) == target.num_objects == len(annotations)
    drawn = sorted((b.rect().left(), b.rect().top(), b.rect().right(), b.rect().bottom()) for b in boxes)
    stored = sorted(a.box for a in annotations)
    np.testing.assert_allclose(drawn, stored, atol=1e-6)
    labeled = sum(int((np.asarray(a.keypoints)[:, 2] > 0).sum()) for a in annotations)
    assert len(window.canvas.keypoint_items()) == labeled > 0
    names = {b.label.text for b in boxes}
    assert names <= {"ship", "boat"}


def test_d_and_a_keys_move_the_selection(window, qtbot):
    view = window.images.view
    rows = _rows(window)
    qtbot.keyClick(window, Qt.Key.Key_D)
    assert view.currentIndex().row() == 1 and window.session.current_image_id == rows[1].id
    qtbot.keyClick(window, Qt.Key.Key_D)
    qtbot.keyClick(window, Qt.Key.Key_A)
    assert view.currentIndex().row() == 1
    qtbot.keyClick(window, Qt.Key.Key_A)
    qtbot.keyClick(window, Qt.Key.Key_A)  # stays on the first image
    assert view.currentIndex().row() == 0 and window.session.current_image_id == rows[0].id


def test_the_status_bar_names_project_count_and_image(window):
    bar = window.statusBar()
    assert bar.project_label.text() == "Project: demo"
    assert bar.count_label.text() == "24 images"
    row = window.session.current_image()
    assert bar.image_label.text() == f"{row.file_name}  {row.width} x {row.height}"


def test_the_classes_panel_lists_categories_with_counts(window):
    table = window.classes.table
    assert table.rowCount() == 2
    assert [table.item(i, 0).text() for i in range(2)] == ["ship", "boat"]
    project = window.session.project
    total = sum(len(project.annotations(r.id)) for r in _rows(window))
    assert window.classes.count_of(0) + window.classes.count_of(1) == total
    assert window.classes.count_of(0) > 0 and window.classes.count_of(1) > 0


def test_split_filter_lists_only_that_split(window, qtbot):
    box = window.images.split_box
    box.setCurrentIndex(box.findData("val"))
    rows = _rows(window)
    assert len(rows) == 6 and {r.split for r in rows} == {"val"}
    assert window.images.count_label.text() == "6 images"
    assert window.session.current_image_id == rows[0].id
    status = window.images.status_box
    status.setCurrentIndex(status.findData("unlabeled"))
    assert window.images.model.rowCount() == 0 and window.canvas.image_item is None


def test_the_list_fetches_page_by_page(window, monkeypatch):
    monkeypatch.setattr(image_list, "PAGE_SIZE", 5)
    model = window.images.model
    model.reload()
    assert model.rowCount() == 5 and model.canFetchMore()
    assert window.images.select_row(12)
    assert model.rowCount() == 15
    assert not window.images.select_row(24)
    assert model.rowCount() == 24 and not model.canFetchMore()


def test_wheel_zooms_and_fit_restores(window):
    canvas = window.canvas
    fitted = canvas.zoom
    center = QPointF(canvas.viewport().rect().center())
    wheel = QWheelEvent(center, canvas.mapToGlobal(center), QPoint(), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    canvas.wheelEvent(wheel)
    assert canvas.zoom == pytest.approx(fitted * 1.0015**240)
    window.actions_by_name["fit_view"].trigger()
    assert canvas.zoom == pytest.approx(fitted)


def test_a_missing_image_shows_a_placeholder_with_its_boxes(window, qtbot):
    rows = _rows(window)
    Path(rows[9].path).unlink()  # far from the first image: not prefetched
    window.images.select_row(9)
    layer = window.canvas.image_item
    qtbot.waitUntil(lambda: layer.error is not None)
    assert not layer.has_pixels
    assert len(window.canvas.box_items()) == rows[9].num_objects
    assert window.canvas.scene().sceneRect().contains(0, 0)


def test_the_next_image_is_prefetched_and_paints_from_memory(window, qtbot, dirs):
    rows = _rows(window)
    cache = window.canvas.image_cache
    qtbot.waitUntil(lambda: cache.get(rows[1].path) is not None and cache.get(rows[1].path).full)
    window.images.step(+1)  # what D does
    assert window.session.current_image_id == rows[1].id
    assert window.canvas.image_item.is_full_resolution  # no decode between the key and the paint
    assert any((dirs.cache / "thumbs").rglob("*")), "thumbnails go to the user cache folder"


def test_a_gallery_image_opens_on_the_canvas_and_a_foreign_one_is_explained(window, qtbot, monkeypatch):
    rows = _rows(window)
    target = rows[-1]
    window.results.open_image.emit(str(target.path))  # the results gallery's double-click
    assert window.session.current_image_id == target.id
    qtbot.waitUntil(lambda: window.canvas.image_id == target.id)
    told = []
    monkeypatch.setattr("app.opener.tell", lambda parent, title, text, error=True: told.append(text))
    window.results.open_image.emit("/nowhere/else.jpg")
    assert window.session.current_image_id == target.id and "not an image of the open project" in told[0]
