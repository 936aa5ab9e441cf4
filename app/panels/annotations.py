"""The annotations dock: the objects of the current image, one row each (class swatch and name, box
size in pixels, labeled keypoints). Clicking a row selects that object (``session.select_annotation``,
which the canvas follows); Delete deletes the selected object as one undoable edit.

Rows follow ``image_selected``, ``annotations_changed`` of the current image, ``categories_changed``
(names, colours) and ``annotation_selected`` (a pick on the canvas selects the row).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.canvas.palette import class_color
from app.panels.classes import swatch_icon
from app.session import NO_ANNOTATION, NO_IMAGE, Session
from app.widgets.tables import setup_row_table
from studio.store.rows import AnnotationRow

AnnotationIdRole = Qt.ItemDataRole.UserRole + 1  # data() of a row's first cell: its annotation id
COLUMNS = ("Class", "Size (px)", "Keypoints")
UNKNOWN_CLASS = "#ff0000"  # as the canvas draws an object whose class is gone


def size_text(box: tuple[float, float, float, float]) -> str:
    """'W x H' of an xyxy box in whole pixels."""
    return f"{box[2] - box[0]:.0f} x {box[3] - box[1]:.0f}"


def keypoint_text(ann: AnnotationRow) -> str:
    """'labeled/K' (v > 0), or '' for an object without keypoints."""
    if ann.keypoints is None or len(ann.keypoints) == 0:
        return ""
    return f"{int((ann.keypoints[:, 2] > 0).sum())}/{len(ann.keypoints)}"


class AnnotationTable(QTableWidget):
    """Delete / Backspace delete the selected object (the panel decides what that means)."""

    def __init__(self, panel: AnnotationsPanel) -> None:
        super().__init__(0, len(COLUMNS))
        self._panel = panel

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self._panel.delete_selected()
            event.accept()
            return
        super().keyPressEvent(event)


class AnnotationsPanel(QDockWidget):
    """The current image's objects in row-id order (the store's order)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("Annotations", parent)
        self.setObjectName("annotations_dock")
        self.session = session
        self.rows: list[AnnotationRow] = []
        self.table = AnnotationTable(self)
        setup_row_table(self.table, COLUMNS)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._row_picked)
        self.summary = QLabel()
        self.summary.setContentsMargins(4, 2, 4, 2)
        box = QVBoxLayout()
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.table)
        box.addWidget(self.summary)
        widget = QWidget()
        widget.setLayout(box)
        self.setWidget(widget)
        session.project_changed.connect(self.refresh)
        session.image_selected.connect(lambda _id: self.refresh())
        session.annotations_changed.connect(self._annotations_changed)
        session.categories_changed.connect(self.refresh)
        session.annotation_selected.connect(self._show_selection)
        self.refresh()

    # ------------------------------------------------------------------ showing
    def refresh(self) -> None:
        """Re-read the current image's objects."""
        image_id = self.session.current_image_id
        self.rows = self.session.annotations(image_id) if image_id != NO_IMAGE else []
        index = self.session.category_index()
        names = {c.id: c.name for c in self.session.categories()}
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.rows))
        for r, ann in enumerate(self.rows):
            i = index.get(ann.category_id, -1)
            name = names.get(ann.category_id, f"class id {ann.category_id}")
            cls = QTableWidgetItem(swatch_icon(class_color(i) if i >= 0 else QColor(UNKNOWN_CLASS)), name)
            cls.setData(AnnotationIdRole, ann.id)
            cls.setToolTip(f"object {ann.id}: ({', '.join(f'{v:.1f}' for v in ann.box)})")
            size = QTableWidgetItem(size_text(ann.box))
            kpts = QTableWidgetItem(keypoint_text(ann))
            for item in (size, kpts):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for column, item in enumerate((cls, size, kpts)):
                self.table.setItem(r, column, item)
        self.table.blockSignals(False)
        self._show_selection(self.session.selected_annotation_id)
        count = len(self.rows)
        self.summary.setText("" if image_id == NO_IMAGE else f"{count} object{'s' if count != 1 else ''}")

    def _annotations_changed(self, image_id: int) -> None:
        if image_id == self.session.current_image_id:
            self.refresh()

    def _show_selection(self, annotation_id: int) -> None:
        """Select the row of ``annotation_id`` (none for NO_ANNOTATION) without re-announcing it."""
        ids = [ann.id for ann in self.rows]
        self.table.blockSignals(True)
        if annotation_id in ids:
            row = ids.index(annotation_id)
            self.table.selectRow(row)
            self.table.scrollToItem(self.table.item(row, 0))
        else:
            self.table.clearSelection()
        self.table.blockSignals(False)

    def row_of(self, annotation_id: int) -> int:
        """The table row showing ``annotation_id`` (ValueError when it is not shown)."""
        return [ann.id for ann in self.rows].index(annotation_id)

    # ------------------------------------------------------------------ acting
    def selected_id(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()].id if rows and rows[0].row() < len(self.rows) else NO_ANNOTATION

    def _row_picked(self) -> None:
        self.session.select_annotation(self.selected_id())

    def delete_selected(self) -> None:
        """Delete the selected object (one undo step); the next row becomes selected."""
        ann_id = self.selected_id()
        image_id = self.session.current_image_id
        if ann_id == NO_ANNOTATION or self.session.project is None or self.session.readonly:
            return
        row = self.row_of(ann_id)
        self.session.select_annotation(NO_ANNOTATION)
        self.session.edit(lambda p: p.delete_box(ann_id), image_id=image_id, images=True)
        if self.rows:
            self.table.selectRow(min(row, len(self.rows) - 1))
