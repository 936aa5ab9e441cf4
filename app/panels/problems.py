"""The problems dock: what ``Project.problems`` (studio.store.checks) finds in the open project (kind,
file name, message), with a Refresh button. The check runs through ``Session.check_problems``, which
keeps the result for the images dock's "with problems" filter; the dock shows every check announced
by ``problems_changed``, also one the images dock asked for. Clicking a row selects its image and,
for an object's problem, that object (``session.select_image`` then ``session.select_annotation``).

The check runs on Refresh (and the ``check_problems`` action), and by itself when a project opens or
(debounced) after edits, as long as the dock is shown and the project holds at most
``AUTO_CHECK_LIMIT`` images; a larger project says the list may be out of date instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import PurePosixPath

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.session import NO_ANNOTATION, Session
from app.widgets.tables import setup_row_table
from studio.store.checks import ProjectProblem

AUTO_CHECK_LIMIT = 20_000  # images: about 0.5 s of checking (bench/bench_checks.py)
RECHECK_DELAY_MS = 600  # after the last edit
COLUMNS = ("Problem", "File", "Details")


class ProblemsPanel(QDockWidget):
    """``problems``: the rows shown, in the check's order (file name, then object)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("Problems", parent)
        self.setObjectName("problems_dock")
        self.session = session
        self.problems: list[ProjectProblem] = []
        self.checked = False  # the list reflects the project as it is now
        self.shown = False  # on screen: visible and, when tabbed, the picked tab
        self.table = setup_row_table(QTableWidget(0, len(COLUMNS)), COLUMNS)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column in (0, 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.cellClicked.connect(lambda row, _column: self.jump_to(row))
        self.table.currentCellChanged.connect(lambda row, *_: self.jump_to(row))
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Check the whole project again")
        self.refresh_button.clicked.connect(self.refresh)
        self.status = QLabel()
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 2)
        top.addWidget(self.status, 1)
        top.addWidget(self.refresh_button)
        box = QVBoxLayout()
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(top)
        box.addWidget(self.table)
        widget = QWidget()
        widget.setLayout(box)
        self.setWidget(widget)
        self._timer = QTimer(self, singleShot=True, interval=RECHECK_DELAY_MS)
        self._timer.timeout.connect(self._auto_check)
        session.project_changed.connect(self._project_changed)
        session.problems_changed.connect(self._show_check)
        for signal in (session.annotations_changed, session.images_changed, session.categories_changed):
            signal.connect(lambda *_: self._edited())
        self.visibilityChanged.connect(self._visibility)
        self._project_changed()

    def handlers(self) -> dict[str, Callable[[], object]]:
        """This panel's rows of ``app.actions.ACTIONS``."""
        return {"check_problems": self.check_now}

    # ------------------------------------------------------------------ checking
    def refresh(self) -> None:
        """Run the check now and show its rows (``_show_check`` fills them when the session announces it)."""
        started = time.perf_counter()
        self.session.check_problems()
        if self.session.project is not None:
            self.status.setText(f"{self.status.text()} (checked in {time.perf_counter() - started:.2f} s)")

    def _show_check(self) -> None:
        """``problems_changed``: show the session's latest check."""
        self.problems = list(self.session.problems or [])
        self.checked = True
        self._fill()
        count = len(self.problems)
        found = f"{count} problem{'s' if count != 1 else ''}" if count else "No problems found"
        self.status.setText("No project" if self.session.project is None else found)

    def check_now(self) -> None:
        """The action: show the dock and check."""
        self.show()
        self.raise_()
        self.refresh()

    def _small(self) -> bool:
        project = self.session.project
        return project is not None and project.count_images() <= AUTO_CHECK_LIMIT

    def _project_changed(self) -> None:
        if self.session.problems is not None:  # another observer of project_changed had it checked
            return self._show_check()
        self.problems, self.checked = [], False
        self._fill()
        if self.session.project is None:
            self.status.setText("No project")
        elif self.shown and self._small():
            self.refresh()
        else:
            self.status.setText("Not checked yet: press Refresh")

    def _edited(self) -> None:
        if self.session.project is None:
            return
        if self.shown and self._small():
            self._timer.start()
        elif self.checked:
            self.checked = False
            self.status.setText(self.status.text().split(" (")[0] + " (edited since: press Refresh)")

    def _auto_check(self) -> None:
        if self.shown and self.session.project is not None:
            self.refresh()

    def _visibility(self, shown: bool) -> None:
        """``visibilityChanged``: shown, or its tab picked (isVisible stays True for a covered tab)."""
        self.shown = shown
        if shown and not self.checked and self._small():
            QTimer.singleShot(0, self._auto_check)  # after the dock has painted

    # ------------------------------------------------------------------ rows
    def _fill(self) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.problems))
        for row, problem in enumerate(self.problems):
            short = PurePosixPath(problem.file_name).name  # the dock is narrow: the path is the tooltip
            for column, text in enumerate((problem.kind, short, problem.message)):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{problem.file_name}: {problem.message}")
                self.table.setItem(row, column, item)
        self.table.blockSignals(False)

    def jump_to(self, row: int) -> None:
        """Select the problem's image, then its object (if it names one)."""
        if not 0 <= row < len(self.problems) or self.session.project is None:
            return
        problem = self.problems[row]
        self.session.select_image(problem.image_id)
        self.session.select_annotation(
            NO_ANNOTATION if problem.annotation_id is None else problem.annotation_id)

