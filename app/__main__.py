"""Start-up of the studio window: ``tern-studio [PATH]`` or ``python -m app [PATH]``.

PATH may be a ``.tern`` project, a YOLO ``data.yaml`` or its folder, or a COCO json (a dataset is
offered for import into a project beside it). Without PATH the last project opens if it still
exists, else the demo project. Nothing imported here loads torch, cv2 or onnxruntime.

Two more modes, which the frozen app (packaging/) needs since it has no Python beside it:
``tern-studio --worker ARGS`` is ``tern ARGS`` (the training worker the GUI starts: worker_argv in
studio/jobs/train_command.py), and ``tern-studio --smoke-test`` checks the whole app offscreen
(app/smoke_test.py) and exits 0, or 1 with the reason.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app import startup_probe
from app.main_window import MainWindow
from app.opener import tell
from app.session import Session
from app.settings import Settings, UserDirs
from studio.demo_project import ensure_demo_project
from studio.errors import StudioError
from studio.jobs.train_command import WORKER_FLAG
from studio.resources import resource

APP_ID = "tern-studio"  # the desktop entry's name (resources/desktop), so desktops match our windows


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tern-studio", description="Tern Studio: label datasets, train and review vision models.")
    parser.add_argument("path", nargs="?", type=Path,
                        help="a .tern project, a YOLO data.yaml or its folder, or a COCO json "
                             "(default: the last project, else the demo)")
    parser.add_argument("--smoke-test", action="store_true",
                        help="check the app offscreen (window on the demo project, a one-step training "
                             "worker, ONNX export) and exit: 0 when it all works")
    parser.add_argument(WORKER_FLAG, action="store_true",
                        help="(first argument only) run the rest of the command line as `tern ...`: how the "
                             "studio starts its workers")
    return parser.parse_args(argv)


def startup_path(path: Path | None, dirs: UserDirs, settings: Settings) -> Path | None:
    """What to open: PATH, else the last project, else the demo project (made on first use).
    None (after a message box) when even the demo cannot be made."""
    if path is not None:
        return path
    last = settings.last_project()
    if last is not None:
        return last
    try:
        return ensure_demo_project(dirs.data)
    except (StudioError, OSError) as exc:
        tell(None, "Cannot make the demo project", str(exc))
        return None


def create_window(path: Path | None, dirs: UserDirs) -> MainWindow:
    """Build the window and open what start-up asks for (a QApplication must exist)."""
    settings = Settings(dirs.config)
    session = Session()
    window = MainWindow(session, settings, cache_dir=dirs.cache)
    session.setParent(window)
    target = startup_path(path, dirs, settings)
    if target is not None:
        window.opener.open_path(target)
    return window


def _ensure_std_streams() -> None:
    """A windowed frozen build (Windows, macOS) starts with sys.stdout/stderr None; a worker writes to them
    (its events also go to events.jsonl, which is what the studio reads), so give it somewhere to write."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 (lives with the process)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [WORKER_FLAG]:  # before any Qt set-up: a worker has no window
        from studio.cli import main as tern

        _ensure_std_streams()
        return tern(argv[1:])
    args = parse_args(argv)
    if args.smoke_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Tern Studio")
    app.setOrganizationName("tern-studio")
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(QIcon(str(resource("icons", "tern.svg"))))
    if args.smoke_test:
        from app.smoke_test import run_smoke_test

        return run_smoke_test(create_window)
    window = create_window(args.path, UserDirs.default())
    window.show()
    startup_probe.watch(window)  # TERN_EXIT_AFTER_PAINT=1 (bench/bench_gui.py): quit after the first paint
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
