"""What the Results dock shows for a run without a review file (a denoise run, a run still training, one
made before review files existed): why, and the run's ``plots/*.png`` to look at, one at a time."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QSplitter, QVBoxLayout, QWidget


def run_plots(run: Path | None) -> list[Path]:
    """The run's plots/*.png, by name."""
    if run is None or not (run / "plots").is_dir():
        return []
    return sorted((run / "plots").glob("*.png"))


class ScaledImage(QLabel):
    """A picture scaled to fit the label, keeping its aspect ratio, rescaled on resize."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(120, 90)
        self.picture = QPixmap()

    def set_picture(self, picture: QPixmap) -> None:
        self.picture = picture
        self._rescale()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self.picture.isNull():
            self.clear()
            return
        self.setPixmap(self.picture.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))


class PlotImages(QWidget):
    """``message`` (why there is no review) above a list of plot files and the selected one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.files = QListWidget()
        self.files.currentItemChanged.connect(self._show)
        self.image = ScaledImage()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.files)
        split.addWidget(self.image)
        split.setStretchFactor(1, 1)
        split.setSizes([180, 600])
        self.split = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)

    def show_plots(self, message: str, plots: list[Path]) -> None:
        self.message.setText(message)
        self.files.clear()
        for path in plots:
            item = QListWidgetItem(path.stem.replace("_", " "))
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.files.addItem(item)
        self.split.setVisible(bool(plots))
        if plots:
            self.files.setCurrentRow(0)
        else:
            self.image.set_picture(QPixmap())

    def _show(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        path = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self.image.set_picture(QPixmap(path) if path else QPixmap())
