"""Edit > Skeleton…: the project's keypoint template (names, edges, flip partners) and a COCO-17 preset.

The dialog edits plain lists and applies them with ``Project.set_skeleton`` through ``session.edit``
(one undoable command). Formats as in ``studio.skeletons``: edges are shown and kept 1-based (COCO),
flip partners 0-based (flip_idx), each keypoint its own partner by default.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.opener import tell
from app.session import Session
from studio.errors import StudioError
from studio.skeletons import COCO17, Skeleton, validate_skeleton


def current_skeleton(session: Session) -> Skeleton:
    """The open project's template: names and edges of the first class that has them, flip_idx from
    meta (identity when absent); numbered names when kpt_shape says K but no class names them."""
    project = session.project
    assert project is not None
    cat = next((c for c in session.categories() if c.keypoints), None)
    k = project.kpt_shape[0] if project.kpt_shape else 0
    names = tuple(cat.keypoints) if cat else tuple(f"keypoint_{i + 1}" for i in range(k))
    flip = project.flip_idx if project.flip_idx and len(project.flip_idx) == len(names) else None
    return Skeleton(names, tuple(cat.skeleton) if cat else (), flip or tuple(range(len(names))))


class SkeletonDialog(QDialog):
    """A keypoint table (name, flip partner), an edge table (from, to) and a COCO-17 preset button;
    OK applies to the project (errors stay in the dialog)."""

    def __init__(self, parent: QWidget | None, session: Session) -> None:
        super().__init__(parent)
        self.setWindowTitle("Skeleton")
        self.session = session
        self.points = QTableWidget(0, 2, self)
        self.points.setHorizontalHeaderLabels(["Keypoint name", "Flip partner"])
        self.points.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.points.itemChanged.connect(lambda _item: self._rename_choices())
        self.edges = QTableWidget(0, 2, self)
        self.edges.setHorizontalHeaderLabels(["From", "To"])
        self.edges.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for table in (self.points, self.edges):
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.preset = QPushButton("COCO-17 preset", self)
        self.preset.clicked.connect(lambda: self.load(COCO17))
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        self._layout()
        self.load(current_skeleton(session))

    def _layout(self) -> None:
        left = QGroupBox("Keypoints (in order)", self)
        box = QVBoxLayout(left)
        box.addWidget(self.points)
        hint = QLabel("Flip partner: the keypoint this one becomes when the image is mirrored "
                      "left-right (itself on the axis).", left)
        hint.setWordWrap(True)
        box.addWidget(hint)
        box.addLayout(_row(self._button("Add keypoint", self.add_point),
                           self._button("Remove keypoint", self.remove_point)))
        right = QGroupBox("Edges (drawn between keypoints)", self)
        box = QVBoxLayout(right)
        box.addWidget(self.edges)
        box.addLayout(_row(self._button("Add edge", self.add_edge),
                           self._button("Remove edge", self.remove_edge)))
        layout = QVBoxLayout(self)
        layout.addLayout(_row(left, right))
        layout.addWidget(self.error)
        layout.addLayout(_row(self.preset, self.buttons))
        self.resize(760, 560)

    def _button(self, text: str, slot: object) -> QPushButton:
        button = QPushButton(text, self)
        button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------------ model <-> widgets
    def load(self, skeleton: Skeleton) -> None:
        """Show ``skeleton`` (replacing what the tables hold)."""
        self.points.blockSignals(True)
        self.points.setRowCount(len(skeleton.names))
        for r, name in enumerate(skeleton.names):
            self.points.setItem(r, 0, QTableWidgetItem(name))
            self.points.setCellWidget(r, 1, self._choice(skeleton.flip_idx[r]))
        self.points.blockSignals(False)
        self.edges.setRowCount(0)
        for a, b in skeleton.edges:
            self._append_edge(a - 1, b - 1)
        self._rename_choices()
        self.error.clear()

    def values(self) -> tuple[list[str], list[tuple[int, int]], list[int]]:
        """(names, 1-based edges, 0-based flip_idx) as the tables show them."""
        names = [self.points.item(r, 0).text() if self.points.item(r, 0) else ""
                 for r in range(self.points.rowCount())]
        flip = [self.points.cellWidget(r, 1).currentIndex() for r in range(self.points.rowCount())]
        edges = [(self.edges.cellWidget(r, 0).currentIndex() + 1,
                  self.edges.cellWidget(r, 1).currentIndex() + 1) for r in range(self.edges.rowCount())]
        return names, edges, flip

    def _choice(self, index: int) -> QComboBox:
        combo = QComboBox(self)
        for _ in range(self.points.rowCount()):
            combo.addItem("")
        combo.setCurrentIndex(index)
        return combo

    def _rename_choices(self) -> None:
        """Every combo lists 'n: name' of each keypoint, in order."""
        names = self.values()[0]
        labels = [f"{i + 1}: {name}" for i, name in enumerate(names)]
        combos = [self.points.cellWidget(r, 1) for r in range(self.points.rowCount())]
        combos += [self.edges.cellWidget(r, c) for r in range(self.edges.rowCount()) for c in (0, 1)]
        for combo in combos:
            while combo.count() < len(labels):
                combo.addItem("")
            for i, label in enumerate(labels):
                combo.setItemText(i, label)

    def _append_edge(self, a: int, b: int) -> None:
        row = self.edges.rowCount()
        self.edges.insertRow(row)
        self.edges.setCellWidget(row, 0, self._choice(a))
        self.edges.setCellWidget(row, 1, self._choice(b))

    # ------------------------------------------------------------------ buttons
    def add_point(self) -> None:
        names, edges, flip = self.values()
        self.load(Skeleton((*names, f"keypoint_{len(names) + 1}"), tuple(edges), (*flip, len(names))))

    def remove_point(self) -> None:
        """Remove the selected keypoint (else the last), its edges and flip pairings."""
        names, edges, flip = self.values()
        if not names:
            return
        r = self.points.currentRow() if self.points.currentRow() >= 0 else len(names) - 1
        shift = lambda i: i - (i > r)  # noqa: E731 (0-based index after removing r)
        new_flip = [shift(j) if j != r else shift(i) for i, j in enumerate(flip) if i != r]
        new_edges = [(shift(a - 1) + 1, shift(b - 1) + 1) for a, b in edges if r + 1 not in (a, b)]
        del names[r]
        self.load(Skeleton(tuple(names), tuple(new_edges), tuple(new_flip)))

    def add_edge(self) -> None:
        k = self.points.rowCount()
        if k >= 2:
            self._append_edge(0, 1)
            self._rename_choices()

    def remove_edge(self) -> None:
        row = self.edges.currentRow() if self.edges.currentRow() >= 0 else self.edges.rowCount() - 1
        if row >= 0:
            self.edges.removeRow(row)

    def apply(self) -> None:
        """Validate and set the template on the project (undoable); accept, or show why not."""
        names, edges, flip = self.values()
        try:
            skeleton = validate_skeleton(names, edges, flip)
            self.session.edit(lambda p: p.set_skeleton(skeleton.names, skeleton.edges, skeleton.flip_idx),
                              categories=True)
        except StudioError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


def _row(*widgets: object) -> QHBoxLayout:
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget)  # type: ignore[arg-type]
    return row


def run_dialog(dialog: QDialog) -> bool:
    """Show ``dialog`` modally; True when accepted. (Tests replace this function.)"""
    return dialog.exec() == QDialog.DialogCode.Accepted


def edit_skeleton(parent: QWidget | None, session: Session) -> bool:
    """Edit > Skeleton…; True when a template was applied."""
    if session.project is None or session.readonly:
        tell(parent, "Skeleton", "Open a project for writing first (File > Open).")
        return False
    return run_dialog(SkeletonDialog(parent, session))
