"""Train > Train… (Ctrl+T): defaults by task and data size, the options it hands to ``tern train``, "Train"
and "Train and export" exporting the split into the run folder on a worker thread (the dialog busy, the
event loop running) and launching the worker with and without --no-export (a fake launcher here; one real
tiny run from the window at the end), a failed split export shown in the dialog, and the denoiser's clean
RAW folder (pytest-qt)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog

from app.dialogs import train
from app.dialogs.train_defaults import suggested
from app.panels import jobs
from app.session import Session
from app.settings import UserDirs
from studio.demo_project import ensure_demo_project
from studio.engine.data_source import load_training_data
from studio.io.yolo import load_yolo
from studio.jobs import train_command
from studio.shapes import make_shapes
from studio.store.project import Project


class FakeLauncher:
    """Records what JobLauncher.start would run."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], Path]] = []

    def start(self, argv: list[str], run: Path) -> None:
        self.calls.append((argv, run))


@pytest.fixture
def demo(tmp_path) -> Path:
    """The demo project (YOLO pose ships, 18 train + 6 val images, all done)."""
    return ensure_demo_project(tmp_path / "data")


@pytest.fixture
def shapes(tmp_path) -> Path:
    """A detect-only project of 20 done images with no val split."""
    dataset, _ = load_yolo(make_shapes(tmp_path / "shapes", num_images=20, size=64))
    path = tmp_path / "shapes" / "shapes.tern"
    Project.create(path, dataset).close()
    return path


def _session(path: Path) -> Session:
    session = Session()
    session.open_project(path)
    return session


@pytest.fixture
def dialog_for(qtbot):
    """dialog_for(project_path) -> (TrainDialog, FakeLauncher, started runs)."""
    sessions: list[Session] = []

    def make(path: Path) -> tuple[train.TrainDialog, FakeLauncher, list[Path]]:
        session = _session(path)
        sessions.append(session)
        launcher, started = FakeLauncher(), []
        dialog = train.TrainDialog(session, launcher=launcher, on_started=started.append)
        qtbot.addWidget(dialog)
        return dialog, launcher, started

    yield make
    for session in sessions:
        session.close()


def _select(combo, data: str) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setCurrentIndex(index)


# ---------------------------------------------------------------------------------------- defaults
def test_a_pose_project_defaults_to_pose_with_sizes_fit_to_its_data(dialog_for, demo):
    dialog, _, _ = dialog_for(demo)
    assert dialog.task_name() == "pose"
    assert (dialog.arch.currentData(), dialog.model_size.currentData()) == ("yolo", "n")  # 18 training images
    assert (dialog.backbone.currentData(), dialog.neck.currentData()) == ("elan", "pan")
    assert dialog.imgsz.value() == 480  # the demo's images are 480 x 336: no upscaling to 640
    assert (dialog.epochs.value(), dialog.batch.value()) == (100, 16)
    assert dialog.device.currentData() == "auto"
    assert dialog.name.text() == "train"
    assert dialog.run_path() == demo.parent / "runs" / "pose" / "train"
    assert dialog.split.text().startswith("18 train, 6 val (the project's own split)")
    assert not dialog.val_fraction.isEnabled()  # the project's val split is used as it is
    pose = dialog.task.model().item(dialog.task.findData("pose"))
    assert pose.isEnabled()
    _select(dialog.task, "pose")
    assert [dialog.arch.itemData(i) for i in range(dialog.arch.count())] == ["yolo"]  # one-stage only


def test_a_box_project_without_val_split_gets_the_hash_split(dialog_for, shapes):
    dialog, _, _ = dialog_for(shapes)
    assert dialog.task_name() == "detect"
    assert not dialog.task.model().item(dialog.task.findData("pose")).isEnabled()  # no keypoints
    assert dialog.val_fraction.isEnabled()
    text = dialog.split.text()
    assert "no val split in the project: 20%" in text
    train_count, val_count = (int(part.split()[0]) for part in text.split(" (")[0].split(", ")[:2])
    assert train_count + val_count == 20 and val_count > 0
    dialog.val_fraction.setValue(0.5)
    assert "50%" in dialog.split.text()
    assert dialog.imgsz.value() == 64 and dialog.batch.value() <= 20


def test_faster_rcnn_brings_its_recipe_and_zoo_backbones(dialog_for, demo):
    dialog, _, _ = dialog_for(demo)
    _select(dialog.task, "detect")
    _select(dialog.arch, "faster_rcnn")
    assert (dialog.model_size.currentData(), dialog.backbone.currentData(), dialog.neck.currentData()) == \
        ("m", "resnet50", "fpn")
    assert (dialog.epochs.value(), dialog.batch.value(), dialog.imgsz.value()) == (12, 4, 480)
    assert dialog.optimizer.currentData() == "sgd"
    backbones = [dialog.backbone.itemData(i) for i in range(dialog.backbone.count())]
    assert "elan" not in backbones and "resnet18" in backbones  # it needs a stride-4 map


def test_defaults_follow_the_data_size():
    assert suggested("detect", "yolo", 500, 1920)["model"] == "n"
    big = suggested("detect", "yolo", 5_000, 1920)
    assert (big["model"], big["epochs"], big["imgsz"], big["batch"]) == ("s", 100, 640, 16)
    huge = suggested("detect", "yolo", 50_000, 1920)
    assert (huge["model"], huge["epochs"]) == ("m", 50)
    assert suggested("detect", "yolo", 3, 100)["batch"] == 3
    assert suggested("detect", "yolo", 100, 100)["imgsz"] == 128  # a multiple of 32, not below the image
    denoise = suggested("denoise", "unet", 0, 0)
    assert (denoise["arch"], denoise["model"], denoise["imgsz"], denoise["epochs"], denoise["batch"]) == \
        ("unet", "small", 256, 50, 8)


# ---------------------------------------------------------------------------------------- options
def test_options_map_the_fields_to_train_flags(dialog_for, demo):
    dialog, _, _ = dialog_for(demo)
    assert dialog.options() == {"arch": "yolo", "model": "n", "backbone": "elan", "neck": "pan",
                                "epochs": 100, "imgsz": 480, "batch": 16, "patience": 50, "seed": 0,
                                "workers": 2}  # auto device, optimizer and lr0 leave the worker's defaults
    _select(dialog.model_size, "s")
    _select(dialog.backbone, "repvgg")
    _select(dialog.neck, "bifpn")
    dialog.epochs.setValue(7)
    dialog.imgsz.setValue(320)
    _select(dialog.device, "cpu")
    dialog.batch.setValue(8)
    dialog.lr0.setValue(0.005)
    _select(dialog.optimizer, "adamw")
    dialog.patience.setValue(0)
    dialog.seed.setValue(3)
    dialog.workers.setValue(0)
    assert dialog.options() == {"arch": "yolo", "model": "s", "backbone": "repvgg", "neck": "bifpn",
                                "epochs": 7, "imgsz": 320, "batch": 8, "device": "cpu", "optimizer": "adamw",
                                "lr0": 0.005, "patience": 0, "seed": 3, "workers": 0}


def test_bfloat16_is_offered_where_the_cpu_computes_it(dialog_for, demo, monkeypatch):
    from studio.engine import precision

    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)
    dialog, _, _ = dialog_for(demo)
    _select(dialog.task, "detect")
    assert dialog.bf16.isEnabled() and not dialog.bf16.isChecked()
    dialog.bf16.setChecked(True)
    assert dialog.options()["bf16"] is True  # -> --bf16
    _select(dialog.arch, "faster_rcnn")
    assert not dialog.bf16.isEnabled() and "float32" in dialog.bf16.toolTip()
    assert "bf16" not in dialog.options()
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: False)
    _select(dialog.arch, "yolo")
    assert not dialog.bf16.isEnabled() and "no native bfloat16" in dialog.bf16.toolTip()
    assert "bf16" not in dialog.options()


def test_advanced_is_folded_until_asked_for(dialog_for, demo):
    dialog, _, _ = dialog_for(demo)
    dialog.show()
    assert not dialog.advanced.isVisible()
    dialog.advanced_toggle.click()
    assert dialog.advanced.isVisible() and dialog.batch.isVisible()


# ---------------------------------------------------------------------------------------- start
def test_train_exports_the_split_into_the_run_and_launches_tern_train_no_export(dialog_for, demo, qtbot):
    dialog, launcher, started = dialog_for(demo)
    dialog.epochs.setValue(3)
    assert dialog.train_export_button.isDefault() and not dialog.train_button.isDefault()
    qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
    assert launcher.calls == [] and dialog.exporting  # the split exports on a thread first
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=30_000)
    root = demo.parent / "runs"
    run = root / "pose" / "train"
    data = run / "dataset" / "data.yaml"
    assert dialog.error.text() == "" and not dialog.exporting
    assert launcher.calls == [([sys.executable, "-m", "studio.cli", "train", "pose", "--data", str(data),
                                "--project", str(root), "--name", "train", "--arch", "yolo", "--model", "n",
                                "--backbone", "elan", "--neck", "pan", "--epochs", "3", "--imgsz", "480",
                                "--batch", "16", "--patience", "50", "--seed", "0", "--workers", "2",
                                "--no-export", "--quiet"], run)]
    assert started == [run] and dialog.started_run == run
    training = load_training_data(str(data))
    assert (len(training.train), len(training.val)) == (18, 6) and training.pose is not None


def test_train_and_export_keeps_the_window_live_while_the_split_exports(dialog_for, demo, qtbot, monkeypatch):
    real, gate, calls = train_command.export_split, threading.Event(), []

    def held_export(*args):  # the export waits until the test has seen the event loop run
        calls.append(threading.current_thread() is threading.main_thread())
        assert gate.wait(30), "the test never released the export"
        return real(*args)

    monkeypatch.setattr(train_command, "export_split", held_export)
    dialog, launcher, started = dialog_for(demo)
    dialog.show()
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)  # Enter: the default button, "Train and export"
    assert dialog.exporting and not dialog.train_button.isEnabled() and not dialog.task.isEnabled()
    ticks = []
    QTimer.singleShot(0, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: bool(ticks) and calls == [False], timeout=10_000)  # GUI ticks while it exports
    dialog.reject()  # Esc / Cancel wait for the export
    assert dialog.isVisible() and launcher.calls == []
    gate.set()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=30_000)
    argv, run = launcher.calls[0]
    assert run == demo.parent / "runs" / "pose" / "train" and started == [run]
    assert "--no-export" not in argv and argv[-1] == "--quiet"
    assert (run / "dataset" / "data.yaml").is_file()


def test_a_failed_split_export_shows_its_error(dialog_for, demo, qtbot):
    dialog, launcher, _ = dialog_for(demo)
    (demo.parent / "runs").mkdir()
    (demo.parent / "runs" / "pose").write_text("a file where the task folder goes")
    qtbot.mouseClick(dialog.train_export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.exporting, timeout=30_000)
    assert "Could not export the training data" in dialog.error.text()
    assert launcher.calls == [] and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.train_button.isEnabled() and dialog.task.isEnabled()  # ready to try again


def test_start_refuses_a_name_taken_and_says_why(dialog_for, demo, qtbot):
    dialog, launcher, _ = dialog_for(demo)
    (demo.parent / "runs" / "pose" / "mine").mkdir(parents=True)
    dialog.name.setText("mine")
    qtbot.mouseClick(dialog.train_export_button, Qt.MouseButton.LeftButton)
    assert "exists already" in dialog.error.text()
    assert launcher.calls == [] and dialog.result() != QDialog.DialogCode.Accepted
    dialog.name.setText("../elsewhere")
    assert "plain folder name" in dialog.problem()


def test_denoise_asks_for_a_clean_raw_folder(dialog_for, demo, qtbot, tmp_path):
    dialog, launcher, started = dialog_for(demo)
    dialog.show()
    assert not dialog.clean.isVisible()
    _select(dialog.task, "denoise")
    assert dialog.clean.isVisible() and dialog.noisy.isVisible()
    assert not dialog.split.isVisible() and not dialog.backbone.isVisible()
    assert (dialog.arch.currentData(), dialog.model_size.currentData(), dialog.imgsz.value()) == \
        ("nafnet", "small", 256)
    assert dialog.run_path() == demo.parent / "runs" / "denoise" / "train"
    qtbot.mouseClick(dialog.train_export_button, Qt.MouseButton.LeftButton)
    assert "clean RAW" in dialog.error.text() and launcher.calls == []
    clean = tmp_path / "clean_raws"
    clean.mkdir()
    dialog.clean.edit.setText(str(clean))
    qtbot.mouseClick(dialog.train_export_button, Qt.MouseButton.LeftButton)
    run = demo.parent / "runs" / "denoise" / "train"
    argv, launched = launcher.calls[0]
    assert launched == run and started == [run]
    assert argv[3:7] == ["train", "denoise", "--data", str(clean)]
    assert "--backbone" not in argv and "--noisy" not in argv
    assert argv[argv.index("--arch") + 1] == "nafnet" and argv[argv.index("--model") + 1] == "small"
    assert not (run / "dataset").exists()  # a denoiser reads the RAW folder, not the project
    assert "--rgb" not in argv


def test_denoise_photos_option_passes_rgb_and_refuses_a_noisy_folder(dialog_for, demo, qtbot, tmp_path):
    dialog, launcher, _ = dialog_for(demo)
    dialog.show()
    assert not dialog.rgb.isVisible()
    _select(dialog.task, "denoise")
    assert dialog.rgb.isVisible() and not dialog.rgb.isChecked()
    clean = tmp_path / "photos"
    clean.mkdir()
    dialog.clean.edit.setText(str(clean))
    dialog.noisy.edit.setText(str(clean))
    dialog.rgb.setChecked(True)
    qtbot.mouseClick(dialog.train_export_button, Qt.MouseButton.LeftButton)
    assert "leave the noisy RAW folder empty" in dialog.error.text() and launcher.calls == []
    dialog.noisy.edit.setText("")
    qtbot.mouseClick(dialog.train_export_button, Qt.MouseButton.LeftButton)
    argv, _ = launcher.calls[0]
    assert "--rgb" in argv and "--noisy" not in argv


# ---------------------------------------------------------------------------------------- end to end
@pytest.fixture
def window(qtbot, tmp_path, demo):
    from app.__main__ import create_window

    dirs = UserDirs(data=tmp_path / "data", config=tmp_path / "config", cache=tmp_path / "cache")
    win = create_window(demo, dirs)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    for run in win.launcher.running():  # a failed assertion must not leave a worker behind
        win.launcher.stop(run)
    win.close()


def test_a_tiny_run_started_from_the_window_finishes_in_the_jobs_panel(window, qtbot, monkeypatch, demo):
    def fill_and_start(dialog: QDialog) -> bool:
        qtbot.addWidget(dialog)
        dialog.epochs.setValue(1)
        dialog.imgsz.setValue(64)
        dialog.batch.setValue(4)
        dialog.workers.setValue(0)
        _select(dialog.device, "cpu")
        qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.exporting, timeout=30_000)
        assert dialog.error.text() == ""
        return dialog.result() == QDialog.DialogCode.Accepted

    monkeypatch.setattr(train, "run_dialog", fill_and_start)
    assert window.actions_by_name["train"].shortcut().toString() == "Ctrl+T"
    window.actions_by_name["train"].trigger()
    run = demo.parent / "runs" / "pose" / "train"
    assert window.launcher.is_running(run) or (run / "events.jsonl").exists()
    assert window.jobs.runs[0] == run and window.jobs.selected_runs() == [run]  # listed on top, selected
    qtbot.waitUntil(lambda: window.jobs.status(run) == "finished", timeout=180_000)
    assert window.jobs.table.item(0, jobs.STATUS).text() == "finished"
    assert window.jobs.error(run) is None
    assert (run / "weights" / "last.pt").is_file() and (run / "dataset" / "data.yaml").is_file()
    assert window.jobs.state(run).epoch == 1
    assert window.metrics.states and window.metrics.states[0].run == run  # the metrics follow the selection


def test_jobs_and_metrics_are_tabs_under_the_canvas(window, qtbot):
    from PySide6.QtWidgets import QTabBar

    tabs = window.tabifiedDockWidgets(window.jobs)  # metrics, and any later dock of runs (results)
    assert tabs[0] is window.metrics
    for dock in (window.jobs, *tabs):
        assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    titles = ["Jobs", *(dock.windowTitle() for dock in tabs)]
    bars = [bar for bar in window.findChildren(QTabBar) if bar.isVisible()
            and [bar.tabText(i) for i in range(bar.count())] == titles]
    assert len(bars) == 1  # no stray copy of the tab bar (Qt 6.11, two tab groups made before showing)
    assert not window.metrics.shown  # the background tab: pyqtgraph waits until it is picked
    window.metrics.raise_()
    qtbot.waitUntil(lambda: window.metrics.shown and window.metrics.plots is not None)
