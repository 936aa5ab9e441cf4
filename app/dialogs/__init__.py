"""Dialogs of the studio window: export, keyboard shortcuts sheet, skeleton editor.

``dialog_handlers(parent, session)`` gives the main window their menu handlers, keyed by the
``app.actions.ACTIONS`` names they serve.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from app.session import Session


def dialog_handlers(parent: QWidget, session: Session) -> dict[str, Callable[[], object]]:
    from app.dialogs.export import run_export
    from app.dialogs.shortcuts import show_shortcuts
    from app.dialogs.skeleton import edit_skeleton

    return {"export": lambda: run_export(parent, session),
            "keyboard_shortcuts": lambda: show_shortcuts(parent),
            "edit_skeleton": lambda: edit_skeleton(parent, session)}
