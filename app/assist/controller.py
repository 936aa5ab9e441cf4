"""Pre-labeling with a model, for the studio window: the Model menu's "Pre-label Current Image…" and
"Pre-label Unlabeled Images…" (``handlers()``).

The flow: the dialog picks the weights and a confidence; the model opens in a background thread (kept
for the next run while the file and settings are the same); its class names are matched to the
project's classes by name, and for classes the project lacks the user chooses to add them or skip their
detections; then a second thread predicts the images one by one, with progress and Cancel in the
status bar (``app.assist.progress``), and each image's suggestions go to the canvas's
``SuggestionBoard``, in memory only. Accepting them is the canvas's business (``app.canvas.commands``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QMainWindow, QMessageBox, QWidget

from app.assist.dialog import PrelabelDialog
from app.assist.jobs import LoadModelJob, PredictJob
from app.assist.progress import AssistProgress
from app.dialogs.train_defaults import project_runs_root
from app.session import Session
from studio.errors import StudioError
from studio.inference.assist import (
    DEFAULT_CONF,
    AssistModel,
    ClassMap,
    drop_existing,
    keypoints_kept,
    map_classes,
    newest_run,
    resolve_weights,
    unlabeled_images,
)

if TYPE_CHECKING:
    from app.canvas.view import CanvasView

TITLE = "Pre-label"
STATUS_MS = 10_000  # how long the status bar shows a run's summary


class AssistController(QObject):
    """Pre-labels ``session``'s images into ``canvas.suggestions``. ``done(images, suggestions)`` after
    a run ends (cancelled or not); ``last_message`` / ``errors`` hold what the user was told."""

    done = Signal(int, int)

    def __init__(self, session: Session, canvas: CanvasView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.canvas = session, canvas
        self.device = ""  # a --device spec for the model ('' = the GPU when there is one)
        self.model: AssistModel | None = None  # the last model opened, reused while its key holds
        self._model_key: tuple | None = None
        self.last_weights: Path | None = None
        self.conf = DEFAULT_CONF
        self.progress: AssistProgress | None = None  # made on the first run, in the window's status bar
        self.last_message = ""
        self.errors: list[str] = []
        self._load: LoadModelJob | None = None
        self._predict: PredictJob | None = None
        self._pending: tuple[list[tuple[int, Path]], float] | None = None
        self._counts = [0, 0]  # images predicted, suggestions made in this run
        session.project_changed.connect(self.stop)

    def handlers(self) -> dict[str, Callable[[], object]]:
        return {"prelabel_current": self.prelabel_current, "prelabel_unlabeled": self.prelabel_unlabeled}

    @property
    def busy(self) -> bool:
        return self._load is not None or self._predict is not None

    # ------------------------------------------------------------------ menu entries
    def prelabel_current(self) -> None:
        if self._refused():
            return
        row = self.session.current_image()
        if row is None:
            self._tell("Select an image to pre-label first.")
            return
        self._ask_and_run([(row.id, row.path)], "the current image")

    def prelabel_unlabeled(self) -> None:
        if self._refused():
            return
        rows = unlabeled_images(self.session.project)
        if not rows:
            self._tell("Every image has objects or is marked done: nothing to pre-label.")
            return
        what = f"{len(rows)} unlabeled image{'s' if len(rows) != 1 else ''} (no objects, not marked done)"
        self._ask_and_run([(r.id, r.path) for r in rows], what)

    def _refused(self) -> bool:
        """Tell why pre-labeling cannot start now (no project, read-only, a run under way)."""
        if self.session.project is None:
            reason = "Open a project first."
        elif self.session.readonly:
            reason = "The project is open read-only: reopen it for writing to pre-label."
        elif self.busy:
            reason = "A pre-labeling run is under way: wait for it or cancel it first."
        else:
            return False
        self._tell(reason)
        return True

    def _ask_and_run(self, images: list[tuple[int, Path]], what: str) -> None:
        root = project_runs_root(self.session.project)
        dialog = PrelabelDialog(self._window(), what, self.last_weights or newest_run(root), self.conf,
                                browse_from=root)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.weights() is not None:
            self.prelabel(images, dialog.weights(), dialog.conf())

    # ------------------------------------------------------------------ a run
    def prelabel(self, images: Sequence[tuple[int, Path]], weights: Path | str, conf: float) -> None:
        """Predict ``images`` ((image id, path) pairs) with ``weights`` (a run folder or a weights
        file) and put each image's suggestions scoring >= ``conf`` on the canvas's board."""
        if self._refused():
            return
        self.errors, self._counts = [], [0, 0]
        self.last_weights, self.conf = Path(weights), conf
        self._pending = (list(images), conf)
        key = self._key(Path(weights), conf)
        if key is not None and key == self._model_key and self.model is not None:
            self._model_ready(self.model)
            return
        self._show_progress("Opening the model…", 0)
        job = LoadModelJob(Path(weights), conf, self.device, self)
        job.loaded.connect(self._loaded)
        job.failed.connect(self._load_failed)
        job.finished.connect(job.deleteLater)
        self._load, self._model_key = job, key
        job.start()

    def _key(self, weights: Path, conf: float) -> tuple | None:
        """What makes an opened model reusable: the same file, unchanged, the same conf and device."""
        try:
            path = resolve_weights(weights)
            return (path.resolve(), path.stat().st_mtime_ns, conf, self.device)
        except (StudioError, OSError):  # the load job reports what is wrong with the path
            return None

    def _loaded(self, model: AssistModel) -> None:
        if self.sender() is not self._load:
            return  # a load that was stopped
        self._load, self.model = None, model
        self._model_ready(model)

    def _load_failed(self, message: str) -> None:
        if self.sender() is not self._load:
            return
        self._load, self._model_key, self._pending = None, None, None
        self._close_progress()
        self._fail(f"Cannot pre-label with this model:\n{message}")

    def _model_ready(self, model: AssistModel) -> None:
        """Match classes (asking about missing ones), then start predicting."""
        if self._pending is None:  # cancelled while the model opened
            self._close_progress()
            return
        images, conf = self._pending
        self._pending = None
        class_map = self._class_map(model)
        if class_map is None:
            self._close_progress()
            return
        project = self.session.project
        keep = keypoints_kept(model.num_keypoints, project.kpt_shape if project is not None else None)
        if model.num_keypoints and not keep:
            self.errors.append(f"The model predicts {model.num_keypoints} keypoints per object but the "
                               "project's keypoint schema differs: suggestions are boxes only.")
        self._show_progress(self._progress_text(0, len(images)), len(images))
        job = PredictJob(model, images, class_map, conf, keep, self)
        job.predicted.connect(self._predicted)
        job.image_failed.connect(self._image_failed)
        job.progress.connect(self._progressed)
        job.finished.connect(self._finished)
        self._predict = job
        job.start()

    def _class_map(self, model: AssistModel) -> ClassMap | None:
        """The model's classes matched to the project's; None when the user cancelled or none match."""
        class_map = map_classes(model.names, self.session.categories())
        if class_map.missing:
            choice = self.ask_missing(class_map.message(model.names), class_map.missing)
            if choice is None:
                return None
            if choice == "add":
                for name in class_map.missing:
                    self.session.edit(lambda p, name=name: p.add_class(name), categories=True)
                class_map = map_classes(model.names, self.session.categories())
        if all(i is None for i in class_map.ids):
            self._fail(f"None of the model's classes ({', '.join(model.names)}) is a class of this "
                       "project, so it has nothing to suggest. Add them, or pick a model trained on "
                       "these classes.")
            return None
        return class_map

    def ask_missing(self, message: str, missing: Sequence[str]) -> str | None:
        """'add' (the missing classes join the project), 'skip' (their detections are dropped) or None
        (cancel). A modal question."""
        box = QMessageBox(QMessageBox.Icon.Question, TITLE, message, parent=self._window())
        add = box.addButton(f"Add {len(missing)} Class{'es' if len(missing) != 1 else ''}",
                            QMessageBox.ButtonRole.AcceptRole)
        skip = box.addButton("Skip Them", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(add)
        box.exec()
        return {add: "add", skip: "skip"}.get(box.clickedButton())

    def _predicted(self, image_id: int, suggestions: list) -> None:
        if self.sender() is not self._predict:
            return
        existing = [(a.category_id, a.box) for a in self.session.annotations(image_id)]
        suggestions = drop_existing(suggestions, existing)  # pre-labeling a partly labeled image
        self._counts[0] += 1
        self._counts[1] += len(suggestions)
        self.canvas.suggestions.set(image_id, suggestions)

    def _image_failed(self, image_id: int, message: str) -> None:
        if self.sender() is self._predict:
            self.errors.append(message)

    def _progressed(self, done: int, total: int) -> None:
        if self.sender() is self._predict and self.progress is not None:
            self.progress.step(done, self._progress_text(done, total))

    def _progress_text(self, done: int, total: int) -> str:
        return (f"Pre-labeling: {done} of {total} image{'s' if total != 1 else ''}, "
                f"{self._counts[1]} suggestion{'s' if self._counts[1] != 1 else ''} so far")

    def _finished(self) -> None:
        job = self.sender()
        if job is not self._predict:
            return
        self._predict = None
        job.deleteLater()
        self._close_progress()
        images, found = self._counts
        stopped = " (cancelled)" if job.cancelled else ""
        self._tell(f"Pre-labeled {images} image{'s' if images != 1 else ''}{stopped}: {found} "
                   f"suggestion{'s' if found != 1 else ''} at confidence ≥ {job.conf:g}. "
                   "Enter accepts the highlighted one, Esc rejects it; Shift for all of an image's.")
        if self.errors:
            self._fail("\n".join(self.errors[:10]) + (f"\n… and {len(self.errors) - 10} more"
                                                      if len(self.errors) > 10 else ""))
        self.done.emit(images, found)

    # ------------------------------------------------------------------ cancel and stop
    def cancel(self) -> None:
        """Stop after the image being predicted (its suggestions, and those before, stay)."""
        self._pending = None
        if self._predict is not None:
            self._predict.cancel()
        self._close_progress()

    def stop(self) -> None:
        """Another project opened (or the window closes): end the threads and drop their results."""
        for job in (self._load, self._predict):
            if job is not None:
                if isinstance(job, PredictJob):
                    job.cancel()
                job.wait()
        self._load = self._predict = None
        self._pending = None
        self._close_progress()

    # ------------------------------------------------------------------ telling the user
    def _window(self) -> QWidget:
        return self.canvas.window()

    def _show_progress(self, text: str, total: int) -> None:
        """Progress and Cancel in the status bar (the canvas keeps the keyboard meanwhile)."""
        if self.progress is None:
            self.progress = AssistProgress.in_window(self._window())
            self.progress.cancel_requested.connect(self.cancel)
        self.progress.start(text, total)

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.finish()

    def _tell(self, text: str) -> None:
        """A short note in the window's status bar."""
        self.last_message = text
        window = self._window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, STATUS_MS)

    def _fail(self, text: str) -> None:
        """A problem the user must read: a message box that does not block the window."""
        self.last_message = text
        box = QMessageBox(QMessageBox.Icon.Warning, TITLE, text, QMessageBox.StandardButton.Ok,
                          self._window())
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setObjectName("assist_error")
        box.open()
