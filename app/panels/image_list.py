"""The images dock: the project's images page by page, as a list or a grid of thumbnails, filtered by
file-name search, split, status, "contains class X" and "with problems"; missing images marked and
relinkable. "With problems" lists the images of the session's latest problem check
(``Session.latest_problem_image_ids``, which checks once when none ran) and follows each new check.

The model asks ``Project.page(offset, PAGE_SIZE, **filter)`` only when the view scrolls near the end
of what it holds (Qt's canFetchMore / fetchMore), so a 100k-image project opens at once. Thumbnails
come from ``ThumbnailStore`` (a background pool; the row repaints when its thumbnail is ready).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QFileDialog,
    QLabel,
    QListView,
    QVBoxLayout,
    QWidget,
)

from app.opener import tell
from app.panels.image_delegate import ImageRowDelegate
from app.panels.image_filters import FilterBar, ImageFilter
from app.session import NO_IMAGE, Session
from app.thumbnails import ThumbnailStore
from studio.store.rows import ImageRow

PAGE_SIZE = 200
ImageRowRole = Qt.ItemDataRole.UserRole + 1  # data(): the ImageRow
ImageIdRole = Qt.ItemDataRole.UserRole + 2  # data(): its id
AnyIndex = QModelIndex | QPersistentModelIndex


class ImageListModel(QAbstractListModel):
    """Rows are ImageRows of ``session.project`` in the store's order, under ``filter``.

    Edits keep the view in place: ``images_changed`` re-reads the loaded rows (a reset only when the
    filter's membership changed), ``annotations_changed(id)`` re-reads that one row."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.filter = ImageFilter()
        self._rows: list[ImageRow] = []
        self._by_path: dict[str, int] = {}  # str(path) -> row
        self._by_id: dict[int, int] = {}  # image id -> row
        self._total = 0
        self.refreshing = False  # True during a reset caused by an edit (not by a filter or project)
        self._asking = False  # True while the session checks problems for _query
        session.project_changed.connect(self.reload)
        session.images_changed.connect(self.refresh)
        session.annotations_changed.connect(self.refresh_image)
        session.problems_changed.connect(self._problems_changed)

    def set_filter(self, image_filter: ImageFilter) -> None:
        self.filter = image_filter
        self.reload()

    def reload(self) -> None:
        """Forget the loaded rows and count again (the first page comes with fetchMore)."""
        project = self.session.project
        self._reset([], project.count_images(**self._query()) if project else 0)

    def refresh(self) -> None:
        """Re-read the loaded rows after an edit of image rows (status, split, paths)."""
        project = self.session.project
        if project is None:
            return self.reload()
        query = self._query()
        total = project.count_images(**query)
        rows = project.page(0, len(self._rows), **query) if self._rows else []
        grew = len(self._rows) == self._total < total  # all were loaded; the view must ask for more
        if grew or [r.id for r in rows] != [r.id for r in self._rows]:
            self.refreshing = True
            try:
                self._reset(rows, total)
            finally:
                self.refreshing = False
            return None
        self._rows, self._total = rows, total
        self._index_paths()
        if rows:
            self.dataChanged.emit(self.index(0), self.index(len(rows) - 1))
        return None

    def _query(self) -> dict:
        """Keyword arguments for Project.page / count_images: the filter's, and with "with problems"
        the image ids of the session's latest problem check (checked now when none ran)."""
        query = self.filter.query()
        if self.filter.problems:
            self._asking = True
            try:
                query["image_ids"] = self.session.latest_problem_image_ids()
            finally:
                self._asking = False
        return query

    def _problems_changed(self) -> None:
        """A new problem check: re-read the rows when they follow it (not for the check _query asked)."""
        if self.filter.problems and not self._asking:
            self.refresh()

    def refresh_image(self, image_id: int) -> None:
        """Re-read one row (its object count changed)."""
        row = self.row_of(image_id)
        if row is not None and self.session.project is not None:
            self._rows[row] = self.session.project.image(image_id)
            self.dataChanged.emit(self.index(row), self.index(row))

    def _reset(self, rows: list[ImageRow], total: int) -> None:
        self.beginResetModel()
        self._rows, self._total = rows, total
        self._index_paths()
        self.endResetModel()

    def _index_paths(self) -> None:
        self._by_path = {str(r.path): i for i, r in enumerate(self._rows)}
        self._by_id = {r.id: i for i, r in enumerate(self._rows)}

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
        page = project.page(len(self._rows), PAGE_SIZE, **self._query())
        if not page:  # the store holds fewer than counted (changed meanwhile): stop asking
            self._total = len(self._rows)
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
        self._rows.extend(page)
        self._by_path.update((str(r.path), start + i) for i, r in enumerate(page))
        self._by_id.update((r.id, start + i) for i, r in enumerate(page))
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
        return self._by_id.get(image_id)

    def path_changed(self, path: str) -> None:
        """Repaint the row of ``path`` (its thumbnail or missing mark arrived)."""
        row = self._by_path.get(path)
        if row is not None:
            self.dataChanged.emit(self.index(row), self.index(row), [Qt.ItemDataRole.DecorationRole])

    def ensure_loaded(self, row: int) -> bool:
        """Fetch pages until ``row`` is loaded; False when the filter holds fewer rows."""
        while row >= len(self._rows) and self.canFetchMore():
            self.fetchMore()
        return 0 <= row < len(self._rows)


class ImageListPanel(QDockWidget):
    """The dock: filters, a count, and the list/grid. Selecting a row selects the image.
    ``handlers()`` gives ``relink_missing`` to the action table."""

    def __init__(self, session: Session, parent: QWidget | None = None,
                 thumbnails: ThumbnailStore | None = None) -> None:
        super().__init__("Images", parent)
        self.setObjectName("images_dock")
        self.session = session
        self.thumbnails = thumbnails or ThumbnailStore(parent=self)
        self.model = ImageListModel(session, self)
        self.filters = FilterBar()
        self.split_box, self.status_box = self.filters.split_box, self.filters.status_box
        self.class_box, self.search_box = self.filters.class_box, self.filters.search_box
        self.problems_box = self.filters.problems_box
        self.count_label = QLabel()
        self.view = QListView()
        self.view.setModel(self.model)
        self.delegate = ImageRowDelegate(self.thumbnails, self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setUniformItemSizes(True)
        self.view.viewport().installEventFilter(self)  # grid tiles follow the width
        self.setWidget(self._layout())
        self.filters.changed.connect(self.model.set_filter)
        self.filters.grid_toggled.connect(self.set_grid)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.model.modelReset.connect(self._after_reset)
        self.thumbnails.ready.connect(self.model.path_changed)
        self.thumbnails.missing.connect(self.model.path_changed)
        self.thumbnails.failed.connect(self.model.path_changed)
        session.image_selected.connect(self._follow_session)
        session.project_changed.connect(self._categories_changed)
        session.categories_changed.connect(self._categories_changed)

    def _layout(self) -> QWidget:
        box = QVBoxLayout()
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.filters)
        box.addWidget(self.count_label)
        box.addWidget(self.view)
        widget = QWidget()
        widget.setLayout(box)
        return widget

    def handlers(self) -> dict:
        return {"relink_missing": self.relink_missing}

    # ------------------------------------------------------------------ list / grid
    @property
    def grid(self) -> bool:
        return self.view.viewMode() == QListView.ViewMode.IconMode

    def set_grid(self, on: bool) -> None:
        """Thumbnail tiles that wrap (on), or one row per image (off)."""
        self.delegate.grid = on
        current = self.view.currentIndex()
        if on:
            self.view.setViewMode(QListView.ViewMode.IconMode)
            self.view.setMovement(QListView.Movement.Static)
            self.view.setResizeMode(QListView.ResizeMode.Adjust)
            self.view.setWrapping(True)
            self._fit_grid()
        else:
            self.view.setViewMode(QListView.ViewMode.ListMode)
            self.view.setWrapping(False)
            self.view.setGridSize(QSize())
        self.view.setUniformItemSizes(True)
        if self.filters.grid_button.isChecked() != on:
            self.filters.grid_button.setChecked(on)
        if current.isValid():
            self.view.scrollTo(current)

    def _fit_grid(self) -> None:
        width = self.view.viewport().width()
        if not self.grid or width <= 0:
            return
        cell = self.delegate.fit_tiles(width - 1, self.view.fontMetrics().height())
        if cell != self.view.gridSize():
            self.view.setGridSize(cell)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_grid()
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ selection
    def _categories_changed(self) -> None:
        self.filters.set_categories(self.session.categories())

    def _after_reset(self) -> None:
        total = self.model.total
        self.count_label.setText(f"{total} image{'s' if total != 1 else ''}")
        self.thumbnails.clear_queue()
        current = self.session.current_image_id
        row = self.model.row_of(current) if current != NO_IMAGE else None
        if row is not None:
            self.select_row(row)
        elif self.model.refreshing:
            return  # an edit took the shown image out of the filter: keep showing it
        elif self.model.ensure_loaded(0):
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

    def neighbour_paths(self, reach: int = 2) -> list[Path]:
        """Paths of the ``reach`` images after and before the current one (next first), to prefetch."""
        current = self.view.currentIndex().row()
        if current < 0:
            return []
        paths = []
        for offset in [d for k in range(1, reach + 1) for d in (k, -k)]:
            row = current + offset
            if row >= 0 and self.model.ensure_loaded(row):
                paths.append(self.model.data(self.model.index(row), ImageRowRole).path)
        return paths

    def previous_image_id(self, image_id: int) -> int | None:
        """The image shown above ``image_id`` in the list as filtered now ("Copy Boxes from
        Previous Image" copies from it); None for the first row or an image not in the list."""
        row = self.model.row_of(image_id)
        if row is None or row == 0:
            return None
        return int(self.model.data(self.model.index(row - 1), ImageIdRole))

    # ------------------------------------------------------------------ missing images
    def relink_missing(self) -> None:
        """Ask for a folder and point missing images at the files found under it (undoable)."""
        project = self.session.project
        if project is None or project.readonly:
            tell(self, "Relink Missing Images", "Open a project for writing to relink its images.")
            return
        folder = QFileDialog.getExistingDirectory(self, "Folder that holds the missing images",
                                                  str(Path(project.path).parent))
        if not folder:
            return
        before = len(project.missing_images())
        self.thumbnails.forget_problems()
        count = self.session.edit(lambda p: p.relink(Path(folder)), images=True)
        left = before - count
        tell(self, "Relink Missing Images",
             f"Relinked {count} of {before} missing image{'s' if before != 1 else ''}"
             + (f"; {left} still missing." if left else "."), error=False)
