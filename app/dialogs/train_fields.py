"""Small form widgets of the training dialog: combo boxes of (data, text) items, spin boxes, a folder
field, a busy row."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QWidget,
)


def make_combo(parent: QWidget, items: list[tuple[str, str]] | tuple[str, ...]) -> QComboBox:
    combo = QComboBox(parent)
    fill_combo(combo, items)
    return combo


def fill_combo(combo: QComboBox, items: list[tuple[str, str]] | tuple[str, ...], current: str = "") -> None:
    """Replace the items (plain names or (data, text) pairs); keep ``current`` selected when present."""
    combo.blockSignals(True)
    combo.clear()
    for item in items:
        data, text = item if isinstance(item, tuple) else (item, item)
        combo.addItem(text, data)
    index = combo.findData(current)
    combo.setCurrentIndex(max(index, 0))
    combo.blockSignals(False)


def make_spin(parent: QWidget, low: int, high: int, step: int = 1) -> QSpinBox:
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


def busy_row(parent: QWidget) -> tuple[QWidget, QLabel]:
    """A hidden row: a text and a moving bar (no measure of how far); the row and its label."""
    row = QWidget(parent)
    text = QLabel(row)
    text.setWordWrap(True)
    bar = QProgressBar(row)
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.setMaximumWidth(160)
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(text, 1)
    layout.addWidget(bar)
    row.setVisible(False)
    return row, text
