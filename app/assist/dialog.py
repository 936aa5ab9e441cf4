"""The pre-label dialog: which model (a run folder, a .pt checkpoint or a Tern .onnx export) and the
confidence a detection needs to be suggested. It only resolves the path (cheap); the model is opened in
the background once the user presses Pre-label."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.errors import StudioError
from studio.inference.assist import DEFAULT_CONF, resolve_weights

WEIGHTS_FILTER = "Tern weights (*.pt *.onnx);;All files (*)"


class PrelabelDialog(QDialog):
    """``weights()`` (the resolved file) and ``conf()`` once accepted; ``what`` says which images, e.g.
    'the current image' or '12 unlabeled images'."""

    def __init__(self, parent: QWidget | None, what: str, model: Path | None = None,
                 conf: float = DEFAULT_CONF, browse_from: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pre-label with a Model")
        self.browse_from = browse_from
        self.path_edit = QLineEdit(str(model) if model is not None else "", self)
        self.path_edit.setPlaceholderText("a run folder, a .pt checkpoint or a .onnx export")
        self.path_edit.setMinimumWidth(420)
        run_button, file_button = QPushButton("Run Folder…", self), QPushButton("File…", self)
        run_button.clicked.connect(self._pick_run)
        file_button.clicked.connect(self._pick_file)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(run_button)
        row.addWidget(file_button)
        self.conf_spin = QDoubleSpinBox(self)
        self.conf_spin.setRange(0.001, 0.99)
        self.conf_spin.setDecimals(3)
        self.conf_spin.setSingleStep(0.05)
        self.conf_spin.setValue(conf)
        self.conf_spin.setToolTip("Detections scoring below this are not suggested")
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Model:", row)
        form.addRow("Confidence ≥", self.conf_spin)
        self.intro = QLabel(f"Run a detector or pose model on {what}. Its detections appear on the canvas "
                            "as dashed suggestions: Enter accepts one, Esc rejects it (Shift: all of the "
                            "image's). Nothing is stored until you accept.", self)
        self.intro.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = self.buttons.addButton("Pre-label", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.path_edit.textChanged.connect(self._check)
        self._check()

    def weights(self) -> Path | None:
        """The weights file the typed path means, or None when it means none."""
        text = self.path_edit.text().strip()
        if not text:
            return None
        try:
            return resolve_weights(Path(text).expanduser())
        except StudioError:
            return None

    def conf(self) -> float:
        return float(self.conf_spin.value())

    def _check(self) -> None:
        """Say which file will be used, or why the path cannot be; Pre-label only for a usable one."""
        text = self.path_edit.text().strip()
        weights = self.weights()
        self.ok.setEnabled(weights is not None)
        if not text:
            self.status.setText("Pick a finished detect or pose run (its weights/best.pt, else model.onnx), "
                                "or a weights file.")
        elif weights is None:
            try:
                resolve_weights(Path(text).expanduser())
            except StudioError as exc:
                self.status.setText(f"<span style='color:#d04040'>{html.escape(str(exc))}</span>")
        else:
            self.status.setText(f"Uses {weights}")

    def _pick_run(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Run folder", str(self.browse_from or ""))
        if folder:
            self.path_edit.setText(folder)

    def _pick_file(self) -> None:
        start = str(self.browse_from or "")
        path, _ = QFileDialog.getOpenFileName(self, "Weights file", start, WEIGHTS_FILTER)
        if path:
            self.path_edit.setText(path)
