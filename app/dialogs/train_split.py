"""The training dialog's split export (``studio.jobs.train_command.export_split``) on a worker thread, so the
window keeps painting while a large project's images are linked into ``<run>/dataset``.

The thread opens its own read-only connection to the project (export_split does), so nothing of the GUI's
session crosses threads; it answers with ``done(data.yaml path)`` or ``failed(message)``, delivered on the
GUI thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from studio.errors import StudioError


class SplitExport(QThread):
    """``SplitExport(project_path, run, val_fraction).start()``; then ``done(str)`` or ``failed(str)``."""

    done = Signal(str)     # the data.yaml written under <run>/dataset
    failed = Signal(str)   # why the export failed, for a person

    def __init__(self, project_path: Path, run: Path, val_fraction: float,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project_path = Path(project_path)
        self.run_folder = Path(run)
        self.val_fraction = val_fraction

    def run(self) -> None:
        from studio.jobs import train_command  # looked up now: tests may replace export_split

        try:
            data = train_command.export_split(self.project_path, self.run_folder, self.val_fraction)
        except (StudioError, OSError, ValueError) as exc:
            self.failed.emit(f"Could not export the training data into {self.run_folder}: {exc}")
            return
        self.done.emit(str(data))
