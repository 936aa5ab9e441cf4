"""The open project and the current selection, as a QObject the panels observe (DESIGN rule 7).

Panels read through ``session.project`` (a ``studio.store.project.Project``) and announce what the
user picked through ``select_image``; they never talk to one another.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, Signal

from studio.annotations import Category
from studio.store.checks import ProjectProblem, problem_image_ids
from studio.store.rows import AnnotationRow, ImageRow

if TYPE_CHECKING:
    from studio.store.project import Project

NO_IMAGE = -1
NO_ANNOTATION = -1
T = TypeVar("T")


class Session(QObject):
    """Owns at most one open Project.

    Signals: ``project_changed()`` after a project was opened or closed (``project`` may be None);
    ``image_selected(int)`` with the selected image id, or NO_IMAGE (-1) when none is;
    ``annotations_changed(int)`` after an edit of that image's objects; ``images_changed()`` after
    image rows changed (status, split, paths); ``categories_changed()`` after classes changed;
    ``history_changed()`` after any edit, undo or redo (undo/redo availability may differ);
    ``problems_changed()`` after ``check_problems`` stored a new check (``problems``,
    ``problem_image_ids``).
    """

    project_changed = Signal()
    image_selected = Signal(int)
    annotations_changed = Signal(int)
    images_changed = Signal()
    categories_changed = Signal()
    history_changed = Signal()
    annotation_selected = Signal(int)  # panels: the selected annotation id, or NO_ANNOTATION
    current_category_changed = Signal(int)  # panels: the class new boxes get
    problems_changed = Signal()  # check_problems ran: problems / problem_image_ids are new

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.current_image_id: int = NO_IMAGE
        self._categories: list[Category] = []
        self.selected_annotation_id: int = NO_ANNOTATION
        self.current_category_id: int | None = None
        self.problems: list[ProjectProblem] | None = None  # the latest check of the project; None: none yet
        self.problem_image_ids: frozenset[int] | None = None  # the images those problems name

    # ------------------------------------------------------------------ project
    def open_project(self, path: Path | str, *, readonly: bool = False) -> None:
        """Open ``path`` and make it current. Raises ProjectLockedError / ProjectError unchanged,
        leaving the current project open."""
        from studio.store.project import Project

        project = Project.open(Path(path), readonly=readonly)
        self.set_project(project)

    def set_project(self, project: Project | None) -> None:
        """Make ``project`` current (the session closes it later); closes the previous one."""
        self.select_image(NO_IMAGE)  # observers let go of the old project's image first
        previous = self.project
        self.project = project
        self.problems, self.problem_image_ids = None, None  # the old project's check says nothing here
        self._categories = sorted(project.categories(), key=lambda c: c.id) if project is not None else []
        if previous is not None and previous is not project:
            previous.close()
        self.project_changed.emit()  # the images panel then selects the first image

    def close(self) -> None:
        if self.project is not None:
            self.set_project(None)

    @property
    def project_name(self) -> str:
        return Path(self.project.path).stem if self.project is not None else ""

    @property
    def readonly(self) -> bool:
        return bool(self.project is not None and self.project.readonly)

    # ------------------------------------------------------------------ reading
    def categories(self) -> list[Category]:
        """The project's categories in YOLO index order (sorted by id); the order colours follow."""
        return self._categories

    def category_index(self) -> dict[int, int]:
        """category id -> position in ``categories()`` (the colour index)."""
        return {c.id: i for i, c in enumerate(self._categories)}

    def current_image(self) -> ImageRow | None:
        if self.project is None or self.current_image_id == NO_IMAGE:
            return None
        return self.project.image(self.current_image_id)

    def annotations(self, image_id: int) -> list[AnnotationRow]:
        return self.project.annotations(image_id) if self.project is not None else []

    # ------------------------------------------------------------------ problems (one check, shared)
    def check_problems(self) -> list[ProjectProblem]:
        """Run ``Project.problems`` (studio.store.checks) on the open project now, keep the result as
        ``problems`` / ``problem_image_ids`` and emit ``problems_changed``; the problems dock and the
        images dock's "with problems" filter both read it."""
        self.problems = self.project.problems() if self.project is not None else []
        self.problem_image_ids = problem_image_ids(self.problems)
        self.problems_changed.emit()
        return self.problems

    def latest_problem_image_ids(self) -> frozenset[int]:
        """The images of the latest check, checking now when the open project has not been checked."""
        if self.problem_image_ids is None:
            self.check_problems()
        assert self.problem_image_ids is not None
        return self.problem_image_ids

    # ------------------------------------------------------------------ editing
    def edit(self, fn: Callable[[Project], T], *, image_id: int | None = None, images: bool = False,
             categories: bool = False) -> T:
        """Run one project edit ``fn(project)`` (it commits at once) and announce what it touched:
        the objects of ``image_id``, image rows, classes. Raises ProjectError unchanged."""
        assert self.project is not None, "edit without an open project"
        result = fn(self.project)
        self._announce(image_id=image_id, images=images, categories=categories)
        return result

    def undo(self) -> bool:
        return self._step(self.project.undo) if self.project is not None else False

    def redo(self) -> bool:
        return self._step(self.project.redo) if self.project is not None else False

    def _step(self, step: Callable[[], bool]) -> bool:
        """Undo/redo may touch anything: announce everything that is shown."""
        done = step()
        if done:
            self._announce(image_id=self.current_image_id, images=True, categories=True)
        return done

    def _announce(self, *, image_id: int | None, images: bool, categories: bool) -> None:
        if categories:
            self._categories = sorted(self.project.categories(), key=lambda c: c.id)
            self.categories_changed.emit()
        if images:
            self.images_changed.emit()
        if image_id is not None and image_id != NO_IMAGE:
            self.annotations_changed.emit(image_id)
        self.history_changed.emit()

    # ------------------------------------------------------------------ selection
    def select_image(self, image_id: int) -> None:
        """Make ``image_id`` (or NO_IMAGE) current; emits image_selected only on a change."""
        if image_id == self.current_image_id:
            return
        self.current_image_id = image_id
        self.selected_annotation_id = NO_ANNOTATION  # objects belong to their image
        self.image_selected.emit(image_id)

    # ------------------------------------------------------------------ panels: object and class picks
    def select_annotation(self, annotation_id: int) -> None:
        """Make ``annotation_id`` (of the current image) or NO_ANNOTATION the selected object; emits
        annotation_selected only on a change (the canvas and the annotations panel follow it)."""
        if annotation_id == self.selected_annotation_id:
            return
        self.selected_annotation_id = annotation_id
        self.annotation_selected.emit(annotation_id)

    def set_current_category(self, category_id: int | None) -> None:
        """The class new boxes get; emits current_category_changed (-1 for None) on a change."""
        if category_id == self.current_category_id:
            return
        self.current_category_id = category_id
        self.current_category_changed.emit(-1 if category_id is None else category_id)

    def give_selected_class(self, category_id: int) -> bool:
        """Change the selected object's class to ``category_id`` (one edit); False when no object is
        selected, it already has that class, or the project is read-only. Digits 1-9 and a click in
        the classes dock both come here."""
        ann_id, image_id = self.selected_annotation_id, self.current_image_id
        if self.project is None or self.readonly or ann_id == NO_ANNOTATION:
            return False
        current = next((a for a in self.annotations(image_id) if a.id == ann_id), None)
        if current is None or current.category_id == category_id:
            return False
        self.edit(lambda p: p.set_category(ann_id, category_id), image_id=image_id, categories=True)
        return True

    def announce_class_colors(self) -> None:
        """Class colours (a GUI preference, not an edit) changed: observers redraw as after a class edit."""
        self.categories_changed.emit()
