"""The GUI's frame time while a real training job runs on the same machine (issue 8): the main window on a
generated project (offscreen Qt), a tiny detect run started from the training dialog ("Train and export":
the split export on its thread, then the worker process through the job launcher), the Metrics dock in
front drawing the live curves. A 60 Hz QTimer stands for the frames: the interval between its ticks is how
long the event loop was away (a frame is due every 16.7 ms; a long interval is a visible stutter). Also timed:
every Jobs panel poll and Metrics refresh (the GUI-thread work the run causes). Measured, never asserted.

Phases: idle (the window alone, the Metrics dock in front), split (from the click to the worker's launch),
training (from the launch until the run ended, its final ONNX export included). Each phase's first interval
counts from the phase's start. Opening the dialog is timed on its own (``dialog_open_ms``: the first
opening imports torch on the GUI thread, under a wait cursor). A Jobs poll's time includes the Metrics
refresh it triggers.

    python bench/bench_gui_frames.py [--images 64] [--epochs 3] [--imgsz 64] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from report import print_figures  # bench/ is on sys.path when a bench runs as a script

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
FRAME_MS = 1000 / 60


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else float("nan")


def make_project(work: Path, images: int, size: int) -> Path:
    """A detect project of ``images`` generated shapes images, all done."""
    from studio.io.yolo import load_yolo
    from studio.shapes import make_shapes
    from studio.store.project import Project

    path = work / "shapes" / "shapes.tern"
    if not path.exists():
        dataset, _ = load_yolo(make_shapes(work / "shapes", num_images=images, size=size))
        Project.create(path, dataset).close()
    return path


def timed(method: Callable, into: list[float]) -> Callable:
    """``method`` (a class attribute) wrapped to append each call's wall time in ms to ``into``."""
    def wrapper(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            into.append((time.perf_counter() - start) * 1e3)
    return wrapper


class Frames:
    """Ticks of a 60 Hz precise timer: (time, ms since the previous tick)."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[tuple[float, float]] = []
        self._last = time.perf_counter()
        self.timer = QTimer(interval=round(FRAME_MS), timerType=Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.ticks.append((now, (now - self._last) * 1e3))
        self._last = now

    def mark(self) -> float:
        """A phase starts now: its first interval counts from here (call outside the event loop)."""
        self._last = time.perf_counter()
        return self._last

    def between(self, start: float, end: float) -> list[float]:
        return [ms for t, ms in self.ticks if start < t <= end]


def run_until(done: Callable[[], bool], timeout_s: float) -> None:
    """Run the event loop (a real one, as the studio does) until ``done()`` or the timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop, end = QEventLoop(), time.monotonic() + timeout_s
    check = QTimer(interval=50)
    check.timeout.connect(lambda: loop.quit() if done() or time.monotonic() > end else None)
    check.start()
    loop.exec()
    check.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--imgsz", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds the run may take")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    from app.__main__ import create_window
    from app.dialogs.train import TrainDialog
    from app.panels.jobs import JobsPanel
    from app.panels.metrics import MetricsPanel
    from app.settings import UserDirs

    polls: list[float] = []
    refreshes: list[float] = []
    JobsPanel.poll = timed(JobsPanel.poll, polls)  # before the window connects its timer to it
    MetricsPanel.refresh = timed(MetricsPanel.refresh, refreshes)
    app = QApplication.instance() or QApplication(["bench"])
    app.setApplicationName("Tern Studio bench")
    work = args.work or Path(tempfile.mkdtemp(prefix="tern-frames-"))
    project = make_project(work, args.images, args.imgsz)
    dirs = UserDirs(data=work / "data", config=work / "config", cache=work / "cache")
    window = create_window(project, dirs)
    window.resize(1400, 900)
    window.show()
    window.metrics.raise_()  # the curves in front (pyqtgraph loads now, not during the run)
    run_until(lambda: window.metrics.plots is not None, 30)
    frames = Frames()
    t_idle = frames.mark()
    run_until(lambda: time.perf_counter() - t_idle > 2.0, 5)

    t_open = time.perf_counter()
    dialog = TrainDialog(window.session, window, launcher=window.launcher, on_started=window.jobs.add_run)
    dialog.epochs.setValue(args.epochs)
    dialog.imgsz.setValue(args.imgsz)
    dialog.batch.setValue(8)
    dialog.workers.setValue(0)
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.show()
    dialog_open_ms = (time.perf_counter() - t_open) * 1e3
    launched: list[float] = []
    window.launcher.started.connect(lambda _run: launched.append(time.perf_counter()))
    t_click = frames.mark()
    dialog.train_export_button.click()
    run_until(lambda: bool(launched) or bool(dialog.error.text()), 120)
    if not launched:
        raise SystemExit(f"the training did not start: {dialog.error.text()}")
    run = dialog.started_run
    window.metrics.raise_()  # a launch raises the Jobs tab; the user picks Metrics to watch the curves
    polls_before, refreshes_before = len(polls), len(refreshes)
    run_until(lambda: window.jobs.status(run) not in ("queued", "running")
              and not window.launcher.is_running(run), args.timeout)
    t_end = time.perf_counter()
    frames.timer.stop()
    state = window.jobs.state(run)
    figures: dict[str, float | int | str] = {
        "images": args.images, "epochs": args.epochs, "imgsz": args.imgsz, "cpu_cores": os.cpu_count() or 0,
        "status": window.jobs.status(run), "training_s": t_end - launched[0],
        "dialog_open_ms": dialog_open_ms}
    for phase, start, end in (("idle", t_idle, t_open), ("split", t_click, launched[0]),
                              ("training", launched[0], t_end)):
        ms = frames.between(start, end)
        figures[f"{phase}_frames"] = len(ms)
        if phase == "split":
            figures["split_ms"] = (end - start) * 1e3
        figures[f"{phase}_median_ms"] = statistics.median(ms) if ms else float("nan")
        figures[f"{phase}_p95_ms"] = _p95(ms)
        figures[f"{phase}_max_ms"] = max(ms) if ms else float("nan")
        figures[f"{phase}_over_33ms"] = sum(m > 2 * FRAME_MS for m in ms)
    longest = sorted(frames.between(launched[0], t_end), reverse=True)[:5]
    figures["training_longest_ms"] = " ".join(f"{m:.0f}" for m in longest)
    run_polls, run_refreshes = polls[polls_before:], refreshes[refreshes_before:]
    figures.update(jobs_polls=len(run_polls), jobs_poll_median_ms=statistics.median(run_polls),
                   jobs_poll_p95_ms=_p95(run_polls), jobs_poll_max_ms=max(run_polls),
                   metrics_refreshes=len(run_refreshes),
                   metrics_refresh_median_ms=statistics.median(run_refreshes) if run_refreshes else 0.0,
                   metrics_refresh_max_ms=max(run_refreshes) if run_refreshes else 0.0,
                   metrics_refresh_longest_ms=" ".join(f"{m:.0f}" for m in sorted(run_refreshes)[::-1][:3]),
                   epochs_done=state.epoch)
    window.close()
    print_figures("gui_frames", figures)


if __name__ == "__main__":
    main()
