"""Train > Train… (Ctrl+T): the task, model, schedule and device of a new run, then "Train and export"
(the default: model.onnx with its parity check at the end) or "Train" (``--no-export``; export later from
the jobs panel).

Either exports the project's training split into ``<run>/dataset`` (YOLO files and data.yaml, so the run
keeps what it trained on; studio.jobs.train_command.export_split) on a worker thread (train_split), the
dialog busy meanwhile, then hands ``tern train ...`` to the job launcher, which runs it as a separate
process; the jobs panel then follows the run's events. A denoiser trains on a folder of clean RAW files
instead of the project.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
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
from app.dialogs.train_fields import FolderField, busy_row, fill_combo, make_combo, make_spin
from app.dialogs.train_split import SplitExport
from app.opener import tell
from app.session import Session

TASKS = (("detect", "Detect (boxes)"), ("pose", "Pose (boxes and keypoints)"),
         ("denoise", "Denoise (RAW images)"))


class Launcher(Protocol):
    """What the dialog needs of app.jobs.launcher.JobLauncher."""

    def start(self, argv: list[str], run: Path) -> None: ...


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
        self.split_export: SplitExport | None = None  # the last split export started
        self.exporting = False  # the split export is under way: the dialog is busy
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
        self.task = make_combo(self, TASKS)
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
        self.rgb = QCheckBox("Also learn from the folder's photos (JPEG, PNG, ...), unprocessed to RAW", self)
        self.rgb.setToolTip("Varied scenes when you have few RAW files: each photo is turned back into a "
                            "Bayer mosaic of a random camera (Brooks et al. 2019) and gets synthetic noise")
        self.arch, self.backbone, self.neck = make_combo(self, ()), make_combo(self, ()), make_combo(self, ())
        self.model_size = make_combo(self, ())
        self.epochs = make_spin(self, 1, 10_000)
        self.imgsz = make_spin(self, 32, 4096, 32)
        self.imgsz.setSuffix(" px")
        self.device = make_combo(self, list(devices()))
        self._make_advanced()
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #c0392b")
        self.error.setWordWrap(True)
        self.busy, self.busy_text = busy_row(self)  # shown while the split exports

    def _make_advanced(self) -> None:
        self.batch = make_spin(self, 1, 1024)
        self.lr0 = QDoubleSpinBox(self)
        self.lr0.setDecimals(5)
        self.lr0.setRange(0.0, 1.0)
        self.lr0.setSingleStep(0.001)
        self.lr0.setSpecialValueText("auto")  # 0: the recipe's own (faster_rcnn scales it with the batch)
        self.optimizer = make_combo(self, OPTIMIZERS)
        self.patience = make_spin(self, 0, 10_000)
        self.patience.setSpecialValueText("never stop early")
        self.seed = make_spin(self, 0, 2**31 - 1)
        self.workers = make_spin(self, 0, 64)
        self.bf16 = QCheckBox("bfloat16 on this CPU (about 1.4x faster; mAP may be a little lower)", self)
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
        data.addRow("", self.rgb)
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
                              ("Seed:", self.seed), ("Loader workers:", self.workers),
                              ("Precision:", self.bf16)):
            advanced.addRow(label, widget)
        self.advanced.setVisible(False)
        layout.addWidget(self.advanced)
        layout.addStretch(1)  # rows hidden for a task leave no gaps inside the groups
        layout.addWidget(self.busy)
        layout.addWidget(self.error)
        layout.addWidget(self._make_buttons())
        self.setMinimumWidth(560)

    def _make_buttons(self) -> QDialogButtonBox:
        """Train and export (the default, Enter), Train, Cancel."""
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        accept = QDialogButtonBox.ButtonRole.AcceptRole
        self.train_button = self.buttons.addButton("Train", accept)
        self.train_button.setToolTip("Train only; export model.onnx later from the Jobs panel (Export…)")
        self.train_export_button = self.buttons.addButton("Train and export", accept)
        self.train_export_button.setToolTip("Train, then export model.onnx with its ONNX parity check")
        for button in (self.train_button, self.train_export_button):
            button.setAutoDefault(False)
        self.train_export_button.setDefault(True)
        self.train_button.clicked.connect(lambda: self.start(export=False))
        self.train_export_button.clicked.connect(lambda: self.start(export=True))
        self.buttons.rejected.connect(self.reject)
        return self.buttons

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
        for row in (2, 3, 4):  # clean and noisy RAW folders, photos too
            self.data_form.setRowVisible(row, denoise)
        for row in (1, 2):  # backbone and neck: detectors only
            self.model_form.setRowVisible(row, not denoise)
        if denoise:
            fill_combo(self.arch, DENOISE_ARCHS)
        else:
            archs = zoo().archs if task == "detect" else ("yolo",)  # pose models are one-stage
            fill_combo(self.arch, archs, self.arch.currentData() or "yolo")
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
            fill_combo(self.model_size, DENOISE_SIZES, values["model"])
        else:
            fill_combo(self.model_size, DETECTOR_SIZES, values["model"])
            fill_combo(self.backbone, zoo().backbones_for(arch), values["backbone"])
            fill_combo(self.neck, zoo().necks, values["neck"])
        self.epochs.setValue(values["epochs"])
        self.imgsz.setValue(values["imgsz"])
        self.batch.setValue(values["batch"])
        self.patience.setValue(values["patience"])
        self.seed.setValue(values["seed"])
        self.workers.setValue(values["workers"])
        self.optimizer.setCurrentIndex(max(self.optimizer.findData(values["optimizer"]), 0))
        self.lr0.setValue(0.0)
        self._show_bf16(task, arch)

    def _show_bf16(self, task: str, arch: str) -> None:
        """bfloat16 is offered for one-stage detect and pose runs on a CPU that computes it natively."""
        from studio.engine.precision import bf16_problem
        from studio.jobs.tasks import TASKS

        task_class = TASKS.get(task, {}).get(arch)
        why = bf16_problem(task_class is not None and task_class.cpu_bf16)
        self.bf16.setEnabled(not why)
        self.bf16.setToolTip(why or "--bf16: convolutions in bfloat16 on the CPU; GPUs use float16 anyway")
        if why:
            self.bf16.setChecked(False)

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
        """The run's options for studio.jobs.train_command.train_argv, without data, project, name and
        no_export (the button clicked adds them). "auto" choices are left out, so the worker's own defaults
        apply."""
        denoise = self.task_name() == "denoise"
        opts: dict[str, Any] = {"arch": self.arch.currentData(), "model": self.model_size.currentData()}
        if denoise:
            noisy = self.noisy.path()
            opts["noisy"] = str(noisy) if noisy is not None else None
            opts["rgb"] = self.rgb.isChecked()
        else:
            opts.update(backbone=self.backbone.currentData(), neck=self.neck.currentData())
        opts.update(epochs=self.epochs.value(), imgsz=self.imgsz.value(), batch=self.batch.value())
        device = self.device.currentData()
        opts["device"] = None if device == AUTO_DEVICE else device
        optimizer = self.optimizer.currentData()
        opts["optimizer"] = None if optimizer == "auto" else optimizer
        opts["lr0"] = self.lr0.value() or None
        opts.update(patience=self.patience.value(), seed=self.seed.value(), workers=self.workers.value(),
                    bf16=self.bf16.isEnabled() and self.bf16.isChecked())
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
            if noisy is not None and self.rgb.isChecked():
                return "Photos get synthetic noise: leave the noisy RAW folder empty, or untick the photos."
        elif self.data.summary(self.val_fraction.value()).train == 0:
            return "No image is marked done: training uses done images only (Label > Mark Done)."
        return ""

    # ------------------------------------------------------------------ start
    def start(self, export: bool = True) -> None:
        """Train (``export``: and export model.onnx at the end). Detect and pose export the split on a
        worker thread first, the dialog busy meanwhile; then ``_launch`` starts the worker, tells
        ``on_started`` and accepts. Shows why not instead when it cannot go ahead."""
        if self.exporting:
            return
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            return
        self.error.clear()
        run = self.run_path()
        if self.task_name() == "denoise":
            self._launch(run, self.clean.path(), export)
            return
        self._set_busy(True)
        self.split_export = SplitExport(self.project_path, run, self.val_fraction.value(), self)
        self.split_export.done.connect(lambda data: self._split_ended(run, Path(data), export))
        self.split_export.failed.connect(lambda message: self._split_ended(run, None, export, message))
        self.split_export.start()

    def _split_ended(self, run: Path, data: Path | None, export: bool, message: str = "") -> None:
        """The thread's answer: launch the worker, or show why not."""
        self.split_export.wait()  # it has said its last word: only its return is left
        self._set_busy(False)
        if data is None:
            self.error.setText(message)
        else:
            self._launch(run, data, export)

    def _launch(self, run: Path, data: Path | None, export: bool) -> None:
        from studio.jobs.train_command import train_argv

        options = {"data": str(data), "project": str(self.root), "name": run.name, **self.options(),
                   "no_export": not export, "quiet": True}  # quiet: no progress bar in worker.log
        assert self.launcher is not None, "TrainDialog.start without a launcher"
        try:
            self.launcher.start(train_argv(self.task_name(), options), run)
        except (RuntimeError, OSError) as exc:  # app.jobs.launcher.JobLaunchError: the program cannot run
            self.error.setText(f"Could not start the training worker: {exc}")
            return
        self.started_run = run
        if self.on_started is not None:
            self.on_started(run)
        self.accept()

    def _set_busy(self, busy: bool) -> None:
        """While the split exports: the fields and buttons are off and the bar moves."""
        for widget in self.findChildren(QWidget):
            if widget.parent() is self and widget not in (self.busy, self.error):
                widget.setEnabled(not busy)
        self.busy_text.setText(f"Exporting the training data into the run ({self.name.text()}/dataset)…")
        self.busy_text.setToolTip(str(self.run_path() / "dataset"))
        self.busy.setVisible(busy)
        self.exporting = busy
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()

    def reject(self) -> None:
        """Not while the split exports (Esc and Cancel wait for it; it is quick next to training)."""
        if not self.exporting:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.exporting:
            event.ignore()
            return
        super().closeEvent(event)


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
