"""The main window: assembles the canvas, the docks, the menus and the status bar (no logic here)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QWidget

from app.actions import build_actions, build_menus
from app.canvas.view import CanvasView
from app.opener import Opener
from app.panels.classes import ClassesPanel
from app.panels.image_list import ImageListPanel
from app.session import Session
from app.settings import Settings
from app.widgets.status_bar import StudioStatusBar

APP_TITLE = "Tern Studio"


class MainWindow(QMainWindow):
    """Canvas in the middle, images dock on the left, classes dock on the right."""

    def __init__(self, session: Session, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.opener = Opener(self, session, settings)
        self.canvas = CanvasView(session)
        self.images = ImageListPanel(session, self)
        self.classes = ClassesPanel(session, self)
        self.setCentralWidget(self.canvas)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.images)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.classes)
        self.setStatusBar(StudioStatusBar(session, self))
        handlers = {
            "open_project": self.opener.open_project_dialog,
            "import_dataset": self.opener.import_dataset_dialog,
            "quit": self.close,
            "fit_view": self.canvas.fit,
            "previous_image": lambda: self.images.step(-1),
            "next_image": lambda: self.images.step(+1),
        }
        for part in (self.canvas, self.images, self.classes, self.opener):  # each may add its own
            handlers.update(getattr(part, "handlers", dict)())
        self.actions_by_name = build_actions(self, handlers)
        build_menus(self.menuBar(), self.actions_by_name)
        session.project_changed.connect(self._update_title)
        self._update_title()
        self.resize(1280, 800)
        self.resizeDocks([self.images, self.classes], [270, 190], Qt.Orientation.Horizontal)

    def _update_title(self) -> None:
        name = self.session.project_name
        readonly = " (read-only)" if self.session.readonly else ""
        self.setWindowTitle(f"{name}{readonly} — {APP_TITLE}" if name else APP_TITLE)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.session.close()
        super().closeEvent(event)
