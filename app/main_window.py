"""The main window: assembles the canvas, the docks, the menus and the status bar (no logic here)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import QMainWindow, QWidget

from app.actions import build_actions, build_menus
from app.assist.controller import AssistController
from app.canvas.view import CanvasView
from app.dialogs import dialog_handlers
from app.dialogs.train_defaults import project_runs_root
from app.jobs.launcher import JobLauncher
from app.opener import Opener, dropped_path
from app.panels.annotations import AnnotationsPanel
from app.panels.classes import ClassesPanel
from app.panels.image_list import ImageListPanel
from app.panels.jobs import JobsPanel
from app.panels.metrics import MetricsPanel
from app.panels.problems import ProblemsPanel
from app.panels.results import ResultsPanel
from app.panels.stats import StatsPanel
from app.session import Session
from app.settings import Settings
from app.thumbnails import ThumbnailStore
from app.widgets.status_bar import StudioStatusBar

APP_TITLE = "Tern Studio"


class MainWindow(QMainWindow):
    """Canvas in the middle, images dock on the left; on the right the classes dock above tabs of
    annotations, problems and statistics; under the canvas tabs of jobs, metrics and results
    (View > Panels shows or hides each)."""


    def __init__(self, session: Session, settings: Settings, parent: QWidget | None = None,
                 cache_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.opener = Opener(self, session, settings)
        self.canvas = CanvasView(session)
        self.assist = AssistController(session, self.canvas, self)  # pre-labeling: fills canvas.suggestions
        thumbs = ThumbnailStore(cache_dir / "thumbs", parent=self) if cache_dir is not None else None
        self.images = ImageListPanel(session, self, thumbnails=thumbs)
        self.canvas.neighbour_paths = self.images.neighbour_paths  # what the canvas prefetches
        self.canvas.previous_image = self.images.previous_image_id  # copy from the list's previous row
        self.classes = ClassesPanel(session, self, settings=settings)
        self.annotations = AnnotationsPanel(session, self)
        self.problems = ProblemsPanel(session, self)
        self.stats = StatsPanel(session, self)  # pyqtgraph loads when it is first shown
        self.launcher = JobLauncher(self)  # training workers (detached processes)
        self.jobs = JobsPanel(self.launcher, self)
        self.metrics = MetricsPanel(self)
        self.results = ResultsPanel(self, thumbnails=self.images.thumbnails)  # one thumbnail store
        self.setCentralWidget(self.canvas)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.images)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.classes)
        for dock in (self.annotations, self.problems, self.stats):  # right, under the classes, as tabs
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.tabifyDockWidget(self.annotations, self.problems)
        self.tabifyDockWidget(self.problems, self.stats)
        self.annotations.raise_()
        self._add_job_docks()
        self.setStatusBar(StudioStatusBar(session, self))
        handlers = {
            "open_project": self.opener.open_project_dialog,
            "import_dataset": self.opener.import_dataset_dialog,
            "quit": self.close,
            "fit_view": self.canvas.fit,
            "previous_image": lambda: self.images.step(-1),
            "next_image": lambda: self.images.step(+1),
        }
        parts = (self.canvas, self.assist, self.images, self.classes, self.problems, self.opener)
        for part in parts:  # each adds its own
            handlers.update(getattr(part, "handlers", dict)())
        handlers.update(dialog_handlers(self, session, launcher=self.launcher,  # export, shortcuts,
                                        on_run_started=self.jobs.add_run))  # skeleton, train
        self.actions_by_name = build_actions(self, handlers, {"canvas": self.canvas})
        self.opener.attach_recent(self.actions_by_name["open_recent"])
        self.setAcceptDrops(True)  # a project, data.yaml, dataset folder or COCO json dropped here opens
        for view in (self.canvas, self.canvas.viewport()):  # QGraphicsView takes drops by default
            view.setAcceptDrops(False)
        build_menus(self.menuBar(), self.actions_by_name)
        view_menu = next(a.menu() for a in self.menuBar().actions() if a.text() == "&View")
        panels_menu = view_menu.addMenu("&Panels")  # show/hide each dock
        for dock in (self.images, self.classes, self.annotations, self.problems, self.stats, self.jobs,
                     self.metrics, self.results):
            panels_menu.addAction(dock.toggleViewAction())
        session.project_changed.connect(self._update_title)
        session.project_changed.connect(lambda: self.jobs.set_root(project_runs_root(session.project)))
        self.jobs.set_root(project_runs_root(session.project))
        self._update_title()
        self.resize(1280, 800)
        self.resizeDocks([self.images, self.classes], [270, 250], Qt.Orientation.Horizontal)
        self.resizeDocks([self.classes, self.annotations], [200, 600], Qt.Orientation.Vertical)
        self.resizeDocks([self.jobs], [250], Qt.Orientation.Vertical)

    def _add_job_docks(self) -> None:
        """Jobs and metrics under the canvas (the side docks keep the full height), as tabs from the first
        show on; the metrics show the runs selected in the jobs panel and follow every change it reads."""
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        for dock in (self.jobs, self.metrics, self.results):
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
            if dock is not self.jobs:
                dock.hide()  # until it becomes a background tab of the jobs dock (showEvent)
        self._job_docks_tabbed = False
        self.jobs.states_selected.connect(self.metrics.show_runs)
        self.jobs.changed.connect(self.metrics.refresh)
        self.jobs.run_selected.connect(self.results.show_runs)
        self.jobs.changed.connect(self.results.refresh)
        self.results.open_image.connect(self.opener.show_image)  # a gallery image, on the canvas
        self.launcher.started.connect(lambda _run: self.jobs.raise_())  # a new run: show its progress

    def _update_title(self) -> None:
        name = self.session.project_name
        readonly = " (read-only)" if self.session.readonly else ""
        self.setWindowTitle(f"{name}{readonly} — {APP_TITLE}" if name else APP_TITLE)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._job_docks_tabbed:  # Qt 6.11: a second tab group made before the window was first
            self._job_docks_tabbed = True  # shown leaves a stray copy of its tab bar on screen
            for dock in (self.metrics, self.results):
                self.tabifyDockWidget(self.jobs, dock)
                with QSignalBlocker(dock):  # a background tab: pyqtgraph loads when it is picked
                    dock.show()
            self.jobs.raise_()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.opener.open_path(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.session.close()
        super().closeEvent(event)
