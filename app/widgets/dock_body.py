"""The body the chart docks share: a top row of a stretching summary label and one button, above a column
the dock fills later (its plots)."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


def header_column(dock: QDockWidget, summary: QLabel, button: QPushButton) -> QVBoxLayout:
    """Set ``dock``'s widget to that column; returns its layout (the top row is already in it)."""
    top = QHBoxLayout()
    top.setContentsMargins(4, 2, 4, 2)
    top.addWidget(summary, 1)
    top.addWidget(button)
    layout = QVBoxLayout()
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addLayout(top)
    widget = QWidget()
    widget.setLayout(layout)
    dock.setWidget(widget)
    return layout
