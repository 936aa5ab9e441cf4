"""The jobs dock: every run under the project's runs folder (``<project folder>/runs/<task>/<name>``) with its
status, epoch, progress, ETA and speed, and the buttons that act on the selected runs: Stop, Resume, Extend
by N epochs, Export… (a finished run's weights to ONNX, app.dialogs.export_run), Open folder, Delete. A
details box shows the selected run's error, traceback and last log lines.

The panel only reads run folders (one ``studio.jobs.run_monitor.RunWatcher`` per run, polled by a timer)
and starts or stops workers through a ``JobLauncher``; it never talks to a worker otherwise. So a run started
by an earlier studio, or from a terminal, is shown the same way (the folder is rescanned every few seconds),
and a worker that died without a ``finished`` event shows as crashed. ``changed`` follows any poll that read
something new (the metrics dock redraws then); ``run_selected`` / ``states_selected`` say what is selected.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.dialogs.export_run import ExportRunDialog, export_problem
from app.jobs.launcher import WORKER_LOG, JobLauncher, JobLaunchError
from app.panels.jobs_rows import ProgressDelegate, format_epoch, format_eta, tail_lines
from app.widgets.tables import setup_row_table
from studio.jobs.run_monitor import RunState, RunWatcher, find_runs
from studio.jobs.train_command import resume_argv

COLUMNS = ("Name", "Task", "Status", "Epoch", "Progress", "ETA", "Images/s")
NAME, TASK, STATUS, EPOCH, PROGRESS, ETA, SPEED = range(len(COLUMNS))
RESCAN_EVERY = 8  # polls between looks for new run folders (about 2 s)
LOG_LINES = 30  # last log lines in the details box
STATUS_COLORS = {"queued": "#8a8a8a", "running": "#2b7de9", "finished": "#2e9e44", "failed": "#d93b3b",
                 "cancelled": "#c58a00", "crashed": "#d93b3b"}
ENDED = ("finished", "failed", "cancelled", "crashed")
HOST = socket.gethostname()


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """A Yes / Cancel question; True for Yes. (Tests replace this function.)"""
    buttons = QMessageBox.StandardButton
    return QMessageBox.question(parent, title, text, buttons.Yes | buttons.Cancel,
                                buttons.Cancel) == buttons.Yes


class JobsPanel(QDockWidget):
    """``runs``: the run folders in table order (the newest first)."""

    run_selected = Signal(list)  # [Path] of the selected runs
    states_selected = Signal(list)  # [RunState] of the selected runs (for MetricsPanel.show_runs)
    changed = Signal()  # a poll read something new

    def __init__(self, launcher: JobLauncher, parent: QWidget | None = None, poll_ms: int = 250) -> None:
        super().__init__("Jobs", parent)
        self.setObjectName("jobs_panel")
        self.launcher = launcher
        self.root: Path | None = None
        self.runs: list[Path] = []
        self._watchers: dict[Path, RunWatcher] = {}
        self._launch_marks: dict[Path, float] = {}  # run -> state.updated when its worker was launched
        self._launch_errors: dict[Path, str] = {}  # a worker that ended before writing any event
        self._emitted: list[RunState] = []
        self._polls = 0
        self.export_dialog: ExportRunDialog | None = None  # the last one opened
        self._build_widgets()
        launcher.started.connect(self._launched)
        launcher.ended.connect(self._ended)
        self._timer = QTimer(self, interval=poll_ms)
        self._timer.timeout.connect(self.poll)
        self._timer.start()

    def _build_widgets(self) -> None:
        self.table = setup_row_table(QTableWidget(0, len(COLUMNS)), COLUMNS,
                                     QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setWordWrap(False)
        self.table.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.details = QPlainTextEdit(readOnly=True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setPlaceholderText("Select a run to see its errors and last log lines")
        self.stop_button = self._button("Stop", "Stop the selected runs (they save last.pt first)", self.stop)
        self.resume_button = self._button("Resume", "Continue the selected runs from last.pt", self.resume)
        self.extend_spin = QSpinBox(minimum=1, maximum=10_000, value=10, prefix="+", suffix=" epochs")
        self.extend_button = self._button("Extend", "Train the selected runs for more epochs", self.extend)
        self.export_button = self._button("Export…", "Export the selected run's weights to ONNX",
                                          self.export)
        self.open_button = self._button("Open folder", "Show the run folder", self.open_folder)
        self.delete_button = self._button("Delete", "Delete the selected run folders", self.delete)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(4, 2, 4, 2)
        for widget in (self.stop_button, self.resume_button, self.extend_button, self.extend_spin):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.delete_button)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(buttons)
        layout.addWidget(splitter, 1)
        widget = QWidget()
        widget.setLayout(layout)
        self.setWidget(widget)
        self._update_buttons()

    def _button(self, text: str, tip: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------------ runs
    def set_root(self, root: Path | None) -> None:
        """Show the runs under ``root`` (``<project folder>/runs``; None: none), re-attaching to any
        still going."""
        self.root = Path(root) if root is not None else None
        self.runs, self._watchers = [], {}
        self._launch_marks, self._launch_errors = {}, {}
        self.table.setRowCount(0)
        for run in find_runs(self.root) if self.root is not None else []:
            self._add(run, top=False)
        self._selection_changed()

    def add_run(self, run: Path) -> None:
        """A run just launched (or about to be): listed at the top and selected."""
        run = Path(run)
        if run not in self._watchers:
            self._add(run, top=True)
        self.select([run])

    def watcher(self, run: Path) -> RunWatcher:
        return self._watchers[Path(run)]

    def state(self, run: Path) -> RunState:
        return self._watchers[Path(run)].state

    def status(self, run: Path) -> str:
        """The status shown: the watcher's, "queued" while a launched worker has written nothing yet, and
        "failed" for a first launch whose worker ended before writing anything."""
        run = Path(run)
        state = self._watchers[run].state
        if run in self._launch_marks and state.updated == self._launch_marks[run]:
            return "queued"
        if state.status == "queued" and run in self._launch_errors:
            return "failed"
        return state.status

    def error(self, run: Path) -> str | None:
        """What went wrong: the run's own error, else why its last launch failed."""
        run = Path(run)
        return self._watchers[run].state.error or self._launch_errors.get(run)

    def selected_runs(self) -> list[Path]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.runs[row] for row in rows]

    def select(self, runs: list[Path]) -> None:
        self.table.clearSelection()
        flags = self.table.selectionModel().SelectionFlag
        for run in runs:
            if run in self._watchers:
                index = self.table.model().index(self.runs.index(run), 0)
                self.table.selectionModel().select(index, flags.Select | flags.Rows)

    def _add(self, run: Path, top: bool) -> None:
        watcher = self._watchers[run] = RunWatcher(run)
        watcher.poll()
        row = 0 if top else len(self.runs)
        self.runs.insert(row, run)
        self.table.insertRow(row)
        for column in range(len(COLUMNS)):
            self.table.setItem(row, column, QTableWidgetItem())
        self._show_row(run)

    def _rescan(self) -> None:
        """Runs that appeared under the root since (started from a terminal, or another studio)."""
        if self.root is None:
            return
        for run in reversed(find_runs(self.root)):
            if run not in self._watchers:
                self._add(run, top=True)

    # ------------------------------------------------------------------ polling
    def poll(self) -> None:
        """Read what each run wrote since the last poll (the timer calls this)."""
        self._polls += 1
        if self._polls % RESCAN_EVERY == 0:
            self._rescan()
        changed = False
        for run, watcher in list(self._watchers.items()):
            if watcher.poll():
                changed = True
                self._show_row(run)
        if changed:
            self.changed.emit()
            self._selection_changed(only_if_new_states=True)
            self._show_details()
            self._update_buttons()

    def _launched(self, run: Path) -> None:
        """``launcher.started``: remember what the run had said so far, to know when the worker speaks."""
        run = Path(run)
        self.add_run(run)
        watcher = self._watchers[run]
        watcher.poll()
        self._launch_marks[run] = watcher.state.updated
        self._launch_errors.pop(run, None)
        self._show_row(run)
        self._refresh_selected()

    def _ended(self, run: Path, code: int) -> None:
        """``launcher.ended``: read the last events; a worker that wrote nothing failed to start."""
        run = Path(run)
        mark = self._launch_marks.pop(run, None)
        if run not in self._watchers:
            return
        watcher = self._watchers[run]
        watcher.poll()
        if mark is not None and watcher.state.updated == mark:
            tail = tail_lines(run / WORKER_LOG, 12)
            self._launch_errors[run] = f"the worker exited with code {code} before starting the run" + (
                f"; {WORKER_LOG} ends with:\n{tail}" if tail else "")
        self._show_row(run)
        self.changed.emit()
        self._refresh_selected()

    # ------------------------------------------------------------------ showing
    def _show_row(self, run: Path) -> None:
        row = self.runs.index(run)
        state = self._watchers[run].state
        status = self.status(run)
        running = status == "running"
        texts = {
            NAME: state.name,
            TASK: state.task,
            STATUS: status,
            EPOCH: format_epoch(state),
            PROGRESS: f"{round(state.fraction * 100)}%" if state.total else "",
            ETA: format_eta(state.eta_s) if running and state.total else "",
            SPEED: f"{state.images_per_s:.1f}" if state.images_per_s else "",
        }
        for column, text in texts.items():
            item = self.table.item(row, column)
            item.setText(text)
            if column in (EPOCH, PROGRESS, ETA, SPEED):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        fraction = state.fraction if state.total else None
        self.table.item(row, PROGRESS).setData(Qt.ItemDataRole.UserRole, fraction)
        status_item = self.table.item(row, STATUS)
        status_item.setForeground(QColor(STATUS_COLORS.get(status, "#8a8a8a")))
        error = self.error(run)
        status_item.setToolTip(error or "")
        self.table.item(row, NAME).setToolTip(str(run))

    def _selection_changed(self, only_if_new_states: bool = False) -> None:
        """Emit the selection (runs and their state objects); with ``only_if_new_states``, only when a
        watcher replaced a selected run's state (its events file was rewritten)."""
        runs = self.selected_runs()
        states = [self._watchers[run].state for run in runs]
        if only_if_new_states and len(states) == len(self._emitted) and all(
                a is b for a, b in zip(states, self._emitted, strict=True)):
            return
        self._emitted = states
        self.run_selected.emit(runs)
        self.states_selected.emit(states)
        self._show_details()
        self._update_buttons()

    def _refresh_selected(self) -> None:
        self._show_details()
        self._update_buttons()

    def _show_details(self) -> None:
        """The first selected run: where it is, its error and traceback, its last log lines."""
        runs = self.selected_runs()
        if not runs:
            self.details.clear()
            return
        run = runs[0]
        state = self._watchers[run].state
        lines = [f"{state.task}/{state.name}: {self.status(run)}    {run}"]
        if error := self.error(run):
            lines += ["", f"Error: {error}"]
        if state.traceback:
            lines += ["", state.traceback.rstrip()]
        if state.logs:
            lines += ["", "Last log lines:"]
            lines += [f"[{level}] {message}" for level, message in state.logs[-LOG_LINES:]]
        text = "\n".join(lines)
        if text != self.details.toPlainText():
            self.details.setPlainText(text)

    def _update_buttons(self) -> None:
        runs = self.selected_runs()
        statuses = [self.status(run) for run in runs]
        resumable = [run for run, status in zip(runs, statuses, strict=True)
                     if status in ENDED and (run / "weights" / "last.pt").is_file()
                     and not self.launcher.is_running(run)]
        self.stop_button.setEnabled(any(self._stoppable(run) for run in runs))
        self.resume_button.setEnabled(any(self.status(run) != "finished" for run in resumable))
        self.extend_button.setEnabled(bool(resumable))
        self.extend_spin.setEnabled(bool(resumable))
        self.open_button.setEnabled(bool(runs))
        why = self._export_problem(runs)
        self.export_button.setEnabled(not why)
        self.export_button.setToolTip(why or "Export the selected run's weights to ONNX (parity checked)")
        self.delete_button.setEnabled(bool(runs) and not any(
            status in ("queued", "running") or self.launcher.is_running(run)
            for run, status in zip(runs, statuses, strict=True)))

    def _export_problem(self, runs: list[Path]) -> str:
        """Why Export… is off for this selection ('' when it is on)."""
        if len(runs) != 1:
            return "Select one finished run to export"
        run = runs[0]
        status = "running" if self.launcher.is_running(run) else self.status(run)
        return export_problem(run, self._watchers[run].state.task, status)

    def _stoppable(self, run: Path) -> bool:
        """Ours, or running on this host (a pid on another machine cannot be signalled from here)."""
        state = self._watchers[run].state
        return self.launcher.is_running(run) or (self.status(run) == "running" and state.host == HOST)

    # ------------------------------------------------------------------ actions
    def stop(self) -> None:
        """Stop the selected runs: SIGTERM now (a graceful cancel), a kill after the grace period."""
        for run in self.selected_runs():
            if self._stoppable(run):
                self.launcher.stop(run)

    def resume(self) -> None:
        """Continue each selected, ended run from its last.pt up to its planned epochs."""
        for run in self.selected_runs():
            if self.status(run) in ("cancelled", "crashed", "failed"):
                self._start(run, resume_argv(run))

    def extend(self) -> None:
        """Train each selected, ended run for the spin box's number of epochs more."""
        for run in self.selected_runs():
            state = self._watchers[run].state
            if self.status(run) in ENDED:
                self._start(run, resume_argv(run, max(state.epochs, state.epoch) + self.extend_spin.value()))

    def _start(self, run: Path, argv: list[str]) -> None:
        try:
            self.launcher.start(argv, run)
        except JobLaunchError as exc:
            self._launch_errors[run] = str(exc)
            self._show_row(run)
            self._refresh_selected()

    def export(self) -> None:
        """Open the export dialog for the selected finished run (window-modal; the panel keeps polling)."""
        runs = self.selected_runs()
        if self._export_problem(runs):
            return
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # the first opening loads torch (FP16?)
        try:
            self.export_dialog = ExportRunDialog(self._watchers[runs[0]].state, self)
        finally:
            QApplication.restoreOverrideCursor()
        self.export_dialog.open()

    def open_folder(self) -> None:
        for run in self.selected_runs():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(run)))

    def delete(self) -> None:
        """Delete the selected run folders after a confirmation (never a run that is going)."""
        runs = self.selected_runs()
        if not runs or not self.delete_button.isEnabled():
            return
        names = ", ".join(f"{run.parent.name}/{run.name}" for run in runs)
        if not confirm(self, "Delete runs", f"Delete {names} and everything in it (weights, plots, logs)?"):
            return
        for run in runs:
            shutil.rmtree(run, ignore_errors=True)
            row = self.runs.index(run)
            self.runs.pop(row)
            self.table.removeRow(row)
            self._watchers.pop(run, None)
            self._launch_errors.pop(run, None)
        self._selection_changed()
