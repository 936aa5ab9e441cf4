"""The read-only, row-selecting tables of the docks and dialogs, set up in one place."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QAbstractItemView, QTableWidget

Selection = QAbstractItemView.SelectionMode


def setup_row_table(table: QTableWidget, columns: Sequence[str],
                    selection: QAbstractItemView.SelectionMode = Selection.SingleSelection) -> QTableWidget:
    """Headers ``columns``, no row numbers, no in-place editing, whole rows selected, no grid."""
    table.setColumnCount(len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(selection)
    table.setShowGrid(False)
    return table
