"""Dialogs of the studio window: export, keyboard shortcuts sheet, skeleton editor, training.

``dialog_handlers(parent, session, launcher=..., on_run_started=...)`` gives the main window their menu
handlers, keyed by the ``app.actions.ACTIONS`` names they serve.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QWidget

from app.session import Session


def dialog_handlers(parent: QWidget, session: Session, *, launcher: object | None = None,
                    on_run_started: Callable[[Path], object] | None = None,
                    ) -> dict[str, Callable[[], object]]:
    """``launcher`` (app.jobs.launcher.JobLauncher) runs the workers the training dialog starts;
    ``on_run_started(run)`` is told of each run started (the jobs panel's ``add_run``)."""
    from app.dialogs.export import run_export
    from app.dialogs.raw_compare import open_raw_compare
    from app.dialogs.shortcuts import show_shortcuts
    from app.dialogs.skeleton import edit_skeleton
    from app.dialogs.train import train_dialog

    return {"export": lambda: run_export(parent, session),
            "keyboard_shortcuts": lambda: show_shortcuts(parent),
            "edit_skeleton": lambda: edit_skeleton(parent, session),
            "train": lambda: train_dialog(parent, session, launcher, on_run_started),
            "compare_raw": lambda: open_raw_compare(parent)}
