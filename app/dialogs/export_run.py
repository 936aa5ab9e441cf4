"""Jobs > Export…: a finished run's weights to ONNX, with the parity check shown.

The dialog runs ``tern export`` (``studio.jobs.train_command.worker_argv() + ["export", ...]``) in a
QProcess, never in the GUI thread, and shows its output as it arrives. At the end the ``parity: ...`` line
is shown large, green when the ONNX model matches torch, red for a mismatch or with the error text when the
export failed. Cancel kills the process. Options: the weights (best.pt / last.pt), FP16 (a CUDA GPU only),
dynamic batch (one-stage detectors only), the output file (default ``<run>/model.onnx``; an existing file
is replaced only after asking).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QProcess, QProcessEnvironment, Qt, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.opener import ask
from studio.jobs.run_monitor import RunState
from studio.jobs.train_command import worker_argv

EXPORTABLE_TASKS = ("detect", "pose", "denoise")
WEIGHTS = ("best.pt", "last.pt")
DEFAULT_OUT = "model.onnx"
OK_COLOR, BAD_COLOR = "#2e9e44", "#d93b3b"
NO_CUDA = "needs a CUDA GPU; none was found"


def run_weights(run: Path) -> list[Path]:
    """The run's weights files that exist, best.pt first."""
    return [run / "weights" / name for name in WEIGHTS if (run / "weights" / name).is_file()]


def export_problem(run: Path, task: str, status: str) -> str:
    """Why the run cannot be exported now ('' when it can): a finished detect, pose or denoise run with
    weights. ``status`` is what the jobs panel shows."""
    if task not in EXPORTABLE_TASKS:
        return f"{task} runs have no model to export"
    if status != "finished":
        return f"the run is {status}: only a finished run is exported"
    if not run_weights(run):
        return f"{run / 'weights'} has neither best.pt nor last.pt"
    return ""


@dataclass(frozen=True)
class ExportRequest:
    """One ``tern export`` command."""

    weights: Path
    out: Path
    half: bool = False
    dynamic_batch: bool = False
    int8: bool = False

    def argv(self) -> list[str]:
        argv = [*worker_argv(), "export", "--weights", str(self.weights), "--out", str(self.out)]
        flags = ["--half"] * self.half + ["--dynamic-batch"] * self.dynamic_batch + ["--int8"] * self.int8
        return argv + flags


@dataclass(frozen=True)
class ExportOutcome:
    """ok: exported and the parity check passed; parity: the ``parity: ...`` line ('' when none);
    error: why the export failed or was cancelled ('' when it did not); int8: the ``int8 vs float32 ...``
    comparison of an int8 export ('' when none)."""

    ok: bool
    parity: str
    error: str
    int8: str = ""

    def headline(self) -> str:
        if self.error:
            return f"Export failed: {self.error}"
        return "\n".join(line for line in (self.parity, self.int8) if line)


def read_outcome(output: str, code: int, cancelled: bool = False) -> ExportOutcome:
    """What the output of ``tern export`` and its exit code say."""
    lines = [line.strip() for line in output.replace("\r", "\n").splitlines() if line.strip()]
    parity = next((line for line in reversed(lines) if line.startswith("parity:")), "")
    if cancelled:
        return ExportOutcome(False, parity, "cancelled")
    if code != 0:
        said = [line.removeprefix("tern: ") for line in lines if line.startswith("tern: ")]
        error = said[-1] if said else (lines[-1] if lines else "no output")
        return ExportOutcome(False, parity, f"{error} (exit code {code})")
    if not parity:
        return ExportOutcome(False, "", "the export printed no parity line")
    int8 = next((line.split("; `tern val")[0] for line in lines
                 if line.startswith(("int8 vs float32", "int8 accuracy not compared"))), "")
    return ExportOutcome(parity.startswith("parity: ok"), parity, "", int8)


def cuda_available() -> bool:
    """A CUDA GPU for FP16 (loads torch the first time)."""
    from app.dialogs.train_defaults import devices

    return any(value not in ("auto", "cpu") for value, _ in devices())


class ExportRunDialog(QDialog):
    """Export the run ``state.run``. ``exported(outcome)`` when an export ended (ok or not)."""

    exported = Signal(object)  # ExportOutcome

    def __init__(self, state: RunState, parent: QWidget | None = None, *, cuda: bool | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.run = Path(state.run)
        self.setWindowTitle(f"Export {state.task}/{state.name}")
        self.outcome: ExportOutcome | None = None
        self._output = ""
        self._cancelled = False
        self.process: QProcess | None = None
        self._make_widgets(cuda_available() if cuda is None else cuda)
        self._layout()

    # ------------------------------------------------------------------ widgets
    def _make_widgets(self, cuda: bool) -> None:
        self.weights = QComboBox(self)
        for path in run_weights(self.run):
            self.weights.addItem(path.name, str(path))
        arch = str(self.state.config.get("arch", ""))
        self.half = QCheckBox("FP16 (half precision)", self)
        self.half_reason = NO_CUDA if not cuda else (
            "faster_rcnn exports float32 only" if arch == "faster_rcnn" else "")
        self.half_note = self._option_note(self.half, self.half_reason)
        self.dynamic = QCheckBox("Dynamic batch (any batch size at run time)", self)
        self.dynamic_reason = ("a denoiser's model takes any batch and size" if self.state.task == "denoise"
                               else "faster_rcnn exports batch 1" if arch == "faster_rcnn" else "")
        self.dynamic_note = self._option_note(self.dynamic, self.dynamic_reason)
        self.int8 = QCheckBox("Int8 for CPUs (also writes NAME.int8.onnx, its mAP compared on val)", self)
        self.int8_reason = ("denoisers export float32 or FP16" if self.state.task == "denoise"
                            else "faster_rcnn exports float32 only" if arch == "faster_rcnn" else "")
        self.int8_note = self._option_note(self.int8, self.int8_reason)
        self.half.toggled.connect(lambda on: on and self.int8.setChecked(False))
        self.int8.toggled.connect(lambda on: on and self.half.setChecked(False))
        self.out = QLineEdit(str(self.run / DEFAULT_OUT), self)
        self.browse = QPushButton("Browse…", self)
        self.browse.clicked.connect(self._browse)
        self.parity = QLabel(self)
        self.parity.setWordWrap(True)
        self.parity.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.parity.setVisible(False)
        self.log = QPlainTextEdit(self, readOnly=True)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setPlaceholderText("The output of tern export appears here")
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

    def _option_note(self, box: QCheckBox, reason: str) -> QLabel:
        """A grey note beside an option that does not apply, saying why."""
        box.setEnabled(not reason)
        box.setToolTip(reason)
        note = QLabel(f"<small>({reason})</small>" if reason else "", self)
        note.setStyleSheet("color: #808080")
        return note

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Weights:", self.weights)
        form.addRow("Options:", _row(self.half, self.half_note))
        form.addRow("", _row(self.dynamic, self.dynamic_note))
        form.addRow("", _row(self.int8, self.int8_note))
        form.addRow("Output:", _row(self.out, self.browse, stretch_first=True))
        buttons = QDialogButtonBox(self)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        self.open_button = buttons.addButton("Open folder", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.setEnabled(False)
        self.close_button = buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.export_button.clicked.connect(self.start)
        self.open_button.clicked.connect(self.open_folder)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        title = QLabel(f"<b>{self.state.task}/{self.state.name}</b> &nbsp; <small>{self.run}</small>", self)
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.parity)
        layout.addWidget(self.log, 1)
        layout.addWidget(buttons)
        self.setMinimumSize(720, 440)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.out.text(), "ONNX models (*.onnx)",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.out.setText(path if path.endswith(".onnx") else f"{path}.onnx")

    # ------------------------------------------------------------------ running
    def request(self) -> ExportRequest:
        return ExportRequest(Path(self.weights.currentData()), Path(self.out.text().strip()).expanduser(),
                             not self.half_reason and self.half.isChecked(),
                             not self.dynamic_reason and self.dynamic.isChecked(),
                             not self.int8_reason and self.int8.isChecked())

    def running(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning

    def start(self) -> bool:
        """Start ``tern export`` (after asking before replacing an existing file); False when not started."""
        if self.running() or self.weights.currentData() is None or not self.out.text().strip():
            return False
        request = self.request()
        if request.out.exists() and not ask(self, "Replace the file?",
                                            f"{request.out} exists already. Replace it?"):
            return False
        argv = request.argv()
        self._output, self._cancelled, self.outcome = "", False, None
        self.log.setPlainText(f"$ tern {' '.join(argv[len(worker_argv()):])}\n")
        self.parity.setVisible(False)
        self._set_running(True)
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        self.process.setProcessEnvironment(env)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)
        self.process.start(argv[0], argv[1:])
        return True

    def cancel(self) -> None:
        """Kill a running export (its finish is reported as cancelled)."""
        if self.running():
            self._cancelled = True
            self.process.kill()

    def _read(self) -> None:
        text = bytes(self.process.readAllStandardOutput().data()).decode("utf-8", errors="replace")
        self._output += text
        self.log.moveCursor(self.log.textCursor().MoveOperation.End)
        self.log.insertPlainText(text)
        self.log.ensureCursorVisible()

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read()
        normal = status == QProcess.ExitStatus.NormalExit
        self._show(read_outcome(self._output, code if normal else -1, self._cancelled))

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:  # no finished signal follows
            self._show(ExportOutcome(False, "", f"could not start {self.process.program()}: "
                                                f"{self.process.errorString()}"))

    def _show(self, outcome: ExportOutcome) -> None:
        self.outcome = outcome
        self._set_running(False)
        color = OK_COLOR if outcome.ok else BAD_COLOR
        self.parity.setStyleSheet(f"color: {color}; font-size: 12pt; font-weight: bold; "
                                  f"border: 2px solid {color}; border-radius: 4px; padding: 6px")
        self.parity.setText(outcome.headline())
        self.parity.setVisible(True)
        self.open_button.setEnabled(self.request().out.is_file())
        self.exported.emit(outcome)

    def _set_running(self, running: bool) -> None:
        for widget in (self.weights, self.out, self.browse, self.export_button):
            widget.setEnabled(not running)
        self.half.setEnabled(not running and not self.half_reason)
        self.dynamic.setEnabled(not running and not self.dynamic_reason)
        self.int8.setEnabled(not running and not self.int8_reason)
        self.close_button.setText("Cancel" if running else "Close")
        self.close_button.setToolTip("Stop the export" if running else "")

    def open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.request().out.parent)))

    # ------------------------------------------------------------------ closing
    def reject(self) -> None:
        """Cancel while exporting (the dialog stays to show it); close otherwise."""
        if self.running():
            self.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running():  # never leave an orphan process behind a closed window
            self._cancelled = True
            self.process.kill()
            self.process.waitForFinished(5000)
        super().closeEvent(event)


def _row(*widgets: QWidget, stretch_first: bool = False) -> QWidget:
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    for i, widget in enumerate(widgets):
        row.addWidget(widget, 1 if stretch_first and i == 0 else 0)
    if not stretch_first:
        row.addStretch(1)
    return holder
