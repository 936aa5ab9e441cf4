"""Train > Train… (Ctrl+T): the task, model, schedule and device of a new run, then Start.

Start exports the project's training split into ``<run>/dataset`` (YOLO files and data.yaml, so the run
keeps what it trained on; studio.jobs.train_command.export_split) and hands ``tern train ...`` to the
job launcher, which runs it as a separate process; the jobs panel then follows the run's events. A
denoiser trains on a folder of clean RAW files instead of the project.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.dialogs.train_defaults import (
    AUTO_DEVICE,
    DENOISE_ARCHS,
    DENOISE_SIZES,
    DETECTOR_SIZES,
    OPTIMIZERS,
    ProjectData,
    devices,
    runs_root,
    suggested,
    zoo,
)
from app.opener import tell
from app.session import Session
from studio.errors import StudioError

TASKS = (("detect", "Detect (boxes)"), ("pose", "Pose (boxes and keypoints)"),
         ("denoise", "Denoise (RAW images)"))


class Launcher(Protocol):
    """What the dialog needs of app.jobs.launcher.JobLauncher."""

    def start(self, argv: list[str], run: Path) -> None: ...


def _combo(parent: QWidget, items: list[tuple[str, str]] | tuple[str, ...]) -> QComboBox:
    combo = QComboBox(parent)
    _fill(combo, items)
    return combo


def _fill(combo: QComboBox, items: list[tuple[str, str]] | tuple[str, ...], current: str = "") -> None:
    """Replace the items (plain names or (data, text) pairs); keep ``current`` selected when present."""
    combo.blockSignals(True)
    combo.clear()
    for item in items:
        data, text = item if isinstance(item, tuple) else (item, item)
        combo.addItem(text, data)
    index = combo.findData(current)
    combo.setCurrentIndex(max(index, 0))
    combo.blockSignals(False)


def _spin(parent: QWidget, low: int, high: int, step: int = 1) -> QSpinBox:
    spin = QSpinBox(parent)
    spin.setRange(low, high)
    spin.setSingleStep(step)
    return spin


class FolderField(QWidget):
    """A folder path with a Browse… button."""

    def __init__(self, parent: QWidget, caption: str, placeholder: str) -> None:
        super().__init__(parent)
        self.caption = caption
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(placeholder)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(browse)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.caption, self.edit.text())
        if folder:
            self.edit.setText(folder)


class TrainDialog(QDialog):
    """A new run of the open project. ``launcher.start(argv, run)`` runs the worker; ``on_started(run)``
    (the jobs panel's ``add_run``) is told about each run started."""

    def __init__(self, session: Session, parent: QWidget | None = None, *, launcher: Launcher | None = None,
                 on_started: Callable[[Path], object] | None = None) -> None:
        super().__init__(parent)
        assert session.project is not None, "the training dialog needs an open project"
        self.setWindowTitle("Train")
        self.session = session
        self.launcher = launcher
        self.on_started = on_started
        self.project_path = Path(session.project.path)
        self.root = runs_root(self.project_path)
        self.data = ProjectData.from_project(session.project)
        self.started_run: Path | None = None
        self._make_widgets()
        self._layout()
        self.task.setCurrentIndex(self.task.findData("pose" if self.data.has_keypoints else "detect"))
        self._task_changed()
        self.task.currentIndexChanged.connect(self._task_changed)
        self.arch.currentIndexChanged.connect(self._arch_changed)
        self.val_fraction.valueChanged.connect(self._show_split)
        self.name.textChanged.connect(self._show_run_folder)

    # ------------------------------------------------------------------ widgets
    def _make_widgets(self) -> None:
        self.task = _combo(self, TASKS)
        pose = self.task.model().item(self.task.findData("pose"))
        pose.setEnabled(self.data.has_keypoints)  # the project has no keypoints to learn
        self.name = QLineEdit(self)
        self.run_folder = QLabel(self)
        self.run_folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.split = QLabel(self)
        self.split.setWordWrap(True)
        self.val_fraction = QDoubleSpinBox(self)
        self.val_fraction.setRange(0.05, 0.5)
        self.val_fraction.setSingleStep(0.05)
        self.val_fraction.setValue(0.2)
        self.clean = FolderField(self, "Folder of clean RAW files", "folder of clean RAW files (required)")
        self.noisy = FolderField(self, "Folder of noisy RAW files", "optional (empty: synthetic noise)")
        self.noisy.setToolTip("Noisy RAWs paired with the clean ones by file name; without them the "
                              "denoiser learns from synthetic noise added to the clean files")
        self.arch, self.backbone, self.neck = _combo(self, ()), _combo(self, ()), _combo(self, ())
        self.model_size = _combo(self, ())
        self.epochs = _spin(self, 1, 10_000)
        self.imgsz = _spin(self, 32, 4096, 32)
        self.imgsz.setSuffix(" px")
        self.device = _combo(self, list(devices()))
        self._make_advanced()
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #c0392b")
        self.error.setWordWrap(True)

    def _make_advanced(self) -> None:
        self.batch = _spin(self, 1, 1024)
        self.lr0 = QDoubleSpinBox(self)
        self.lr0.setDecimals(5)
        self.lr0.setRange(0.0, 1.0)
        self.lr0.setSingleStep(0.001)
        self.lr0.setSpecialValueText("auto")  # 0: the recipe's own (faster_rcnn scales it with the batch)
        self.optimizer = _combo(self, OPTIMIZERS)
        self.patience = _spin(self, 0, 10_000)
        self.patience.setSpecialValueText("never stop early")
        self.seed = _spin(self, 0, 2**31 - 1)
        self.workers = _spin(self, 0, 64)
        self.no_export = QCheckBox("Do not export model.onnx at the end", self)
        self.advanced_toggle = QToolButton(self)
        self.advanced_toggle.setText("Advanced")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced_toggle.toggled.connect(self._show_advanced)

    def _layout(self) -> None:
        layout = QVBoxLayout(self)
        top = QFormLayout()
        top.addRow("Task:", self.task)
        top.addRow("Run name:", self.name)
        top.addRow("", self.run_folder)
        layout.addLayout(top)
        self.data_box = QGroupBox("Data", self)
        data = QFormLayout(self.data_box)
        data.addRow("Split:", self.split)
        data.addRow("Val fraction:", self.val_fraction)
        data.addRow("Clean RAW folder:", self.clean)
        data.addRow("Noisy RAW folder:", self.noisy)
        self.data_form = data
        layout.addWidget(self.data_box)
        model_box = QGroupBox("Model", self)
        model = QFormLayout(model_box)
        model.addRow("Architecture:", self.arch)
        model.addRow("Backbone:", self.backbone)
        model.addRow("Neck:", self.neck)
        model.addRow("Size:", self.model_size)
        self.model_form = model
        layout.addWidget(model_box)
        schedule_box = QGroupBox("Training", self)
        schedule = QFormLayout(schedule_box)
        schedule.addRow("Epochs:", self.epochs)
        schedule.addRow("Image size:", self.imgsz)
        schedule.addRow("Device:", self.device)
        layout.addWidget(schedule_box)
        layout.addWidget(self.advanced_toggle)
        self.advanced = QGroupBox(self)
        advanced = QFormLayout(self.advanced)
        for label, widget in (("Batch:", self.batch), ("Initial learning rate:", self.lr0),
                              ("Optimizer:", self.optimizer), ("Patience (epochs):", self.patience),
                              ("Seed:", self.seed), ("Loader workers:", self.workers), ("", self.no_export)):
            advanced.addRow(label, widget)
        self.advanced.setVisible(False)
        layout.addWidget(self.advanced)
        layout.addStretch(1)  # rows hidden for a task leave no gaps inside the groups
        layout.addWidget(self.error)
        ok, cancel = QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel
        self.buttons = QDialogButtonBox(ok | cancel, self)
        self.start_button = self.buttons.button(ok)
        self.start_button.setText("Start")
        self.buttons.accepted.connect(self._start_clicked)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    def _show_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self._fit()

    def _fit(self) -> None:
        """Shrink or grow to the rows shown now (the groups' layouts first: rows were hidden)."""
        for box in self.findChildren(QGroupBox):
            box.layout().activate()
        self.layout().activate()
        self.resize(self.sizeHint())

    # ------------------------------------------------------------------ reacting to choices
    def task_name(self) -> str:
        return self.task.currentData()

    def _task_changed(self) -> None:
        from studio.jobs.train_command import default_run_name

        task = self.task_name()
        denoise = task == "denoise"
        for row in (0, 1):  # split and val fraction: the project's images
            self.data_form.setRowVisible(row, not denoise)
        for row in (2, 3):  # clean and noisy RAW folders
            self.data_form.setRowVisible(row, denoise)
        for row in (1, 2):  # backbone and neck: detectors only
            self.model_form.setRowVisible(row, not denoise)
        if denoise:
            _fill(self.arch, DENOISE_ARCHS)
        else:
            archs = zoo().archs if task == "detect" else ("yolo",)  # pose models are one-stage
            _fill(self.arch, archs, self.arch.currentData() or "yolo")
        self.name.setText(default_run_name(self.root, task))
        self._show_run_folder()
        self._arch_changed()
        self._show_split()
        self._fit()

    def _arch_changed(self) -> None:
        """Defaults of the task and architecture for this data (train_defaults.suggested)."""
        task, arch = self.task_name(), self.arch.currentData()
        summary = self.data.summary(self.val_fraction.value())
        values = suggested(task, arch, summary.train, self.data.median_side)
        if task == "denoise":
            _fill(self.model_size, DENOISE_SIZES, values["model"])
        else:
            _fill(self.model_size, DETECTOR_SIZES, values["model"])
            _fill(self.backbone, zoo().backbones_for(arch), values["backbone"])
            _fill(self.neck, zoo().necks, values["neck"])
        self.epochs.setValue(values["epochs"])
        self.imgsz.setValue(values["imgsz"])
        self.batch.setValue(values["batch"])
        self.patience.setValue(values["patience"])
        self.seed.setValue(values["seed"])
        self.workers.setValue(values["workers"])
        self.optimizer.setCurrentIndex(max(self.optimizer.findData(values["optimizer"]), 0))
        self.lr0.setValue(0.0)

    def _show_split(self) -> None:
        fraction = self.val_fraction.value()
        summary = self.data.summary(fraction)
        self.split.setText(summary.text(fraction))
        self.val_fraction.setEnabled(summary.made_up)
        self.val_fraction.setToolTip("The share of images that validate (by a hash of the file name)"
                                     if summary.made_up else "The project has its own val split: it is "
                                     "used as it is")

    def _show_run_folder(self) -> None:
        self.run_folder.setText(f"<small>{self.run_path()}</small>")

    # ------------------------------------------------------------------ what the dialog says
    def run_path(self) -> Path:
        return self.root / self.task_name() / self.name.text().strip()

    def options(self) -> dict[str, Any]:
        """The run's options for studio.jobs.train_command.train_argv, without data, project and name
        (Start adds them). "auto" choices are left out, so the worker's own defaults apply."""
        denoise = self.task_name() == "denoise"
        opts: dict[str, Any] = {"arch": self.arch.currentData(), "model": self.model_size.currentData()}
        if denoise:
            noisy = self.noisy.path()
            opts["noisy"] = str(noisy) if noisy is not None else None
        else:
            opts.update(backbone=self.backbone.currentData(), neck=self.neck.currentData())
        opts.update(epochs=self.epochs.value(), imgsz=self.imgsz.value(), batch=self.batch.value())
        device = self.device.currentData()
        opts["device"] = None if device == AUTO_DEVICE else device
        optimizer = self.optimizer.currentData()
        opts["optimizer"] = None if optimizer == "auto" else optimizer
        opts["lr0"] = self.lr0.value() or None
        opts.update(patience=self.patience.value(), seed=self.seed.value(), workers=self.workers.value())
        opts["no_export"] = self.no_export.isChecked()
        return {k: v for k, v in opts.items() if v is not None and v is not False}

    def problem(self) -> str:
        """Why Start cannot go ahead now ('' when it can)."""
        name = self.name.text().strip()
        if not name or Path(name).name != name or name in (".", ".."):
            return "Give the run a name (a plain folder name)."
        if self.run_path().exists():
            return f"A run named {name} exists already ({self.run_path()}); choose another name."
        if self.imgsz.value() % 32:
            return f"Image size {self.imgsz.value()}: use a multiple of 32."
        if self.task_name() == "denoise":
            clean = self.clean.path()
            if clean is None or not clean.is_dir():
                return "Choose the folder of clean RAW files the denoiser learns from."
            noisy = self.noisy.path()
            if noisy is not None and not noisy.is_dir():
                return f"The noisy RAW folder {noisy} does not exist."
        elif self.data.summary(self.val_fraction.value()).train == 0:
            return "No image is marked done: training uses done images only (Label > Mark Done)."
        return ""

    # ------------------------------------------------------------------ start
    def start(self) -> Path | None:
        """Export the split (detect, pose), start the worker and tell ``on_started``; the run folder, or
        None after showing why not."""
        from studio.jobs.train_command import export_split, train_argv

        problem = self.problem()
        if problem:
            self.error.setText(problem)
            return None
        task, run = self.task_name(), self.run_path()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            data = self.clean.path() if task == "denoise" else \
                export_split(self.project_path, run, self.val_fraction.value())
        except (StudioError, OSError, ValueError) as exc:
            self.error.setText(f"Could not export the training data into {run}: {exc}")
            return None
        finally:
            QGuiApplication.restoreOverrideCursor()
        options = {"data": str(data), "project": str(self.root), "name": run.name, **self.options(),
                   "quiet": True}  # no progress bar in worker.log: the jobs panel shows progress
        assert self.launcher is not None, "TrainDialog.start without a launcher"
        try:
            self.launcher.start(train_argv(task, options), run)
        except (RuntimeError, OSError) as exc:  # app.jobs.launcher.JobLaunchError: the program cannot run
            self.error.setText(f"Could not start the training worker: {exc}")
            return None
        self.started_run = run
        if self.on_started is not None:
            self.on_started(run)
        return run

    def _start_clicked(self) -> None:
        if self.start() is not None:
            self.accept()


def run_dialog(dialog: QDialog) -> bool:
    """Show ``dialog`` modally; True when accepted. (Tests replace this function.)"""
    return dialog.exec() == QDialog.DialogCode.Accepted


def train_dialog(parent: QWidget | None, session: Session, launcher: Launcher,
                 on_started: Callable[[Path], object] | None = None) -> Path | None:
    """Train > Train…: the dialog for the open project; the run started, or None."""
    if session.project is None:
        tell(parent, "Nothing to train on", "Open a project first (File > Open).")
        return None
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # the first opening loads torch
    try:
        dialog = TrainDialog(session, parent, launcher=launcher, on_started=on_started)
    finally:
        QGuiApplication.restoreOverrideCursor()
    return dialog.started_run if run_dialog(dialog) else None
