"""The two background steps of pre-labeling, each a QThread so the window stays responsive: opening a
model (torch or onnxruntime load here, not in the GUI thread) and predicting a list of images.

Neither touches the project (its SQLite connection belongs to the GUI thread): the controller hands in
image ids and paths and stores nothing until the user accepts a suggestion.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from studio.errors import StudioError
from studio.inference.assist import AssistModel, ClassMap


def _reason(exc: Exception) -> str:
    """A StudioError's own message; anything else with its type, so a bug still reads as one."""
    return str(exc) if isinstance(exc, StudioError) else f"{type(exc).__name__}: {exc}"


class LoadModelJob(QThread):
    """``open_model(path, conf, device)`` off the GUI thread: ``loaded(AssistModel)`` or ``failed(str)``."""

    loaded = Signal(object)
    failed = Signal(str)

    def __init__(self, path: Path, conf: float, device: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path, self.conf, self.device = path, conf, device

    def run(self) -> None:
        from studio.inference.assist import open_model

        try:
            model = open_model(self.path, self.conf, self.device)
        except Exception as exc:  # reported to the user in a message box, never swallowed
            self.failed.emit(_reason(exc))
            return
        self.loaded.emit(model)


class PredictJob(QThread):
    """Suggestions for each (image id, path) in order: ``predicted(image_id, list[Suggestion])`` and
    ``progress(done, total)`` per image, ``image_failed(image_id, message)`` for an image that cannot be
    read. ``cancel()`` stops before the next image (``cancelled`` then is True); QThread's ``finished``
    ends every run."""

    predicted = Signal(int, object)
    progress = Signal(int, int)
    image_failed = Signal(int, str)

    def __init__(self, model: AssistModel, images: Sequence[tuple[int, Path]], class_map: ClassMap,
                 conf: float, keypoints: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model, self.images, self.class_map = model, list(images), class_map
        self.conf, self.keypoints = conf, keypoints
        self.cancelled = False
        self._stop = threading.Event()

    def cancel(self) -> None:
        self._stop.set()

    def run(self) -> None:
        from studio.inference.assist import predict_suggestions

        total = len(self.images)
        for done, (image_id, path) in enumerate(self.images, 1):
            if self._stop.is_set():
                self.cancelled = True
                return
            try:
                found = predict_suggestions(self.model, path, self.class_map, self.conf, self.keypoints)
            except Exception as exc:  # one unreadable image does not end the run; it is reported
                self.image_failed.emit(image_id, _reason(exc))
            else:
                self.predicted.emit(image_id, found)
            self.progress.emit(done, total)
