"""The Results dock: how a finished detect / pose run does on its val images, read from ``<run>/review.json``
(``studio.evaluation.review``), so nothing needs the model or torch to show it.

A confidence slider (default: the confidence of the best F1) drives everything that depends on it: the
per-class P / R, the confusion matrix (recomputed on a worker thread: it loads torch), and the prediction
gallery (worst first: the images with the most false positives + missed objects at that confidence
lead; true positives green, false positives red, missed objects orange and dashed) with a count of the
images with errors. Tabs: Classes (sortable AP table), Curves (PR, F1 / P / R over confidence),
Confusion matrix, Gallery. Double-click or Enter on a gallery image emits ``open_image(path)``.

A run without a review file (denoise runs, runs still training, older runs) gets a line saying why and
its ``plots/*.png`` to look at. ``show_run`` takes a run folder (``show_runs`` the jobs dock's
``run_selected`` list); ``refresh`` reloads when the file changed (a run that just finished).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QStackedWidget,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.panels.results_charts import ConfusionView, CurvesView, fill_ap_table
from app.panels.results_gallery import FP_COLOR, MISSED_COLOR, TP_COLOR, GalleryView
from app.panels.results_plots import PlotImages, run_plots
from app.thumbnails import ThumbnailStore
from studio.evaluation.review import REVIEW_FILE, Outcomes, Review, worst_first

NO_RUN = "No run selected: select a finished detect or pose run in the Jobs panel."
SETTLE_MS = 60  # the slider's last move wins: recompute this long after it stops
CONFUSION_IOU = 0.45  # as plots/confusion_matrix.png
TABS = ("Classes", "Curves", "Confusion matrix", "Gallery")


class _Relay(QObject):
    """Worker results to the GUI thread. Payloads are never None (PySide6 miscounts None's references
    through an ``object`` argument across threads). ``latest`` is the token of the newest request: older
    queued requests are skipped."""

    loaded = Signal(int, object)  # token, Outcomes, or the ReviewError's message
    confusion = Signal(int, object)  # token, (nc + 1, nc + 1) int64 matrix
    latest = 0


class _LoadTask(QRunnable):
    def __init__(self, token: int, path: Path, relay: _Relay) -> None:
        super().__init__()
        self.token, self.path, self.relay = token, path, relay

    def run(self) -> None:
        from studio.evaluation.review import ReviewError, load_review, outcomes

        if self.token != self.relay.latest:
            return
        try:
            self.relay.loaded.emit(self.token, outcomes(load_review(self.path)))
        except ReviewError as exc:
            self.relay.loaded.emit(self.token, str(exc))


class _ConfusionTask(QRunnable):
    def __init__(self, token: int, review: Review, conf: float, relay: _Relay) -> None:
        super().__init__()
        self.token, self.review, self.conf, self.relay = token, review, conf, relay

    def run(self) -> None:
        from studio.evaluation.review import confusion_at  # loads torch: never on the GUI thread

        if self.token == self.relay.latest:
            self.relay.confusion.emit(self.token, confusion_at(self.review, self.conf, CONFUSION_IOU))


class ResultsPanel(QDockWidget):
    """``review`` is the shown run's Review (None without one, or while it is read on the worker);
    ``outcomes`` its matching; ``errors`` (N,) each image's false positives + missed objects at ``conf``;
    ``confusion.matrix`` the matrix at ``confusion_conf``."""

    open_image = Signal(str)  # absolute path of an image picked in the gallery

    def __init__(self, parent: QWidget | None = None, thumbnails: ThumbnailStore | None = None) -> None:
        super().__init__("Results", parent)
        self.setObjectName("results_panel")
        self.pool = QThreadPool(self)  # before the relay: destroyed (waiting for its task) first
        self.pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.loaded.connect(self._loaded)
        self._relay.confusion.connect(self._confusion_done)
        self.thumbnails = thumbnails if thumbnails is not None else ThumbnailStore(parent=self)
        self.run: Path | None = None
        self.review: Review | None = None
        self.outcomes: Outcomes | None = None
        self.errors = np.zeros(0, np.int64)
        self.conf = 0.25
        self.confusion_conf: float | None = None
        self._stamp: tuple[int, int] | None = None
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._apply_conf)
        self._build()
        self.show_run(None)

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self.summary = QLabel(NO_RUN)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self._review_page())
        self.plot_images = PlotImages()
        self.stack.addWidget(self.plot_images)
        layout = QVBoxLayout()
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.stack, 1)
        widget = QWidget()
        widget.setLayout(layout)
        self.setWidget(widget)

    def _review_page(self) -> QWidget:
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(1, 99)
        self.slider.setToolTip("Detections scoring above this count (confusion matrix, gallery, P and R)")
        self.slider.valueChanged.connect(self._slider_moved)
        self.conf_label = QLabel("0.25")
        self.counter = QLabel()
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Confidence"))
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.conf_label)
        controls.addSpacing(12)
        controls.addWidget(self.counter)
        self.table = QTableWidget()
        self.curves = CurvesView()
        self.confusion = ConfusionView()
        self.tabs = QTabWidget()
        for title, page in zip(TABS, (self.table, self.curves, self._confusion_page(), self._gallery_page()),
                               strict=True):
            self.tabs.addTab(page, title)
        self.tabs.currentChanged.connect(self._tab_changed)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.tabs, 1)
        return page

    def _confusion_page(self) -> QWidget:
        self.confusion_note = QLabel()
        self.confusion_note.setWordWrap(True)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.confusion)
        return _column(self.confusion_note, scroll)

    def _gallery_page(self) -> QWidget:
        self.gallery = GalleryView(self.thumbnails)
        self.gallery.image_activated.connect(self.open_image)
        legend = QLabel(f'<span style="color:{TP_COLOR.name()}">&#9632;</span> true positive &nbsp; '
                        f'<span style="color:{FP_COLOR.name()}">&#9632;</span> false positive &nbsp; '
                        f'<span style="color:{MISSED_COLOR.name()}"><b>- - -</b></span> missed (dashed)'
                        " &nbsp;&nbsp; worst first; double-click an image to open it")
        legend.setTextFormat(Qt.TextFormat.RichText)
        return _column(legend, self.gallery)

    # ------------------------------------------------------------------ runs
    def show_runs(self, runs: list[Path]) -> None:
        """The jobs dock's ``run_selected``: show the first selected run (or none)."""
        self.show_run(Path(runs[0]) if runs else None)

    def show_run(self, run: Path | None) -> None:
        """Show ``run``'s review file (read and matched on the worker), or why it has none and its plots."""
        self.run = Path(run) if run is not None else None
        self._stamp = _stamp(self.run / REVIEW_FILE) if self.run is not None else None
        self.review, self.outcomes = None, None
        token = self._next_token()
        if self.run is None:
            self._without_review(NO_RUN)
            return
        if self._stamp is None:
            self._without_review(_why_no_review(self.run))
            return
        self.summary.setText(f"{_run_title(self.run)} &nbsp;·&nbsp; reading its review…")
        self.pool.start(_LoadTask(token, self.run / REVIEW_FILE, self._relay))

    def _next_token(self) -> int:
        self._relay.latest += 1
        return self._relay.latest

    def _loaded(self, token: int, result: Outcomes | str) -> None:
        if token != self._relay.latest:
            return  # another run was picked meanwhile
        if isinstance(result, str):
            self._without_review(f"Cannot show this run's review: {result}")
        else:
            self._with_review(result)

    def refresh(self) -> None:
        """Reload when the shown run's review file appeared or changed (one stat; the jobs dock's
        ``changed`` calls this)."""
        if self.run is not None and _stamp(self.run / REVIEW_FILE) != self._stamp:
            self.show_run(self.run)

    def _without_review(self, why: str) -> None:
        self.summary.setText(_run_title(self.run) if self.run is not None else "")
        self.summary.setVisible(self.run is not None)
        plots = run_plots(self.run)
        tail = " Its plots:" if plots else ""
        self.plot_images.show_plots(why + tail, plots)
        self.gallery.gallery.set_order(None, [], self.conf)
        self.stack.setCurrentIndex(1)

    def _with_review(self, found: Outcomes) -> None:
        review = found.review
        self.review, self.outcomes = review, found
        self.gallery.tiles.names = review.names
        self.gallery.tiles.skeleton = review.skeleton
        self.summary.setVisible(True)
        self.summary.setText(_summary(self.run, review))
        self.confusion.set_matrix(review.names, np.zeros((len(review.names) + 1,) * 2, np.int64))
        self.confusion_conf = None
        self.curves.set_review(review, self.conf)
        conf = review.best_conf if _detected(review) else 0.25  # nothing detected: any value shows that
        value = int(np.clip(round(conf * 100), 1, 99))
        self.slider.blockSignals(True)
        self.slider.setValue(value)
        self.slider.blockSignals(False)
        self.stack.setCurrentIndex(0)
        self._apply_conf()
        self._tab_changed(self.tabs.currentIndex())

    # ------------------------------------------------------------------ confidence
    def set_conf(self, conf: float) -> None:
        """Move the slider to ``conf`` (0.01 steps); the views follow after SETTLE_MS."""
        self.slider.setValue(int(np.clip(round(conf * 100), 1, 99)))

    def _slider_moved(self, value: int) -> None:
        self.conf_label.setText(f"{value / 100:.2f}")
        self._settle.start()

    def _apply_conf(self) -> None:
        """Everything that depends on the confidence, at the slider's value."""
        self._settle.stop()
        self.conf = self.slider.value() / 100
        self.conf_label.setText(f"{self.conf:.2f}")
        review, found = self.review, self.outcomes
        if review is None or found is None:
            return
        self.errors = found.errors(self.conf)
        self.gallery.gallery.set_order(found, worst_first(review, self.conf, found), self.conf)
        wrong = int(np.count_nonzero(self.errors))
        self.counter.setText(f"{wrong} of {len(review.images)} images with errors at conf {self.conf:.2f}")
        fill_ap_table(self.table, review, self.conf)
        self.curves.set_conf(self.conf)
        self.confusion_note.setText(f"Computing the confusion matrix at conf {self.conf:.2f}…")
        self.pool.start(_ConfusionTask(self._next_token(), review, self.conf, self._relay))

    def _confusion_done(self, token: int, matrix: np.ndarray) -> None:
        if token != self._relay.latest or self.review is None:
            return  # the slider moved on meanwhile
        self.confusion.set_matrix(self.review.names, matrix)
        self.confusion_conf = self.conf
        self.confusion_note.setText(
            f"Detections scoring above {self.conf:.2f}, paired with objects at IoU above {CONFUSION_IOU} "
            "(any class). Rows: predicted class; columns: true class. Background row: objects missed; "
            "background column: detections of nothing. Colour: the share of each true class.")

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.curves and self.curves.stale:
            self.curves.redraw()

    def wait(self, msecs: int = -1) -> bool:
        """Wait for the worker (tests, closing)."""
        return self.pool.waitForDone(msecs)


def _column(top: QWidget, body: QWidget) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(2, 4, 2, 2)
    layout.addWidget(top)
    layout.addWidget(body, 1)
    return page


def _summary(run: Path, review: Review) -> str:
    head = (f"{_run_title(run)} &nbsp;·&nbsp; {len(review.images)} val images &nbsp;·&nbsp; "
            f"mAP50 <b>{review.map50:.3f}</b> &nbsp;·&nbsp; mAP50-95 <b>{review.map:.3f}</b> &nbsp;·&nbsp; ")
    if not _detected(review):
        return head + "the model detected nothing on the val images (train it longer, or on more data)"
    return head + (f"P {review.precision:.3f} &nbsp;R {review.recall:.3f} at the best F1 "
                   f"(conf {review.best_conf:.2f})")


def _detected(review: Review) -> bool:
    """Whether the model detected anything on any val image (above the file's keep_conf)."""
    return any(len(img.dets) for img in review.images)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _run_title(run: Path) -> str:
    return f"<b>{run.parent.name}/{run.name}</b>"


def _why_no_review(run: Path) -> str:
    """One sentence: why ``run`` has no review file."""
    from studio.jobs.run_monitor import read_state

    if run.parent.name == "denoise":
        return "A denoise run has no detection review (compare its images in the RAW compare viewer)."
    status = read_state(run).status
    if status == "running":
        return "This run is still training: its review is written when it finishes."
    if status == "queued" and (run / "events.jsonl").is_file():
        return "This run has not started yet: its review is written when it finishes."
    if status in ("failed", "cancelled", "crashed"):
        return f"This run {status} before its final validation, so it has no review."
    return (f"This run has no {REVIEW_FILE} (it was made before the studio wrote one). Validate its "
            "best.pt with `tern val`: that run's folder will have one.")
