"""A start-up probe for benchmarks: with ``TERN_EXIT_AFTER_PAINT=1`` the app prints one JSON line,
``{"first_paint_time": <time.time() of the main window's first paint>}``, and quits after that paint.
Without the variable ``watch`` does nothing."""

from __future__ import annotations

import json
import os
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

ENV = "TERN_EXIT_AFTER_PAINT"


class _FirstPaint(QObject):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.seen = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (not self.seen and event.type() == QEvent.Type.Paint and isinstance(watched, QWidget)
                and watched.window() is self.window):
            self.seen = True
            QTimer.singleShot(0, self._finish)  # after the rest of this paint pass
        return False

    def _finish(self) -> None:
        sys.stdout.write(json.dumps({"first_paint_time": time.time()}) + "\n")
        sys.stdout.flush()
        QApplication.quit()


def watch(window: QWidget) -> None:
    """Quit after ``window``'s first paint when TERN_EXIT_AFTER_PAINT=1."""
    app = QApplication.instance()
    if os.environ.get(ENV) == "1" and app is not None:
        app.installEventFilter(_FirstPaint(window))
