"""Edit > Skeleton…: the editor applies the COCO-17 preset and edits to the store; undo restores."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.__main__ import create_window
from app.dialogs import skeleton
from app.settings import UserDirs
from studio.demo_project import DEMO_SOURCE
from studio.io.dataset import load_dataset
from studio.skeletons import COCO17
from studio.store.project import Project


def _window(qtbot, tmp_path, project):
    dirs = UserDirs(data=tmp_path / "data", config=tmp_path / "config", cache=tmp_path / "cache")
    win = create_window(project, dirs)
    qtbot.addWidget(win)
    return win


@pytest.fixture
def boxes_only(tmp_path):
    """The demo dataset without keypoints: a detection project."""
    shutil.copytree(DEMO_SOURCE, tmp_path / "ships")
    dataset, _ = load_dataset(tmp_path / "ships" / "data.yaml")
    for sample in dataset.samples:
        for ann in sample.annotations:
            ann.keypoints = None
    dataset.kpt_shape = dataset.flip_idx = None
    for i, cat in enumerate(dataset.categories):
        dataset.categories[i] = type(cat)(cat.id, cat.name, cat.supercategory, (), (), cat.extra)
    path = tmp_path / "ships" / "boxes.tern"
    Project.create(path, dataset).close()
    return path


def _drive(monkeypatch, qtbot, fill) -> list[skeleton.SkeletonDialog]:
    seen = []

    def run(dialog: QDialog) -> bool:
        seen.append(dialog)
        qtbot.addWidget(dialog)
        fill(dialog)
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
        return dialog.result() == QDialog.DialogCode.Accepted

    monkeypatch.setattr(skeleton, "run_dialog", run)
    return seen


def test_the_coco17_preset_goes_into_the_store_and_undo_restores(qtbot, tmp_path, boxes_only, monkeypatch):
    win = _window(qtbot, tmp_path, boxes_only)
    session = win.session
    before = session.project.categories()
    dialogs = _drive(monkeypatch, qtbot, lambda d: qtbot.mouseClick(d.preset, Qt.MouseButton.LeftButton))
    with qtbot.waitSignal(session.categories_changed):
        win.actions_by_name["edit_skeleton"].trigger()
    assert dialogs[0].values() == (list(COCO17.names), list(COCO17.edges), list(COCO17.flip_idx))
    project = session.project
    assert project.kpt_shape == (17, 3) and project.flip_idx == COCO17.flip_idx
    assert all(c.keypoints == COCO17.names and c.skeleton == COCO17.edges for c in session.categories())
    assert project.undo_text() == "Set skeleton"
    session.undo()
    assert project.kpt_shape is None and project.categories() == before
    win.close()


def test_renaming_adding_and_pairing_keypoints(qtbot, tmp_path, boxes_only, monkeypatch):
    win = _window(qtbot, tmp_path, boxes_only)

    def fill(d):
        assert d.points.rowCount() == 0
        for _ in range(3):
            d.add_point()
        d.points.item(0, 0).setText("bow")
        d.points.item(1, 0).setText("port")
        d.points.item(2, 0).setText("starboard")
        d.points.cellWidget(1, 1).setCurrentIndex(2)
        d.points.cellWidget(2, 1).setCurrentIndex(1)
        d.add_edge()
        d.add_edge()
        d.edges.cellWidget(1, 1).setCurrentIndex(2)
        assert d.edges.cellWidget(0, 0).itemText(0) == "1: bow"

    _drive(monkeypatch, qtbot, fill)
    win.actions_by_name["edit_skeleton"].trigger()
    project = win.session.project
    assert project.categories()[0].keypoints == ("bow", "port", "starboard")
    assert project.categories()[0].skeleton == ((1, 2), (1, 3)) and project.flip_idx == (0, 2, 1)
    win.close()


def test_removing_a_keypoint_drops_its_edges_and_renumbers(qtbot, tmp_path, boxes_only):
    win = _window(qtbot, tmp_path, boxes_only)
    dialog = skeleton.SkeletonDialog(win, win.session)
    qtbot.addWidget(dialog)
    dialog.load(COCO17)
    dialog.points.setCurrentCell(0, 0)  # the nose
    dialog.remove_point()
    names, edges, flip = dialog.values()
    assert names == list(COCO17.names[1:]) and len(edges) == len(COCO17.edges) - 2
    assert flip[:2] == [1, 0] and all(1 <= i <= 16 for e in edges for i in e)
    win.close()


def test_changing_k_on_a_labelled_pose_project_is_refused_in_the_dialog(qtbot, tmp_path, monkeypatch):
    shutil.copytree(DEMO_SOURCE, tmp_path / "ships")
    dataset, _ = load_dataset(tmp_path / "ships" / "data.yaml")
    Project.create(tmp_path / "ships" / "ships.tern", dataset).close()
    win = _window(qtbot, tmp_path, tmp_path / "ships" / "ships.tern")

    def fill(d):
        assert d.values()[0] == ["bow", "stern", "bridge"] and d.values()[1] == [(1, 3), (3, 2)]
        qtbot.mouseClick(d.preset, Qt.MouseButton.LeftButton)

    dialogs = _drive(monkeypatch, qtbot, fill)
    win.actions_by_name["edit_skeleton"].trigger()
    assert "hold 3 keypoints" in dialogs[0].error.text()
    assert win.session.project.kpt_shape == (3, 3) and not win.session.project.can_undo
    win.close()
