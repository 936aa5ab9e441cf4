"""Opening projects and importing datasets, with the dialogs that go with it.

``Opener.open_path(PATH)`` does what ``tern-studio PATH`` promises: a project opens; a dataset is
offered for import into ``<dataset folder>/<name>.tern`` (opened directly when that exists); a
project locked by another process is offered read-only. Every failure ends in a message box that
says what to do; nothing raises out of here into Qt's event loop.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.opening import import_dataset, problems_summary, resolve_target
from app.session import Session
from app.settings import Settings
from studio.errors import ProjectLockedError, StudioError

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


class Opener:
    """The open / import handlers of the main window; remembers the last project in ``settings``."""

    def __init__(self, parent: QWidget | None, session: Session, settings: Settings) -> None:
        self.parent, self.session, self.settings = parent, session, settings

    def open_path(self, path: Path | str) -> bool:
        """Open a project, or import a dataset and open its project. True when a project opened."""
        try:
            target = resolve_target(path)
        except StudioError as exc:
            tell(self.parent, "Cannot open", str(exc))
            return False
        if target.dataset is not None and not target.project.exists():
            question = (f"{target.dataset} is a dataset.\n\nImport it into a new project?\n"
                        f"{target.project}\n\nImages stay where they are; the project refers to them.")
            if not ask(self.parent, "Import dataset", question):
                return False
            if not self._import(target.dataset, target.project):
                return False
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

    # ------------------------------------------------------------------ menu handlers
    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent, "Open project", str(self._start_dir()),
                                              "Tern projects (*.tern)")
        if path:
            self.open_path(path)

    def import_dataset_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.parent, "Import dataset", str(self._start_dir()),
            "Datasets (*.yaml *.yml *.json);;YOLO data.yaml (*.yaml *.yml);;COCO json (*.json)")
        if path:
            self.open_path(path)

    def _start_dir(self) -> Path:
        project = self.session.project
        return Path(project.path).parent if project is not None else Path.home()
