"""The images dock: the project's images page by page, filterable by split and status.

The model asks ``Project.page(offset, PAGE_SIZE, split=, status=)`` only when the view scrolls near
the end of what it holds (Qt's canFetchMore / fetchMore), so a 100k-image project opens at once.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListView,
    QVBoxLayout,
    QWidget,
)

from app.panels.image_delegate import ImageRowDelegate
from app.session import NO_IMAGE, Session
from studio.annotations import SPLITS, STATUSES
from studio.store.rows import ImageRow

PAGE_SIZE = 200
ImageRowRole = Qt.ItemDataRole.UserRole + 1  # data(): the ImageRow
ImageIdRole = Qt.ItemDataRole.UserRole + 2  # data(): its id
AnyIndex = QModelIndex | QPersistentModelIndex


class ImageListModel(QAbstractListModel):
    """Rows are ImageRows of ``session.project`` in the store's order, under the current filter."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.split: str | None = None
        self.status: str | None = None
        self._rows: list[ImageRow] = []
        self._total = 0
        session.project_changed.connect(self.reload)

    def set_filter(self, split: str | None, status: str | None) -> None:
        self.split, self.status = split, status
        self.reload()

    def reload(self) -> None:
        """Forget the loaded rows and count again (the first page comes with fetchMore)."""
        self.beginResetModel()
        self._rows = []
        project = self.session.project
        self._total = project.count_images(split=self.split, status=self.status) if project else 0
        self.endResetModel()

    @property
    def total(self) -> int:
        """Images under the current filter, loaded or not."""
        return self._total

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        project = self.session.project
        if parent.isValid() or project is None:
            return
        page = project.page(len(self._rows), PAGE_SIZE, split=self.split, status=self.status)
        if not page:  # the store holds fewer than counted (changed meanwhile): stop asking
            self._total = len(self._rows)
            return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.file_name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.file_name}\n{row.path}\n{row.width} x {row.height}, {row.split}, {row.status}"
        if role == ImageRowRole:
            return row
        if role == ImageIdRole:
            return row.id
        return None

    def row_of(self, image_id: int) -> int | None:
        """The row showing ``image_id`` among the loaded rows, or None."""
        return next((i for i, r in enumerate(self._rows) if r.id == image_id), None)

    def ensure_loaded(self, row: int) -> bool:
        """Fetch pages until ``row`` is loaded; False when the filter holds fewer rows."""
        while row >= len(self._rows) and self.canFetchMore():
            self.fetchMore()
        return 0 <= row < len(self._rows)


class ImageListPanel(QDockWidget):
    """The dock: split / status filters, a count, and the list. Selecting a row selects the image."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("Images", parent)
        self.setObjectName("images_dock")
        self.session = session
        self.model = ImageListModel(session, self)
        self.split_box = _filter_box("All splits", SPLITS)
        self.status_box = _filter_box("All statuses", STATUSES)
        self.count_label = QLabel()
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(ImageRowDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setUniformItemSizes(True)
        self.setWidget(self._layout())
        self.split_box.currentIndexChanged.connect(self._filter_changed)
        self.status_box.currentIndexChanged.connect(self._filter_changed)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.model.modelReset.connect(self._after_reset)
        session.image_selected.connect(self._follow_session)

    def _layout(self) -> QWidget:
        filters = QHBoxLayout()
        filters.addWidget(self.split_box)
        filters.addWidget(self.status_box)
        box = QVBoxLayout()
        box.setContentsMargins(4, 4, 4, 4)
        box.addLayout(filters)
        box.addWidget(self.count_label)
        box.addWidget(self.view)
        widget = QWidget()
        widget.setLayout(box)
        return widget

    def _filter_changed(self) -> None:
        self.model.set_filter(self.split_box.currentData(), self.status_box.currentData())

    def _after_reset(self) -> None:
        total = self.model.total
        self.count_label.setText(f"{total} image{'s' if total != 1 else ''}")
        if self.model.ensure_loaded(0):
            self.select_row(0)
        else:
            self.session.select_image(NO_IMAGE)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.session.select_image(int(current.data(ImageIdRole)))

    def _follow_session(self, image_id: int) -> None:
        row = self.model.row_of(image_id) if image_id != NO_IMAGE else None
        if row is not None and row != self.view.currentIndex().row():
            self.select_row(row)

    def select_row(self, row: int) -> bool:
        """Make ``row`` current (loading pages as needed) and scroll to it; False when out of range."""
        if not self.model.ensure_loaded(row):
            return False
        index = self.model.index(row)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        return True

    def step(self, delta: int) -> bool:
        """Move the selection ``delta`` rows (D / A keys); False at either end."""
        current = self.view.currentIndex().row()
        target = 0 if current < 0 else current + delta
        return target >= 0 and self.select_row(target)


def _filter_box(all_label: str, values: tuple[str, ...]) -> QComboBox:
    box = QComboBox()
    box.addItem(all_label, None)
    for value in values:
        box.addItem(value.replace("_", " "), value)
    return box
