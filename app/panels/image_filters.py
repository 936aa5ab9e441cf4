"""The filter bar of the images dock: file-name search, split, status, "contains class X", "with
problems", list/grid.

``ImageFilter`` is what the store's ``Project.page`` / ``count_images`` take (``problems`` becomes their
``image_ids`` in the images model); ``FilterBar.changed`` fires with it after a combo or the check box
changes, or 200 ms after the last keystroke in the search box.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QLineEdit, QToolButton, QWidget

from studio.annotations import SPLITS, STATUSES, Category

SEARCH_DELAY_MS = 200


@dataclass(frozen=True)
class ImageFilter:
    """None / '' means "any". search: a case-insensitive substring of the file name. problems: only
    images the latest problem check names (the images model adds their ids to ``query()``)."""

    split: str | None = None
    status: str | None = None
    search: str | None = None
    category_id: int | None = None
    problems: bool = False

    def query(self) -> dict:
        """Keyword arguments for Project.page / count_images (all but the problem ids)."""
        return {"split": self.split, "status": self.status, "search": self.search or None,
                "category_id": self.category_id}


class FilterBar(QWidget):
    """Signals: ``changed(ImageFilter)``, ``grid_toggled(bool)``."""

    changed = Signal(object)
    grid_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search file names")
        self.search_box.setClearButtonEnabled(True)
        self.split_box = _combo("All splits", [(s, s) for s in SPLITS])
        self.status_box = _combo("All statuses", [(s.replace("_", " "), s) for s in STATUSES])
        self.class_box = _combo("All classes", [])
        self.class_box.setToolTip("Only images holding at least one object of this class")
        self.problems_box = QCheckBox("With problems")
        self.problems_box.setToolTip("Only images with at least one problem of the latest check "
                                     "(Problems dock; checked now when none ran yet)")
        self.grid_button = QToolButton()
        self.grid_button.setText("Grid")
        self.grid_button.setCheckable(True)
        self.grid_button.setToolTip("Show thumbnails in a grid")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._layout()
        self._timer.timeout.connect(self._emit)
        self.search_box.textChanged.connect(self._timer.start)
        self.search_box.returnPressed.connect(self._emit)
        for box in (self.split_box, self.status_box, self.class_box):
            box.currentIndexChanged.connect(self._emit)
        self.problems_box.toggled.connect(self._emit)
        self.grid_button.toggled.connect(self.grid_toggled)

    def _layout(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        grid.addWidget(self.search_box, 0, 0, 1, 2)
        grid.addWidget(self.grid_button, 0, 2)
        grid.addWidget(self.split_box, 1, 0)
        grid.addWidget(self.status_box, 1, 1, 1, 2)
        grid.addWidget(self.class_box, 2, 0)
        grid.addWidget(self.problems_box, 2, 1, 1, 2)

    def current(self) -> ImageFilter:
        text = self.search_box.text().strip()
        return ImageFilter(self.split_box.currentData(), self.status_box.currentData(), text or None,
                           self.class_box.currentData(), self.problems_box.isChecked())

    def set_categories(self, categories: list[Category]) -> None:
        """Refill the class combo, keeping the chosen class when it still exists."""
        chosen = self.class_box.currentData()
        self.class_box.blockSignals(True)
        self.class_box.clear()
        self.class_box.addItem("All classes", None)
        for cat in categories:
            self.class_box.addItem(f"contains {cat.name}", cat.id)
        index = self.class_box.findData(chosen) if chosen is not None else 0
        self.class_box.setCurrentIndex(max(index, 0))
        self.class_box.blockSignals(False)
        if chosen is not None and index < 0:
            self._emit()

    def _emit(self) -> None:
        self._timer.stop()
        self.changed.emit(self.current())


def _combo(all_label: str, items: list[tuple[str, str]]) -> QComboBox:
    box = QComboBox()
    box.addItem(all_label, None)
    for text, value in items:
        box.addItem(text, value)
    return box
