"""Opening projects and importing datasets, with the dialogs that go with it.

``Opener.open_path(PATH)`` does what ``tern-studio PATH`` promises: a project opens; a dataset is
imported into a new project whose path a save dialog proposes as ``<dataset folder>/<name>.tern``
(that project is opened directly when it exists), then a summary of the reader's problems is shown;
a project locked by another process is offered read-only. File > Open, Open Folder, Open Recent and
drag and drop all end in ``open_path``. Every failure ends in a message box that says what to do;
nothing raises out of here into Qt's event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from app.opening import import_dataset, problems_summary, resolve_target
from app.session import Session
from app.settings import Settings
from studio.errors import ProjectLockedError, StudioError
from studio.io.dataset import detect_format

Button = QMessageBox.StandardButton


def ask(parent: QWidget | None, title: str, text: str) -> bool:
    """A Yes / Cancel question; True for Yes. (Tests replace this function.)"""
    answer = QMessageBox.question(parent, title, text, Button.Yes | Button.Cancel, Button.Yes)
    return answer == Button.Yes


def tell(parent: QWidget | None, title: str, text: str, *, error: bool = True) -> None:
    """A message box with one OK button. (Tests replace this function.)"""
    if error:
        QMessageBox.critical(parent, title, text)
    else:
        QMessageBox.information(parent, title, text)


def choose_project_path(parent: QWidget | None, proposed: Path) -> Path | None:
    """The save dialog for a new project, starting at ``proposed``; None when cancelled. (Tests
    replace this function.)"""
    path, _ = QFileDialog.getSaveFileName(parent, "Save the new project as", str(proposed),
                                          "Tern projects (*.tern)")
    if not path:
        return None
    chosen = Path(path)
    return chosen if chosen.suffix == ".tern" else chosen.with_name(chosen.name + ".tern")


def dropped_path(mime: QMimeData) -> Path | None:
    """The first local file or folder in a drag that the studio can open (a project, a data.yaml or
    its folder, a COCO json or folder of jsons), else None."""
    for url in mime.urls() if mime.hasUrls() else []:
        if not url.isLocalFile():
            continue
        path = Path(url.toLocalFile())
        try:
            detect_format(path)
        except StudioError:
            continue
        return path
    return None


class Opener:
    """The open / import handlers of the main window; remembers the last project in ``settings``."""

    def __init__(self, parent: QWidget | None, session: Session, settings: Settings) -> None:
        self.parent, self.session, self.settings = parent, session, settings
        self.recent_menu: QMenu | None = None  # File > Open Recent, once attach_recent made it

    def open_path(self, path: Path | str) -> bool:
        """Open a project, or import a dataset and open its project. True when a project opened."""
        try:
            target = resolve_target(path)
        except StudioError as exc:
            tell(self.parent, "Cannot open", str(exc))
            return False
        if target.dataset is not None and not target.project.exists():
            chosen = choose_project_path(self.parent, target.project)
            if chosen is None or not self._import(target.dataset, chosen):
                return False
            return self.open_project(chosen)
        return self.open_project(target.project)

    def open_project(self, path: Path) -> bool:
        """Open ``path``; when another process holds it, offer to open it read-only."""
        try:
            self.session.open_project(path)
        except ProjectLockedError as exc:
            question = f"{exc}\n\nOpen it read-only? You can look but not edit."
            if not ask(self.parent, "Project in use", question):
                return False
            try:
                self.session.open_project(path, readonly=True)
            except StudioError as again:
                tell(self.parent, "Cannot open project", str(again))
                return False
        except StudioError as exc:
            tell(self.parent, "Cannot open project", str(exc))
            return False
        self.settings.set_last_project(Path(path))
        return True

    def _import(self, dataset: Path, project: Path) -> bool:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            problems = import_dataset(dataset, project)
        except (StudioError, OSError) as exc:
            tell(self.parent, "Import failed", f"{dataset} could not be imported:\n{exc}")
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        if problems:
            tell(self.parent, "Imported with problems", problems_summary(problems), error=False)
        return True

    def show_image(self, path: Path | str) -> bool:
        """Select the open project's image whose file is ``path`` (the results gallery's double-click)."""
        project = self.session.project
        image_id = project.image_id_for_path(path) if project is not None else None
        if image_id is None:
            tell(self.parent, "Image not in this project",
                 f"{path} is not an image of the open project; open the project the run was trained on.",
                 error=False)
            return False
        self.session.select_image(image_id)
        return True

    # ------------------------------------------------------------------ menu handlers
    def handlers(self) -> dict[str, Callable[[], object]]:
        return {"open_project": self.open_project_dialog, "open_folder": self.open_folder_dialog,
                "import_dataset": self.import_dataset_dialog, "open_recent": lambda: None}

    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.parent, "Open a project or a dataset", str(self._start_dir()),
            "Projects and datasets (*.tern *.yaml *.yml *.json);;Tern projects (*.tern);;"
            "YOLO data.yaml (*.yaml *.yml);;COCO json (*.json)")
        if path:
            self.open_path(path)

    def open_folder_dialog(self) -> None:
        """A YOLO folder (with its data.yaml) or a COCO folder (annotations/*.json)."""
        path = QFileDialog.getExistingDirectory(self.parent, "Open a dataset folder", str(self._start_dir()))
        if path:
            self.open_path(path)

    def attach_recent(self, action: QAction) -> QMenu:
        """Make ``action`` the File > Open Recent submenu, filled from settings each time it opens."""
        menu = QMenu(self.parent)
        menu.aboutToShow.connect(lambda: self._fill_recent(menu))
        action.setMenu(menu)
        self.recent_menu = menu
        return menu

    def _fill_recent(self, menu: QMenu) -> None:
        menu.clear()
        recent = self.settings.recent_projects()
        for number, path in enumerate(recent, 1):
            item = menu.addAction(f"&{number % 10} {path.name}   {path.parent}")
            item.setToolTip(str(path))
            item.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
        if not recent:
            menu.addAction("No recent projects").setEnabled(False)

    def import_dataset_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.parent, "Import dataset", str(self._start_dir()),
            "Datasets (*.yaml *.yml *.json);;YOLO data.yaml (*.yaml *.yml);;COCO json (*.json)")
        if path:
            self.open_path(path)

    def _start_dir(self) -> Path:
        project = self.session.project
        return Path(project.path).parent if project is not None else Path.home()
