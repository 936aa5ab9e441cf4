"""Start-up: what PATH opens, last project / demo fallback, dataset import, locked projects, and no
heavy library loaded by the time the window exists."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app import opener as opener_module
from app.__main__ import create_window, parse_args, startup_path
from app.opening import resolve_target
from app.settings import Settings, UserDirs
from studio.demo_project import DEMO_SOURCE, ensure_demo_project
from studio.errors import DatasetNotFoundError, ProjectLockedError
from studio.store.project import Project

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def dirs(tmp_path) -> UserDirs:
    return UserDirs(data=tmp_path / "data", config=tmp_path / "config", cache=tmp_path / "cache")


@pytest.fixture
def answers(monkeypatch):
    """Replaces the message boxes: ``answers.yes`` is what ask() returns; both record their texts."""

    class Answers:
        yes = True
        asked: list[str] = []  # noqa: RUF012 (one instance per test)
        told: list[str] = []  # noqa: RUF012

    record = Answers()
    record.asked, record.told = [], []

    def ask(_parent, title, text):
        record.asked.append(f"{title}: {text}")
        return record.yes

    def tell(_parent, title, text, *, error=True):
        record.told.append(f"{title}: {text}")

    def choose(_parent, proposed):  # the save dialog of a dataset's new project
        record.asked.append(f"Save project as: {proposed}")
        return proposed if record.yes else None

    monkeypatch.setattr(opener_module, "ask", ask)
    monkeypatch.setattr(opener_module, "choose_project_path", choose)
    monkeypatch.setattr(opener_module, "tell", tell)
    return record


@pytest.fixture
def yolo_copy(tmp_path) -> Path:
    """A copy of the demo dataset as a user's YOLO folder."""
    folder = tmp_path / "ships"
    shutil.copytree(DEMO_SOURCE, folder)
    return folder


def _open(qtbot, path, dirs):
    window = create_window(path, dirs)
    qtbot.addWidget(window)
    return window


def test_parse_args():
    assert parse_args([]).path is None
    assert parse_args(["x/data.yaml"]).path == Path("x/data.yaml")


def test_resolve_target_for_each_kind_of_path(yolo_copy, tmp_path):
    yaml_target = resolve_target(yolo_copy / "data.yaml")
    assert yaml_target.project == yolo_copy / "ships.tern" and yaml_target.dataset == yolo_copy / "data.yaml"
    assert resolve_target(yolo_copy).project == yolo_copy / "ships.tern"
    coco = tmp_path / "instances_val.json"
    coco.write_text("{}")
    assert resolve_target(coco).project == tmp_path / "instances_val.tern"
    project = tmp_path / "p.tern"
    project.write_bytes(b"")
    assert resolve_target(project).dataset is None
    with pytest.raises(DatasetNotFoundError):
        resolve_target(tmp_path / "notes.txt")


def test_no_path_opens_the_demo_then_the_last_project(qtbot, dirs, answers):
    window = _open(qtbot, None, dirs)
    demo = dirs.data / "demo" / "demo.tern"
    assert Path(window.session.project.path) == demo
    saved = json.loads((dirs.config / "settings.json").read_text())
    assert saved["last_project"] == str(demo.resolve()) and saved["recent_projects"] == [str(demo.resolve())]
    window.close()
    assert startup_path(None, dirs, Settings(dirs.config)) == demo.resolve()
    demo.unlink()  # the last project is gone: start-up falls back to the demo (made again)
    assert startup_path(None, dirs, Settings(dirs.config)) == demo and demo.is_file()
    assert answers.asked == [] and answers.told == []


def test_a_dataset_path_is_imported_beside_it_once(qtbot, dirs, answers, yolo_copy):
    window = _open(qtbot, yolo_copy / "data.yaml", dirs)
    assert len(answers.asked) == 1 and "ships.tern" in answers.asked[0]
    assert Path(window.session.project.path) == yolo_copy / "ships.tern"
    assert window.images.model.rowCount() == 24
    window.close()
    again = _open(qtbot, yolo_copy, dirs)  # the folder now opens the existing project: no question
    assert len(answers.asked) == 1 and Path(again.session.project.path) == yolo_copy / "ships.tern"
    again.close()


def test_declining_the_import_opens_nothing(qtbot, dirs, answers, yolo_copy):
    answers.yes = False
    window = _open(qtbot, yolo_copy / "data.yaml", dirs)
    assert window.session.project is None and not (yolo_copy / "ships.tern").exists()
    assert window.statusBar().project_label.text() == "No project open"


def test_an_unreadable_path_says_why(qtbot, dirs, answers, tmp_path):
    window = _open(qtbot, tmp_path / "missing.tern", dirs)
    assert window.session.project is None
    assert len(answers.told) == 1 and "missing.tern" in answers.told[0]


def test_a_locked_project_is_offered_read_only(qtbot, dirs, answers):
    path = ensure_demo_project(dirs.data)
    holder = Project.open(path)
    try:
        with pytest.raises(ProjectLockedError):
            Project.open(path).close()
        window = _open(qtbot, path, dirs)
        assert len(answers.asked) == 1 and "read-only" in answers.asked[0]
        assert window.session.readonly and window.session.project.readonly
        assert "(read-only)" in window.windowTitle()
        window.close()
        answers.yes = False
        declined = _open(qtbot, path, dirs)
        assert declined.session.project is None
    finally:
        holder.close()


START_UP = """
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.__main__ import create_window
from app.settings import UserDirs
root = Path(sys.argv[1])
window = create_window(None, UserDirs(root / "data", root / "config", root / "cache"))
window.show()
app.processEvents()
assert window.session.project is not None and window.canvas.box_items(), "the demo did not open"
print(sorted(m for m in ("torch", "cv2", "onnxruntime") if m in sys.modules))
"""


def test_the_window_opens_without_torch_cv2_or_onnxruntime(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(START_UP), str(tmp_path)], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"


def test_python_dash_m_app_help():
    run = subprocess.run([sys.executable, "-m", "app", "--help"], cwd=REPO, capture_output=True,
                         text=True, timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 0 and "tern-studio" in run.stdout and "data.yaml" in run.stdout
