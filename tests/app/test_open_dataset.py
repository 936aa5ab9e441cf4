"""Opening: drag and drop, File > Open / Open Folder, the proposed project path, the reader's problems,
and File > Open Recent (pytest-qt)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app import opener as opener_module
from app.__main__ import create_window
from app.settings import Settings, UserDirs
from studio.demo_project import DEMO_SOURCE, ensure_demo_project
from studio.store.project import Project


@pytest.fixture
def dirs(tmp_path) -> UserDirs:
    return UserDirs(data=tmp_path / "data", config=tmp_path / "config", cache=tmp_path / "cache")


@pytest.fixture
def dialogs(monkeypatch):
    """Replaces the save dialog (records what it proposed; answers ``chosen`` or the proposal) and
    the message boxes (records their texts)."""

    class Dialogs:
        chosen: Path | None = None
        proposed: list[Path] = []  # noqa: RUF012 (one instance per test)
        told: list[str] = []  # noqa: RUF012

    record = Dialogs()
    record.proposed, record.told = [], []

    def choose(_parent, proposed):
        record.proposed.append(proposed)
        return record.chosen or proposed

    monkeypatch.setattr(opener_module, "choose_project_path", choose)
    monkeypatch.setattr(opener_module, "tell",
                        lambda _p, title, text, **kw: record.told.append(f"{title}: {text}"))
    monkeypatch.setattr(opener_module, "ask", lambda *a: pytest.fail("no question expected"))
    return record


@pytest.fixture
def ships(tmp_path) -> Path:
    """A copy of the demo YOLO dataset as the user's folder ``ships``."""
    folder = tmp_path / "ships"
    shutil.copytree(DEMO_SOURCE, folder)
    return folder


@pytest.fixture
def window(qtbot, dirs):
    win = create_window(ensure_demo_project(dirs.data), dirs)
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def _drop(window, path: Path) -> bool:
    """Drag ``path`` over the middle of the canvas and drop it; True when the window took it."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    centre = window.canvas.mapTo(window, window.canvas.rect().center())
    target = window.childAt(centre)  # Qt hands a drag to the nearest widget that accepts drops
    while target is not None and not target.acceptDrops():
        target = target.parentWidget()
    assert target is window
    actions, button = Qt.DropAction.CopyAction, Qt.MouseButton.NoButton
    modifier = Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(centre), actions, mime, button, modifier)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(centre), actions, mime, button, modifier)
    QApplication.sendEvent(window, drop)
    return drop.isAccepted()


def test_dropping_a_data_yaml_proposes_the_project_path_then_opens_it(qtbot, window, dialogs, ships):
    assert _drop(window, ships / "data.yaml")
    assert dialogs.proposed == [ships / "ships.tern"] and dialogs.told == []
    project = window.session.project
    assert Path(project.path) == ships / "ships.tern" and project.count_images() == 24
    assert project.source == (ships / "data.yaml", "yolo")
    assert window.images.model.rowCount() == 24 and window.windowTitle().startswith("ships")


def test_dropping_a_dataset_folder_at_another_chosen_path(window, dialogs, ships, tmp_path):
    dialogs.chosen = tmp_path / "elsewhere" / "mine.tern"
    assert _drop(window, ships)
    assert dialogs.proposed == [ships / "ships.tern"]
    assert Path(window.session.project.path) == dialogs.chosen and not (ships / "ships.tern").exists()


def test_a_file_that_is_no_dataset_is_not_taken(window, dialogs, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    before = window.session.project
    assert not _drop(window, notes)
    assert window.session.project is before and dialogs.proposed == []


def test_reader_problems_are_summarised_after_the_import(window, dialogs, ships):
    label = next((ships / "labels" / "train").glob("*.txt"))
    label.write_text(label.read_text() + "7 0.5 0.5 0.1\n")  # a short row of an unknown class
    assert _drop(window, ships / "data.yaml")
    assert len(dialogs.told) == 1 and dialogs.told[0].startswith("Imported with problems")
    assert "error(s)" in dialogs.told[0] and label.name in dialogs.told[0]
    assert Path(window.session.project.path) == ships / "ships.tern"


def test_cancelling_the_save_dialog_imports_nothing(window, dialogs, ships, monkeypatch):
    monkeypatch.setattr(opener_module, "choose_project_path", lambda *a: None)
    demo = window.session.project
    assert _drop(window, ships / "data.yaml")
    assert window.session.project is demo and not (ships / "ships.tern").exists()


def test_file_open_takes_a_coco_json_and_open_folder_a_yolo_folder(window, dialogs, ships, tmp_path,
                                                                   monkeypatch):
    with Project.open(window.session.project.path, readonly=True) as demo:
        from studio.io.coco import save_coco

        save_coco(demo.to_dataset(), tmp_path / "coco" / "instances_all.json")
    monkeypatch.setattr(opener_module.QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(tmp_path / "coco" / "instances_all.json"), ""))
    window.actions_by_name["open_project"].trigger()
    assert Path(window.session.project.path) == tmp_path / "coco" / "instances_all.tern"
    assert window.session.project.source[1] == "coco" and window.session.project.count_images() == 24
    monkeypatch.setattr(opener_module.QFileDialog, "getExistingDirectory", lambda *a, **k: str(ships))
    window.actions_by_name["open_folder"].trigger()
    assert Path(window.session.project.path) == ships / "ships.tern"
    assert dialogs.proposed == [tmp_path / "coco" / "instances_all.tern", ships / "ships.tern"]


def test_open_recent_lists_the_last_projects_and_prunes_missing_ones(window, dialogs, ships, dirs):
    demo = Path(window.session.project.path)
    assert _drop(window, ships / "data.yaml")
    menu = window.opener.recent_menu
    menu.aboutToShow.emit()
    items = menu.actions()
    assert [a.toolTip() for a in items] == [str((ships / "ships.tern").resolve()), str(demo.resolve())]
    items[1].trigger()  # back to the demo
    assert Path(window.session.project.path) == demo
    gone = dirs.config.parent / "gone.tern"
    settings = Settings(dirs.config)
    data = json.loads(settings.path.read_text())
    data["recent_projects"].append(str(gone))
    settings.path.write_text(json.dumps(data))
    menu.aboutToShow.emit()
    assert str(gone) not in [a.toolTip() for a in menu.actions()]
    assert str(gone) not in json.loads(settings.path.read_text())["recent_projects"]


def test_recent_keeps_the_last_ten(tmp_path):
    settings = Settings(tmp_path / "config")
    paths = []
    for i in range(12):
        path = tmp_path / f"p{i}.tern"
        path.write_bytes(b"")
        paths.append(path)
        settings.set_last_project(path)
    settings.set_last_project(paths[5])  # reopening moves it first, without a duplicate
    recent = settings.recent_projects()
    assert recent[0] == paths[5].resolve() and len(recent) == 10 == len(set(recent))
    assert recent[1:4] == [p.resolve() for p in (paths[11], paths[10], paths[9])]


def test_an_empty_recent_menu_says_so(qtbot, dirs):
    win = create_window(None, dirs)  # opens the demo, so one recent project
    qtbot.addWidget(win)
    win.session.close()
    win.opener.settings.path.write_text("{}")
    win.opener.recent_menu.aboutToShow.emit()
    items = win.opener.recent_menu.actions()
    assert [a.text() for a in items] == ["No recent projects"] and not items[0].isEnabled()
    win.close()
