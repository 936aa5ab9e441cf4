"""A pre-labeling run's progress in the window's status bar: what it is doing, a bar, and Cancel.

It sits in the status bar rather than in a dialog so it never takes the keyboard from the canvas: the
user goes on accepting and rejecting suggestions (Enter / Esc) while the other images are predicted.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QProgressBar, QToolButton, QWidget


class AssistProgress(QWidget):
    """``start(text, total)`` shows it (total 0: busy, no count yet), ``step(done, text)`` moves it,
    ``finish()`` hides it; ``cancel_requested`` when Cancel is clicked."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setMaximumWidth(160)
        self.bar.setTextVisible(False)
        self.cancel = QToolButton(self)
        self.cancel.setText("Cancel")
        self.cancel.setToolTip("Stop pre-labeling after the image under way (its suggestions stay)")
        self.cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel.clicked.connect(self.cancel_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        self.hide()

    @classmethod
    def in_window(cls, window: QWidget) -> AssistProgress:
        """One placed in ``window``'s status bar when it is a main window, else a free widget."""
        if isinstance(window, QMainWindow):
            progress = cls(window.statusBar())
            window.statusBar().addPermanentWidget(progress)
            return progress
        return cls(None)

    def start(self, text: str, total: int) -> None:
        self.bar.setRange(0, total)
        self.bar.setValue(0)
        self.label.setText(text)
        self.show()

    def step(self, done: int, text: str) -> None:
        self.bar.setValue(done)
        self.label.setText(text)

    def finish(self) -> None:
        self.hide()
