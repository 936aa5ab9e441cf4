"""The jobs dock with real but tiny training jobs (`tern train detect` on 8 generated 64 px images, 2 epochs,
CPU): a run goes queued -> running -> finished and its curves reach the metrics dock, Extend trains more
epochs, Stop cancels and Resume finishes it, a failing job and a worker that never started show their errors,
a killed worker shows as crashed, and a new dock on the same runs folder re-attaches (and can stop a run it
did not start)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

import app.panels.jobs as jobs_module
from app.jobs.launcher import JobLauncher
from app.panels.jobs import COLUMNS, JobsPanel
from app.panels.metrics import MetricsPanel
from studio.jobs.train_command import train_argv
from studio.shapes import make_shapes

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

TINY = {"epochs": 2, "imgsz": 64, "batch": 4, "workers": 0, "no_export": True, "device": "cpu"}
START_S = 90  # a worker imports torch and builds the model before its first event; CI machines are slow
RUN_S = 180
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return make_shapes(tmp_path_factory.mktemp("shapes"), num_images=8, size=64)


@pytest.fixture
def root(tmp_path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def panel(qtbot, root):
    launchers = []

    def make() -> JobsPanel:
        launcher = JobLauncher(grace_ms=120_000)  # a first step can take many seconds on a busy CPU
        launchers.append(launcher)
        panel = JobsPanel(launcher, poll_ms=100)
        qtbot.addWidget(panel)
        panel.set_root(root)
        return panel

    panel = make()
    panel.make = make  # a second dock (a restarted studio) on the same folder
    yield panel
    for launcher in launchers:  # never leave a worker behind
        launcher.grace_ms = 0
        for run in launcher.running():
            launcher.stop(run)
    qtbot.waitUntil(lambda: not any(launcher.running() for launcher in launchers), timeout=20_000)


def launch(panel: JobsPanel, dataset: Path, root: Path, name: str, **options) -> Path:
    run = root / "detect" / name
    argv = train_argv("detect", {"data": dataset, **TINY, **options, "project": root, "name": name})
    panel.launcher.start(argv, run)
    return run


def row_texts(panel: JobsPanel, run: Path) -> dict[str, str]:
    row = panel.runs.index(run)
    return {column: panel.table.item(row, i).text() for i, column in enumerate(COLUMNS)}


def wait_status(qtbot, panel: JobsPanel, run: Path, status: str, timeout_s: float) -> None:
    qtbot.waitUntil(lambda: panel.status(run) == status, timeout=int(timeout_s * 1000))


def test_a_tiny_run_finishes_with_its_curves_plotted_and_extends(panel, qtbot, data, root):
    metrics = MetricsPanel()
    qtbot.addWidget(metrics)
    metrics.show()
    panel.states_selected.connect(metrics.show_runs)  # as the main window wires them
    panel.changed.connect(metrics.refresh)
    run = launch(panel, data, root, "tiny")
    assert panel.runs == [run] and panel.selected_runs() == [run]  # listed and selected at once
    assert panel.status(run) == "queued"
    wait_status(qtbot, panel, run, "running", START_S)
    assert panel.stop_button.isEnabled() and not panel.delete_button.isEnabled()
    wait_status(qtbot, panel, run, "finished", RUN_S)
    texts = row_texts(panel, run)
    assert texts["Name"] == "tiny" and texts["Task"] == "detect" and texts["Status"] == "finished"
    assert texts["Epoch"] == "2/2" and texts["Progress"] == "100%" and float(texts["Images/s"]) > 0
    for name in ("train/box_loss", "metrics/mAP50(B)", "metrics/mAP50-95(B)", "lr/pg0"):
        assert metrics.point_count(name) == 2, name
    assert set(metrics.plot_items) == {"loss", "map", "lr"}
    assert metrics.save_png(root / "curves.png").stat().st_size > 1000

    qtbot.waitUntil(lambda: not panel.launcher.is_running(run), timeout=30_000)
    assert panel.extend_button.isEnabled() and not panel.resume_button.isEnabled()  # finished: extend only
    panel.extend_spin.setValue(1)
    qtbot.mouseClick(panel.extend_button, LEFT)
    assert panel.status(run) == "queued"
    wait_status(qtbot, panel, run, "running", START_S)
    wait_status(qtbot, panel, run, "finished", RUN_S)
    assert row_texts(panel, run)["Epoch"] == "3/3"
    qtbot.waitUntil(lambda: metrics.point_count("train/box_loss") == 3, timeout=5000)

    again = panel.make()  # a restarted studio lists the finished run as it was
    assert again.runs == [run] and again.status(run) == "finished"
    assert row_texts(again, run)["Epoch"] == "3/3"


def test_stop_cancels_and_resume_finishes_the_run(panel, qtbot, data, root):
    run = launch(panel, data, root, "stopped")
    wait_status(qtbot, panel, run, "running", START_S)
    qtbot.mouseClick(panel.stop_button, LEFT)
    wait_status(qtbot, panel, run, "cancelled", RUN_S)
    qtbot.waitUntil(lambda: not panel.launcher.is_running(run), timeout=30_000)
    assert (run / "weights" / "last.pt").is_file()
    assert "stopped by SIGTERM" in panel.error(run)
    assert panel.resume_button.isEnabled() and panel.delete_button.isEnabled()
    qtbot.mouseClick(panel.resume_button, LEFT)
    assert panel.status(run) == "queued" and not panel.resume_button.isEnabled()
    wait_status(qtbot, panel, run, "running", START_S)
    assert panel.state(run).resumed_from is not None
    wait_status(qtbot, panel, run, "finished", RUN_S)
    assert row_texts(panel, run)["Epoch"] == "2/2" and panel.error(run) is None


def test_failures_show_their_error_and_traceback(panel, qtbot, data, root, monkeypatch):
    run = launch(panel, data, root, "bad", data=root / "missing" / "data.yaml")
    wait_status(qtbot, panel, run, "failed", START_S)
    assert "DatasetNotFoundError" in panel.error(run) and "missing" in panel.error(run)
    row = panel.runs.index(run)
    assert panel.table.item(row, COLUMNS.index("Status")).toolTip() == panel.error(run)
    panel.select([run])
    details = panel.details.toPlainText()
    assert panel.error(run) in details and "Traceback (most recent call last)" in details

    never = root / "detect" / "never"  # a worker that exits before its first event: argparse refuses
    panel.launcher.start([*train_argv("detect", {"data": data}), "--no-such-flag"], never)
    assert panel.status(never) == "queued"
    wait_status(qtbot, panel, never, "failed", START_S)
    assert "exited with code 2" in panel.error(never) and "--no-such-flag" in panel.error(never)

    monkeypatch.setattr(jobs_module, "confirm", lambda *_: False)
    panel.select([never])
    qtbot.mouseClick(panel.delete_button, LEFT)
    assert never.is_dir() and never in panel.runs  # not confirmed: kept
    monkeypatch.setattr(jobs_module, "confirm", lambda *_: True)
    qtbot.mouseClick(panel.delete_button, LEFT)
    assert not never.exists() and panel.runs == [run]


def test_a_killed_worker_shows_as_crashed(panel, qtbot, data, root):
    run = launch(panel, data, root, "killed")
    wait_status(qtbot, panel, run, "running", START_S)
    pid = panel.state(run).pid
    assert pid == panel.launcher.pid(run)  # the worker itself wrote `started`
    with qtbot.waitSignal(panel.launcher.ended, timeout=30_000) as ended:
        os.kill(pid, signal.SIGKILL)
    assert ended.args == [run, -signal.SIGKILL]
    wait_status(qtbot, panel, run, "crashed", 10)
    assert f"pid {pid}" in panel.error(run)
    assert row_texts(panel, run)["ETA"] == ""


def test_a_new_dock_reattaches_to_a_running_job_and_stops_it(panel, qtbot, data, root):
    run = launch(panel, data, root, "going")
    wait_status(qtbot, panel, run, "running", START_S)
    again = panel.make()  # as after closing and reopening the studio: not its worker
    assert again.runs == [run] and again.status(run) == "running"
    assert not again.launcher.is_running(run)
    again.select([run])
    assert again.stop_button.isEnabled() and not again.delete_button.isEnabled()
    qtbot.mouseClick(again.stop_button, LEFT)  # SIGTERM by the pid of the run's `started` event
    wait_status(qtbot, again, run, "cancelled", RUN_S)
    wait_status(qtbot, panel, run, "cancelled", 5)
