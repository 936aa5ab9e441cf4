"""The metrics dock on runs written by hand with the event protocol (no training): pyqtgraph loads only when
it is shown, the plots follow what the runs measure, runs overlay in their own colours, new events reach the
curves through the jobs dock's ``changed``, and Save PNG writes the plots."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from app.canvas.palette import class_color
from app.jobs.launcher import JobLauncher
from app.panels.jobs import JobsPanel
from app.panels.metrics import MetricsPanel
from studio.events import EventWriter
from studio.jobs.run_monitor import RunWatcher

REPO = Path(__file__).resolve().parents[2]
DETECT = ("train/box_loss", "train/cls_loss", "metrics/mAP50(B)", "metrics/mAP50-95(B)", "lr/pg0")
DENOISE = ("train/loss", "val/psnr", "val/ssim", "lr/pg0")


def write_run(root: Path, task: str, name: str, names: tuple[str, ...], epochs: int,
              scale: float = 1.0) -> EventWriter:
    """A run folder with ``epochs`` epochs of every metric in ``names``; returns its writer (still open)."""
    events = EventWriter(root / task / name / "events.jsonl")
    events.started({"epochs": 10, "task": task}, None)
    for epoch in range(1, epochs + 1):
        write_epoch(events, epoch, names, scale)
    return events


def write_epoch(events: EventWriter, epoch: int, names: tuple[str, ...], scale: float = 1.0) -> None:
    for i, name in enumerate(names):
        events.metric(epoch, name, scale * (i + 1) / epoch, "val" if name.startswith(("metrics", "val")) else
                      "train")


@pytest.fixture
def metrics(qtbot):
    panel = MetricsPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    return panel


def states(*runs: Path):
    out = []
    for run in runs:
        watcher = RunWatcher(run)
        watcher.poll()
        out.append(watcher.state)
    return out


def test_plots_follow_the_metrics_and_appear_when_shown(metrics, qtbot, tmp_path):
    write_run(tmp_path, "detect", "a", DETECT, 3).close()
    metrics.show_runs(states(tmp_path / "detect" / "a"))
    assert metrics.plots is None and metrics.point_count("train/box_loss") == 0  # not shown: nothing built
    assert "detect/a" in metrics.summary.text()
    metrics.show()
    qtbot.waitUntil(lambda: metrics.point_count("train/box_loss") == 3)
    assert set(metrics.plot_items) == {"loss", "map", "lr"}
    assert all(metrics.point_count(name) == 3 for name in DETECT)
    labels = [label.text for _, label in metrics.legends["loss"].items]
    assert labels == ["box_loss", "cls_loss"]  # the line style of each metric
    x, y = metrics.curves[(tmp_path / "detect" / "a", "train/box_loss")].getData()
    assert list(x) == [1, 2, 3] and list(y) == pytest.approx([1, 0.5, 1 / 3])

    write_run(tmp_path, "denoise", "d", DENOISE, 2).close()
    metrics.show_runs(states(tmp_path / "denoise" / "d"))
    assert set(metrics.plot_items) == {"loss", "psnr", "ssim", "lr"}
    assert metrics.point_count("val/psnr") == 2 and metrics.point_count("train/box_loss") == 0

    started = EventWriter(tmp_path / "detect" / "new" / "events.jsonl")
    started.started({"epochs": 3})
    started.close()
    metrics.show_runs(states(tmp_path / "detect" / "new"))  # started, no epoch done yet
    assert metrics.plot_items == {} and metrics.curves == {}
    assert "No metrics yet" in _labels(metrics) and "no metrics yet" in metrics.summary.text()
    metrics.show_runs([])
    assert "No run selected" in _labels(metrics) and "No run selected" in metrics.summary.text()


def _labels(metrics: MetricsPanel) -> str:
    """The text of the message items in the plot area."""
    import pyqtgraph as pg

    layout = metrics.plots.ci
    return " ".join(item.text for item in layout.items if isinstance(item, pg.LabelItem))


def test_runs_overlay_in_their_own_colours(metrics, qtbot, tmp_path):
    for name, scale in (("a", 1.0), ("b", 2.0)):
        write_run(tmp_path, "detect", name, DETECT, 2, scale).close()
    metrics.show()
    metrics.show_runs(states(tmp_path / "detect" / "a", tmp_path / "detect" / "b"))
    qtbot.waitUntil(lambda: metrics.point_count("metrics/mAP50(B)") == 4)
    first = metrics.curves[(tmp_path / "detect" / "a", "metrics/mAP50(B)")]
    second = metrics.curves[(tmp_path / "detect" / "b", "metrics/mAP50(B)")]
    assert QColor(first.opts["pen"].color()) == class_color(0)
    assert QColor(second.opts["pen"].color()) == class_color(1)
    labels = [label.text for _, label in metrics.legends["map"].items]
    assert labels == ["mAP50(B)", "mAP50-95(B)"]  # styles by metric; the colours are named above
    assert first.opts["pen"].style() == second.opts["pen"].style() == Qt.PenStyle.SolidLine
    assert metrics.legends["lr"].items == []  # one metric: the title says it
    summary = metrics.summary.text()
    assert class_color(0).name() in summary and "detect/a" in summary and "detect/b" in summary
    assert list(second.getData()[1]) == pytest.approx([6.0, 3.0])


def test_new_events_reach_the_curves_through_the_jobs_dock(metrics, qtbot, tmp_path):
    events = write_run(tmp_path, "detect", "live", DETECT, 1)
    jobs = JobsPanel(JobLauncher(), poll_ms=50)
    qtbot.addWidget(jobs)
    jobs.states_selected.connect(metrics.show_runs)  # as the main window wires them
    jobs.changed.connect(metrics.refresh)
    jobs.set_root(tmp_path)
    metrics.show()
    jobs.select([tmp_path / "detect" / "live"])
    qtbot.waitUntil(lambda: metrics.point_count("train/box_loss") == 1)
    write_epoch(events, 2, DETECT)
    qtbot.waitUntil(lambda: metrics.point_count("train/box_loss") == 2, timeout=3000)
    events.started({"epochs": 10}, "last.pt")  # a resume re-runs epoch 2: its points replace the old ones
    write_epoch(events, 2, DETECT, scale=10.0)
    events.close()
    curve = metrics.curves[(tmp_path / "detect" / "live", "train/box_loss")]
    qtbot.waitUntil(lambda: list(curve.getData()[1]) == pytest.approx([1.0, 5.0]), timeout=3000)


def test_run_folders_are_read_by_the_dock_itself(metrics, qtbot, tmp_path):
    events = write_run(tmp_path, "detect", "a", DETECT, 1)
    metrics.show()
    metrics.show_runs([tmp_path / "detect" / "a"])
    qtbot.waitUntil(lambda: metrics.point_count("lr/pg0") == 1)
    write_epoch(events, 2, DETECT)
    events.close()
    metrics.refresh()
    assert metrics.point_count("lr/pg0") == 2


def test_save_png_writes_the_plots(metrics, qtbot, tmp_path):
    write_run(tmp_path, "detect", "a", DETECT, 3).close()
    metrics.show_runs(states(tmp_path / "detect" / "a"))
    path = metrics.save_png(tmp_path / "new" / "curves")  # never shown: drawn for the file
    assert path.suffix == ".png" and path.is_file()
    image = QImage(str(path))
    assert image.width() > 100 and image.height() > 50
    assert metrics.point_count("train/box_loss") == 3


def test_the_dock_does_not_load_pyqtgraph_until_shown(tmp_path):
    code = textwrap.dedent("""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtWidgets import QApplication
        from app.panels.metrics import MetricsPanel
        app = QApplication([])
        panel = MetricsPanel()
        panel.show_runs([])
        print("pyqtgraph" in sys.modules)
        panel.show()
        app.processEvents()
        print("pyqtgraph" in sys.modules)
        panel.deleteLater()  # before the application goes (pyqtgraph items must not outlive it)
        app.processEvents()
    """)
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "True"]
