"""The classes dock: each category with its colour swatch (the canvas's colour) and object count."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.canvas.palette import class_color
from app.session import Session

SWATCH = 14  # px


def swatch_icon(color: QColor) -> QIcon:
    pixmap = QPixmap(SWATCH, SWATCH)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(color)
    painter.setPen(color.darker(160))
    painter.drawRoundedRect(1, 1, SWATCH - 2, SWATCH - 2, 3, 3)
    painter.end()
    return QIcon(pixmap)


class ClassesPanel(QDockWidget):
    """Rows in YOLO index order: swatch + name, object count; below, the keypoint names.
    Refreshes on ``project_changed``."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("Classes", parent)
        self.setObjectName("classes_dock")
        self.session = session
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Class", "Objects"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.keypoints_label = QLabel()
        self.keypoints_label.setWordWrap(True)
        self.keypoints_label.setContentsMargins(4, 4, 4, 4)
        box = QVBoxLayout()
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.table)
        box.addWidget(self.keypoints_label)
        box.addStretch(1)
        widget = QWidget()
        widget.setLayout(box)
        self.setWidget(widget)
        session.project_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        project = self.session.project
        categories = self.session.categories()
        counts = project.category_counts() if project is not None else {}
        self.table.setRowCount(len(categories))
        for i, cat in enumerate(categories):
            name = QTableWidgetItem(swatch_icon(class_color(i)), cat.name)
            name.setToolTip(f"id {cat.id}" + (f", {cat.supercategory}" if cat.supercategory else ""))
            count = QTableWidgetItem(str(counts.get(cat.id, 0)))
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(i, 0, name)
            self.table.setItem(i, 1, count)
        names = next((c.keypoints for c in categories if c.keypoints), ())
        self.keypoints_label.setText(
            "Keypoints: " + ", ".join(f"{k + 1} {n}" for k, n in enumerate(names)) if names else "")
        self.keypoints_label.setVisible(bool(names))
        self._fit_height()

    def _fit_height(self) -> None:
        """As tall as its rows (up to 60% of the screen), so the keypoint legend sits right below."""
        rows = sum(self.table.rowHeight(i) for i in range(self.table.rowCount()))
        height = self.table.horizontalHeader().sizeHint().height() + rows + 2 * self.table.frameWidth() + 2
        self.table.setMaximumHeight(max(height, 60))

    def count_of(self, row: int) -> int:
        """The object count shown on ``row``."""
        return int(self.table.item(row, 1).text())
