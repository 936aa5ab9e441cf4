"""File > Export… (Ctrl+E): the dialog driven with real clicks writes YOLO and COCO, into a new folder or
back into the source dataset with a backup, and reports (pytest-qt)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from app.__main__ import create_window
from app.dialogs import export
from app.opening import import_dataset
from app.settings import UserDirs
from studio.demo_project import DEMO_SOURCE


@pytest.fixture
def ships(tmp_path) -> Path:
    """The demo YOLO dataset copied to ``ships/`` and imported into ``ships/ships.tern``."""
    folder = tmp_path / "ships"
    shutil.copytree(DEMO_SOURCE, folder)
    import_dataset(folder / "data.yaml", folder / "ships.tern")
    return folder


@pytest.fixture
def window(qtbot, tmp_path, ships):
    dirs = UserDirs(data=tmp_path / "data", config=tmp_path / "config", cache=tmp_path / "cache")
    win = create_window(ships / "ships.tern", dirs)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


@pytest.fixture
def told(monkeypatch) -> list[str]:
    texts: list[str] = []
    monkeypatch.setattr(export, "tell", lambda _p, title, text, **kw: texts.append(f"{title}: {text}"))
    return texts


def _drive(monkeypatch, qtbot, fill) -> list[export.ExportDialog]:
    """Replace the modal run with: ``fill(dialog)`` then a click on Export."""
    seen: list[export.ExportDialog] = []

    def run(dialog: QDialog) -> bool:
        seen.append(dialog)
        qtbot.addWidget(dialog)
        fill(dialog)
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        return dialog.result() == QDialog.DialogCode.Accepted

    monkeypatch.setattr(export, "run_dialog", run)
    return seen


def test_export_coco_to_a_new_folder(qtbot, window, told, tmp_path, monkeypatch):
    out = tmp_path / "coco-out"

    def fill(dialog):
        dialog.format.setCurrentIndex(1)
        qtbot.mouseClick(dialog.to_new, Qt.MouseButton.LeftButton)
        dialog.folder.setText(str(out))

    _drive(monkeypatch, qtbot, fill)
    window.actions_by_name["export"].trigger()
    written = json.loads((out / "annotations" / "person_keypoints_train.json").read_text())
    assert [c["name"] for c in written["categories"]] == ["ship", "boat"]
    assert len(list((out / "images" / "train").iterdir())) > 0
    assert len(told) == 1 and told[0].startswith("Export finished") and "COCO" in told[0]
    assert "backup" not in told[0]


def test_ctrl_e_exports_yolo_back_into_the_source_with_a_backup(qtbot, window, told, ships, monkeypatch):
    session = window.session
    image = next(row for row in session.project.page() if row.num_objects)
    label = ships / "labels" / image.split / (Path(image.file_name).stem + ".txt")
    old = label.read_bytes()
    ann = session.annotations(image.id)[0]
    session.edit(lambda p: p.delete_box(ann.id), image_id=image.id)
    dialogs = _drive(monkeypatch, qtbot, lambda dialog: None)  # the defaults: YOLO, into the source
    assert window.actions_by_name["export"].shortcut() == QKeySequence("Ctrl+E")
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(told))
    assert dialogs[0].to_source.isChecked() and dialogs[0].format.currentData() == "yolo"
    backups = [p for p in ships.iterdir() if p.name.startswith("backup-")]
    assert len(backups) == 1 and (backups[0] / label.relative_to(ships)).read_bytes() == old
    assert len(label.read_bytes().splitlines()) == len(old.splitlines()) - 1
    assert str(backups[0]) in told[0]
    assert all(p.is_file() for p in (ships / "images" / image.split).iterdir())


def test_a_project_without_a_known_source_offers_only_a_folder(qtbot, tmp_path, told, monkeypatch):
    dirs = UserDirs(data=tmp_path / "data", config=tmp_path / "config", cache=tmp_path / "cache")
    win = create_window(None, dirs)  # the demo project: made without a remembered source
    qtbot.addWidget(win)

    def fill(dialog):
        assert not dialog.to_source.isEnabled() and dialog.to_new.isChecked()
        dialog.folder.setText("")

    dialogs = _drive(monkeypatch, qtbot, fill)
    win.actions_by_name["export"].trigger()
    assert dialogs[0].error.text() == "Choose a folder to export into." and told == []
    win.close()
