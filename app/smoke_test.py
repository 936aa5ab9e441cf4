"""``tern-studio --smoke-test``: the whole app, end to end, offscreen, in about a minute.

It is the check that a build works (``make package-test`` runs it from the frozen bundle, ``make
wheel-test`` from a fresh install): the main window opens on the demo project, a one-step detect training
runs as a worker started the way the GUI starts it (``worker_argv()``: in the bundle the frozen executable
itself in worker mode, with a data loader process to exercise ``spawn`` inside the bundle), the run exports
model.onnx, and the studio loads that file with onnxruntime and predicts on a demo image.

Everything happens in a temporary folder (the user's settings, demo copy and runs stay untouched), which
is removed on success and kept on failure so that its worker.log can be read. Exit status 0 when every
step worked; 1 with ``smoke test FAILED at <step>: <reason>`` on stderr otherwise.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from app.settings import UserDirs

TRAIN_TIMEOUT_S = 900  # a cold start of the frozen worker on a slow laptop, one step, validation, export
TRAIN_OPTIONS = {"epochs": 1, "max_steps": 1, "batch": 4, "imgsz": 128, "model": "n", "workers": 1,
                 "device": "cpu", "seed": 0, "quiet": True}
LOG_TAIL_LINES = 40


class SmokeFailure(Exception):
    """One step of the smoke test did not work: ``step`` says which, the message says why."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step


def run_smoke_test(create_window: Callable, root: Path | None = None) -> int:
    """Run every step (a QApplication must exist); 0 when all worked, else 1 after saying where it broke.
    ``create_window(path, dirs)`` is app.__main__.create_window; ``root``: the work folder (default: a new
    temporary one)."""
    work = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="tern-smoke-"))
    dirs = UserDirs(data=work / "data", config=work / "config", cache=work / "cache")
    started = time.monotonic()
    window = None
    try:
        window = _open_window(create_window, dirs)
        run = _train(window)
        _predict(run)
    except SmokeFailure as exc:
        _say(f"smoke test FAILED at {exc} (work folder kept: {work})", error=True)
        return 1
    except Exception as exc:  # a broken build fails anywhere (a missing module, library, resource): say so
        _say(f"smoke test FAILED: {type(exc).__name__}: {exc} (work folder kept: {work})\n"
             f"{traceback.format_exc()}", error=True)
        return 1
    finally:
        if window is not None:
            window.close()
    _say(f"smoke test: ok in {time.monotonic() - started:.1f} s")
    if root is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _open_window(create_window: Callable, dirs: UserDirs):
    """The main window, shown, on the demo project (made from the bundled resources)."""
    window = create_window(None, dirs)
    window.show()
    QApplication.processEvents()
    project = window.session.project
    if project is None:
        raise SmokeFailure("opening the demo project", f"no project is open (demo folder: {dirs.data})")
    images = project.count_images()
    if images == 0:
        raise SmokeFailure("opening the demo project", f"{project.path} has no images")
    _say(f"smoke test: window open on {project.path} ({images} images)")
    return window


def _train(window) -> Path:
    """A one-step detect run through the GUI's launcher and worker_argv; the run folder when it finished."""
    from app.dialogs.train_defaults import project_runs_root
    from studio.errors import StudioError
    from studio.jobs.run_monitor import read_state
    from studio.jobs.train_command import default_run_name, export_split, train_argv

    step = "training in a worker"
    project = window.session.project
    root = project_runs_root(project)
    run = root / "detect" / default_run_name(root, "detect")
    try:
        data = export_split(project.path, run)
    except (StudioError, OSError) as exc:
        raise SmokeFailure("exporting the training split", str(exc)) from exc
    argv = train_argv("detect", {"data": str(data), "project": str(root), "name": run.name, **TRAIN_OPTIONS})
    _say(f"smoke test: starting {' '.join(argv)}")
    began = time.monotonic()
    exit_code = _run_worker(window, argv, run)
    state = read_state(run)
    if exit_code != 0 or state.status != "finished":
        reason = f"exit code {exit_code}, status {state.status}"
        reason += f", error: {state.error}" if state.error else ""
        raise SmokeFailure(step, f"{reason}\n{_log_tail(run)}")
    onnx = run / "model.onnx"
    if not onnx.is_file():
        raise SmokeFailure("exporting ONNX", f"the run finished without {onnx}\n{_log_tail(run)}")
    _say(f"smoke test: worker finished in {time.monotonic() - began:.1f} s; exported {onnx}")
    return run


def _run_worker(window, argv: list[str], run: Path) -> int | None:
    """Start ``argv`` with the window's JobLauncher and wait (an event loop, no sleep) for it to end; its
    exit code, or None after TRAIN_TIMEOUT_S (the worker is then stopped)."""
    from app.jobs.launcher import JobLaunchError

    loop, ended = QEventLoop(), {}

    def on_ended(path: Path, code: int) -> None:
        if Path(path) == run:
            ended["code"] = code
            loop.quit()

    window.launcher.ended.connect(on_ended)
    try:
        window.launcher.start(argv, run)
    except JobLaunchError as exc:
        raise SmokeFailure("starting the worker", str(exc)) from exc
    window.jobs.add_run(run)
    QTimer.singleShot(TRAIN_TIMEOUT_S * 1000, loop.quit)
    loop.exec()
    if "code" not in ended:
        window.launcher.stop(run)
        raise SmokeFailure("training in a worker", f"no end after {TRAIN_TIMEOUT_S} s\n{_log_tail(run)}")
    return ended["code"]


def _predict(run: Path) -> None:
    """The exported model.onnx opens in this process (onnxruntime is in the bundle) and predicts."""
    from studio.errors import StudioError
    from studio.inference.load import load_predictor
    from studio.io.images import load_image

    image = next(iter(sorted((run / "dataset").rglob("*.jpg"))), None)
    if image is None:
        raise SmokeFailure("predicting with model.onnx", f"no image under {run / 'dataset'}")
    try:
        predictor = load_predictor(run / "model.onnx", device="cpu", conf=0.001)
        detections = predictor([load_image(image)])[0]
    except (StudioError, OSError, RuntimeError, ValueError) as exc:
        raise SmokeFailure("predicting with model.onnx", f"{type(exc).__name__}: {exc}") from exc
    _say(f"smoke test: model.onnx predicts {len(detections)} boxes on {image.name} (untrained, conf 0.001)")


def _log_tail(run: Path) -> str:
    from app.jobs.launcher import WORKER_LOG

    try:
        lines = (run / WORKER_LOG).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        return f"(no {WORKER_LOG}: {exc.strerror})"
    return f"last lines of {run / WORKER_LOG}:\n" + "\n".join(lines[-LOG_TAIL_LINES:])


def _say(line: str, *, error: bool = False) -> None:
    """One line to stdout (stderr for errors); a windowed Windows build may have neither."""
    stream = sys.stderr if error else sys.stdout
    if stream is not None:
        stream.write(line + "\n")
        stream.flush()
