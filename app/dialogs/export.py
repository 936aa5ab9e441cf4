"""File > Export… (Ctrl+E): choose YOLO or COCO and where to write, then export and report.

"Back into the source dataset" writes into the folder the project was imported from (see
``Project.source``); every file the export replaces is first copied to a dated backup folder there
(``studio.io.export_project``). A project that does not know its source can still be exported into
any folder chosen as a "new folder": an existing folder gets the same backup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.opener import tell
from app.session import Session
from studio.errors import StudioError
from studio.io.export_project import dataset_folder, export_format, export_project

FORMATS = (("yolo", "YOLO (data.yaml + labels/*.txt)"), ("coco", "COCO (annotations/*.json)"))
IMAGE_MODES = (("link", "Hard links (copies across drives)"), ("copy", "Copies"),
               ("none", "Labels only, no images"))


@dataclass(frozen=True)
class ExportChoice:
    """to: "yolo" | "coco"; out_dir: the folder written; images: "link" | "copy" | "none"."""

    to: str
    out_dir: Path
    images: str
    backup: bool


class ExportDialog(QDialog):
    """Format, destination (a new folder, or the source dataset when known), images, backup."""

    def __init__(self, parent: QWidget | None, source: Path | None, source_format: str,
                 start_dir: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.source = source
        self.format = QComboBox(self)
        for key, text in FORMATS:
            self.format.addItem(text, key)
        self.format.setCurrentIndex(0 if source_format in ("", "yolo") else 1)
        self.to_new = QRadioButton("A new folder:", self)
        self.to_source = QRadioButton("Back into the source dataset:", self)
        group = QButtonGroup(self)
        group.addButton(self.to_new)
        group.addButton(self.to_source)
        self.folder = QLineEdit(str(start_dir / "export"), self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.source_label = QLabel(str(source) if source else "unknown (the project was not imported "
                                   "from a dataset): choose its folder above", self)
        self.source_label.setWordWrap(True)
        self.to_source.setEnabled(source is not None)
        (self.to_source if source is not None else self.to_new).setChecked(True)
        self.images = QComboBox(self)
        for key, text in IMAGE_MODES:
            self.images.addItem(text, key)
        self.backup = QCheckBox("First copy every file it replaces to backup-<date>-<time>/", self)
        self.backup.setChecked(True)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #c0392b")
        self._layout(browse)

    def _layout(self, browse: QPushButton) -> None:
        new_row = QHBoxLayout()
        new_row.addWidget(self.folder, 1)
        new_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Format:", self.format)
        form.addRow(self.to_new, new_row)
        form.addRow(self.to_source, self.source_label)
        form.addRow("Images:", self.images)
        form.addRow("", self.backup)
        ok, cancel = QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok | cancel, self)
        buttons.button(ok).setText("Export")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        note = QLabel("Images are never deleted; labels the export replaces are kept in the backup.", self)
        note.setStyleSheet("color: palette(mid)")
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(620, self.sizeHint().height())

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export into folder", self.folder.text())
        if path:
            self.folder.setText(path)
            self.to_new.setChecked(True)

    def choice(self) -> ExportChoice | None:
        """What the dialog says now; None when no folder is given."""
        if self.to_source.isChecked() and self.source is not None:
            out_dir = self.source
        elif self.folder.text().strip():
            out_dir = Path(self.folder.text().strip()).expanduser()
        else:
            return None
        return ExportChoice(self.format.currentData(), out_dir, self.images.currentData(),
                            self.backup.isChecked())

    def _accept(self) -> None:
        if self.choice() is None:
            self.error.setText("Choose a folder to export into.")
            return
        self.accept()


def run_dialog(dialog: QDialog) -> bool:
    """Show ``dialog`` modally; True when accepted. (Tests replace this function.)"""
    return dialog.exec() == QDialog.DialogCode.Accepted


def export_dialog(parent: QWidget | None, session: Session) -> ExportChoice | None:
    """Ask where and how to export the open project."""
    project = session.project
    assert project is not None
    found = project.source
    source = dataset_folder(*found) if found is not None else None
    fmt = export_format(found[1]) if found is not None else ""
    dialog = ExportDialog(parent, source, fmt, Path(project.path).parent)
    return dialog.choice() if run_dialog(dialog) else None


def run_export(parent: QWidget | None, session: Session) -> None:
    """File > Export…: the dialog, the export (wait cursor), then its report in a message box."""
    if session.project is None:
        tell(parent, "Nothing to export", "Open a project first (File > Open).")
        return
    choice = export_dialog(parent, session)
    if choice is None:
        return
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        report = export_project(session.project, choice.out_dir, choice.to, backup=choice.backup,
                                images=choice.images)
    except (StudioError, OSError, ValueError) as exc:
        tell(parent, "Export failed", f"Could not export to {choice.out_dir}:\n{exc}")
        return
    finally:
        QGuiApplication.restoreOverrideCursor()
    name = "YOLO" if choice.to == "yolo" else "COCO"
    tell(parent, "Export finished", f"Exported as {name} to {choice.out_dir}\n\n{report.summary()}",
         error=False)
