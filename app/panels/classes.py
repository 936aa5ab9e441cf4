"""The classes dock: each category with its colour swatch (the canvas's colour) and object count; add,
rename, merge and recolour classes; the clicked class is the one new boxes get.

Edits go through ``session.edit(..., categories=True)`` (undoable); colours are a GUI preference kept
per project in ``Settings`` (``class_colors``) and handed to the canvas palette as overrides. The
dialogs are module functions (``ask_text``, ``ask_item``, ``ask_color``) so tests can replace them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.canvas import palette
from app.canvas.palette import class_color
from app.opener import tell
from app.session import Session
from app.settings import Settings
from app.widgets.tables import setup_row_table
from studio.annotations import Category
from studio.errors import ProjectError

SWATCH = 14  # px
COUNT_DELAY_MS = 150  # object counts refresh this long after the last edit (one query, not one per edit)


def swatch_icon(color: QColor) -> QIcon:
    pixmap = QPixmap(SWATCH, SWATCH)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(color)
    painter.setPen(color.darker(160))
    painter.drawRoundedRect(1, 1, SWATCH - 2, SWATCH - 2, 3, 3)
    painter.end()
    icon = QIcon(pixmap)
    icon.addPixmap(pixmap, QIcon.Mode.Selected)  # the true colour on a selected row, not a tint
    return icon


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    """A line of text from the user (stripped), or None when cancelled or empty."""
    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value.strip() or None if ok else None


def ask_item(parent: QWidget | None, title: str, label: str, items: list[str]) -> int | None:
    """The index of the item the user picked, or None when cancelled."""
    value, ok = QInputDialog.getItem(parent, title, label, items, 0, False)
    return items.index(value) if ok and value in items else None


def ask_color(parent: QWidget | None, title: str, initial: QColor) -> QColor | None:
    """A colour from the colour picker, or None when cancelled."""
    color = QColorDialog.getColor(initial, parent, title)
    return color if color.isValid() else None


class ClassTable(QTableWidget):
    """The rows; F2 renames the current class."""

    def __init__(self, on_rename: Callable[[], None]) -> None:
        super().__init__(0, 2)
        self._on_rename = on_rename

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_F2:
            self._on_rename()
            event.accept()
            return
        super().keyPressEvent(event)


class ClassesPanel(QDockWidget):
    """Rows in YOLO index order: swatch + name, object count; buttons to add, rename, merge and
    recolour; below, the keypoint names. The current row is ``session.current_category_id``."""

    def __init__(self, session: Session, parent: QWidget | None = None,
                 settings: Settings | None = None) -> None:
        super().__init__("Classes", parent)
        self.setObjectName("classes_dock")
        self.session = session
        self.settings = settings
        self._colors: dict[int, str] = {}  # category id -> '#rrggbb' when there are no settings
        self._applied: dict[int, str] = {}  # index -> colour last handed to the palette
        self.table = self._make_table()
        self.buttons = self._make_buttons()
        self.keypoints_label = QLabel()
        self.keypoints_label.setWordWrap(True)
        self.keypoints_label.setContentsMargins(4, 4, 4, 4)
        box = QVBoxLayout()
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addLayout(self.buttons)
        box.addWidget(self.table)
        box.addWidget(self.keypoints_label)
        box.addStretch(1)
        widget = QWidget()
        widget.setLayout(box)
        self.setWidget(widget)
        self._count_timer = QTimer(self, singleShot=True, interval=COUNT_DELAY_MS)
        self._count_timer.timeout.connect(self.refresh_counts)
        session.project_changed.connect(self._classes_changed)
        session.categories_changed.connect(self._classes_changed)
        session.annotations_changed.connect(lambda _id: self._count_timer.start())
        session.current_category_changed.connect(lambda _id: self._show_current())
        self._classes_changed()

    def _make_table(self) -> QTableWidget:
        table = ClassTable(self.rename_class)
        setup_row_table(table, ("Class", "Objects"), QAbstractItemView.SelectionMode.ExtendedSelection)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        table.currentCellChanged.connect(lambda row, *_: self._row_picked(row))
        table.cellClicked.connect(lambda row, _col: self._row_clicked(row))  # a user's click only
        table.cellDoubleClicked.connect(lambda row, column: self.rename_class())
        return table

    def _make_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setContentsMargins(2, 2, 2, 0)
        for name, text, tip, slot in (
            ("add", "+", "New class", self.add_class),
            ("rename", "Rename", "Rename the selected class (F2, or double-click it)", self.rename_class),
            ("merge", "Merge…", "Merge the selected class into another (its objects move there)",
             self.merge_classes),
            ("color", "Colour…", "Choose the selected class's colour", self.recolor_class),
        ):
            button = QToolButton()
            button.setObjectName(f"class_{name}_button")
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(lambda _checked=False, s=slot: s())
            row.addWidget(button)
        row.addStretch(1)
        return row

    def handlers(self) -> dict[str, Callable[[], object]]:
        """This panel's rows of ``app.actions.ACTIONS``."""
        return {"new_class": self.add_class, "rename_class": self.rename_class,
                "merge_classes": self.merge_classes, "recolor_class": self.recolor_class}

    # ------------------------------------------------------------------ showing
    def _classes_changed(self) -> None:
        """Classes or the project changed: colours to the palette first, then the rows."""
        self._apply_colors()
        self.refresh()

    def refresh(self) -> None:
        project = self.session.project
        categories = self.session.categories()
        counts = project.category_counts() if project is not None else {}
        self.table.blockSignals(True)
        self.table.setRowCount(len(categories))
        for i, cat in enumerate(categories):
            name = QTableWidgetItem(swatch_icon(class_color(i)), cat.name)
            name.setToolTip(f"id {cat.id}" + (f", {cat.supercategory}" if cat.supercategory else ""))
            count = QTableWidgetItem(str(counts.get(cat.id, 0)))
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(i, 0, name)
            self.table.setItem(i, 1, count)
        self.table.blockSignals(False)
        self._show_current()
        names = next((c.keypoints for c in categories if c.keypoints), ())
        self.keypoints_label.setText(
            "Keypoints: " + ", ".join(f"{k + 1} {n}" for k, n in enumerate(names)) if names else "")
        self.keypoints_label.setVisible(bool(names))
        self._fit_height()

    def refresh_counts(self) -> None:
        """Only the counts column (after edits of objects)."""
        counts = self.session.project.category_counts() if self.session.project is not None else {}
        for i, cat in enumerate(self.session.categories()):
            item = self.table.item(i, 1)
            if item is not None:
                item.setText(str(counts.get(cat.id, 0)))

    def _show_current(self) -> None:
        """Make the session's current class the table's current row (without re-announcing it)."""
        wanted = self.session.current_category_id
        ids = [c.id for c in self.session.categories()]
        row = ids.index(wanted) if wanted in ids else -1
        if row != self.table.currentRow():
            self.table.blockSignals(True)
            if row >= 0:
                self.table.setCurrentCell(row, 0)
            else:
                self.table.clearSelection()
            self.table.blockSignals(False)

    def _fit_height(self) -> None:
        """As tall as its rows (up to 60% of the screen), so the keypoint legend sits right below."""
        rows = sum(self.table.rowHeight(i) for i in range(self.table.rowCount()))
        height = self.table.horizontalHeader().sizeHint().height() + rows + 2 * self.table.frameWidth() + 2
        self.table.setMaximumHeight(max(height, 60))

    def count_of(self, row: int) -> int:
        """The object count shown on ``row``."""
        return int(self.table.item(row, 1).text())

    # ------------------------------------------------------------------ picking
    def _row_picked(self, row: int) -> None:
        categories = self.session.categories()
        if 0 <= row < len(categories):
            self.session.set_current_category(categories[row].id)

    def _row_clicked(self, row: int) -> None:
        """A click on a class also gives it to the selected box (as digits 1-9 do on the canvas)."""
        categories = self.session.categories()
        if 0 <= row < len(categories):
            self.session.give_selected_class(categories[row].id)

    def selected_categories(self) -> list[Category]:
        """The selected rows' classes in table order; with none selected, the session's current class."""
        categories = self.session.categories()
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        if not rows:
            return [c for c in categories if c.id == self.session.current_category_id]
        return [categories[r] for r in rows if r < len(categories)]

    # ------------------------------------------------------------------ editing
    def _writable(self) -> bool:
        return self.session.project is not None and not self.session.readonly

    def add_class(self) -> int | None:
        """Ask for a name and add the class (it becomes current); its id, or None."""
        if not self._writable():
            return None
        name = ask_text(self, "New class", "Name of the new class:")
        if name is None:
            return None
        new_id = self._edit(lambda p: p.add_class(name))
        if new_id is not None:
            self.session.set_current_category(new_id)
        return new_id

    def rename_class(self) -> None:
        chosen = self.selected_categories()
        if not self._writable() or not chosen:
            return
        cat = chosen[0]
        name = ask_text(self, "Rename class", f"New name for {cat.name!r}:", cat.name)
        if name is not None and name != cat.name:
            self._edit(lambda p: p.rename_class(cat.id, name))

    def merge_classes(self) -> None:
        """Two or more selected: pick the one to keep, the others merge into it. One selected: pick
        the class it merges into. Each merge is one undo step."""
        chosen = self.selected_categories()
        if not self._writable() or not chosen or len(self.session.categories()) < 2:
            return
        if len(chosen) >= 2:
            targets, sources = chosen, chosen
            label = "Merge the selected classes into:"
        else:
            targets = [c for c in self.session.categories() if c.id != chosen[0].id]
            sources, label = chosen, f"Merge {chosen[0].name!r} (and its objects) into:"
        picked = ask_item(self, "Merge classes", label, [c.name for c in targets])
        if picked is None:
            return
        keep = targets[picked]
        for src in sources:
            if src.id != keep.id:
                self._edit(lambda p, s=src.id: p.merge_class(s, keep.id))
        self.session.set_current_category(keep.id)

    def _edit(self, fn: Callable) -> object:
        try:
            return self.session.edit(fn, categories=True)
        except ProjectError as exc:
            tell(self, "Cannot change the classes", str(exc))
            return None

    # ------------------------------------------------------------------ colours
    def recolor_class(self) -> None:
        chosen = self.selected_categories()
        if self.session.project is None or not chosen:
            return
        cat = chosen[0]
        index = self.session.category_index()[cat.id]
        color = ask_color(self, f"Colour of {cat.name!r}", class_color(index))
        if color is not None:
            self.set_color(cat.id, color)

    def set_color(self, category_id: int, color: QColor) -> None:
        """Remember ``color`` for a class of this project, then redraw everything that shows it."""
        if self.settings is not None and self.session.project is not None:
            self.settings.set_class_color(self.session.project.path, category_id, color.name())
        else:
            self._colors[category_id] = color.name()
        self._classes_changed()  # the palette changes, so the canvas is told to redraw

    def _chosen_colors(self) -> dict[int, str]:
        if self.settings is not None and self.session.project is not None:
            return self.settings.class_colors(self.session.project.path)
        return dict(self._colors)

    def _apply_colors(self) -> None:
        """Hand this project's chosen colours to the palette (by class index); when that changes what
        the canvas drew, tell it to redraw."""
        index = self.session.category_index()
        by_index = {index[cid]: color for cid, color in self._chosen_colors().items() if cid in index}
        palette.set_overrides({i: QColor(c) for i, c in by_index.items()})
        changed, self._applied = by_index != self._applied, by_index
        if changed and self.session.project is not None:
            self.session.announce_class_colors()
