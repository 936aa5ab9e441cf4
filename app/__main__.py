"""Start-up of the studio window: ``tern-studio [PATH]`` or ``python -m app [PATH]``.

PATH may be a ``.tern`` project, a YOLO ``data.yaml`` or its folder, or a COCO json (a dataset is
offered for import into a project beside it). Without PATH the last project opens if it still
exists, else the demo project. Nothing imported here loads torch, cv2 or onnxruntime.
"""

from __future__ import annotations

import argparse
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
from studio.resources import resource


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tern-studio", description="Tern Studio: label datasets, train and review vision models.")
    parser.add_argument("path", nargs="?", type=Path,
                        help="a .tern project, a YOLO data.yaml or its folder, or a COCO json "
                             "(default: the last project, else the demo)")
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


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Tern Studio")
    app.setOrganizationName("tern-studio")
    app.setWindowIcon(QIcon(str(resource("icons", "tern.svg"))))
    window = create_window(args.path, UserDirs.default())
    window.show()
    startup_probe.watch(window)  # TERN_EXIT_AFTER_PAINT=1 (bench/bench_gui.py): quit after the first paint
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
