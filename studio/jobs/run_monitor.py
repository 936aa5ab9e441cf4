"""Reading a run folder while its job runs (DESIGN.md sections 2-3): status, progress, metrics, crashed?

``RunWatcher(run).poll()`` tails ``<run>/events.jsonl`` (only complete lines; a half-written last line waits
for the next poll) and folds each event into a plain ``RunState``. A run whose ``started`` pid is gone on this
host without a ``finished`` event is "crashed". No Qt here: the GUI polls a watcher from a timer.
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from studio.events import Artifact, Event, Finished, Log, Metric, Progress, Started, decode

RUN_STATUSES = ("queued", "running", "finished", "failed", "cancelled", "crashed")
EVENTS_FILE = "events.jsonl"
MAX_LOGS = 200
FINISHED_TO_STATUS = {"ok": "finished", "cancelled": "cancelled", "failed": "failed"}


@dataclass
class RunState:
    """What a run's events say so far. ``metrics``: name -> [(epoch, value)] in epoch order (a metric of an
    epoch already seen, as after a resume, replaces it and drops later ones); non-finite values (null in
    the file) are left out. ``logs``: the last MAX_LOGS (level, message). ``epoch`` is the 1-based epoch
    of the last progress event; ``epochs`` comes from the config of the last ``started`` event."""

    run: Path
    task: str
    name: str
    status: str = "queued"
    pid: int | None = None
    host: str | None = None
    config: dict = field(default_factory=dict)
    epoch: int = 0
    epochs: int = 0
    step: int = 0
    total: int = 0
    images_per_s: float = 0.0
    eta_s: float = 0.0
    metrics: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    logs: list[tuple[str, str]] = field(default_factory=list)
    artifacts: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    traceback: str | None = None
    updated: float = 0.0
    resumed_from: str | None = None

    @classmethod
    def for_run(cls, run: Path | str) -> RunState:
        """An empty (queued) state; task and name come from the folder ``ROOT/<task>/<name>``."""
        run = Path(run)
        return cls(run=run, task=run.parent.name, name=run.name)

    @property
    def fraction(self) -> float:
        """Steps done over all steps of the run, in [0, 1] (0 before the first progress event)."""
        if self.total <= 0:
            return 0.0
        return min(max(self.step / self.total, 0.0), 1.0)

    @property
    def label(self) -> str:
        """The epoch column: "3/10 epochs", "epoch 3" when the total is unknown, "" before any progress."""
        if self.epochs > 0:
            return f"{self.epoch}/{self.epochs} epochs"
        return f"epoch {self.epoch}" if self.epoch > 0 else ""

    @property
    def active(self) -> bool:
        """Queued or running: not ended (a Delete must wait, a Stop makes sense)."""
        return self.status in ("queued", "running")

    def last_value(self, name: str) -> float | None:
        """The latest value of a metric, or None."""
        points = self.metrics.get(name)
        return points[-1][1] if points else None


class RunWatcher:
    """Tails one run folder. ``pid_alive`` and ``host`` are injectable for tests; a pid started on another
    host is never declared crashed (it cannot be checked from here)."""

    def __init__(self, run: Path | str, *, pid_alive=None, host: str | None = None) -> None:
        self.run = Path(run)
        self.path = self.run / EVENTS_FILE
        self.state = RunState.for_run(self.run)
        self._pid_alive = pid_alive if pid_alive is not None else globals()["pid_alive"]
        self._host = host if host is not None else socket.gethostname()
        self._offset = 0

    def poll(self) -> bool:
        """Read the complete new lines; True when the state changed."""
        changed = self._read()
        if self._looks_crashed():
            changed = self._read() or changed  # the worker may have written `finished` just before exiting
            if self._looks_crashed():
                self._mark_crashed()
                changed = True
        return changed

    # ---- reading ------------------------------------------------------------------------------------
    def _read(self) -> bool:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return False
        changed = False
        if size < self._offset:  # replaced or truncated: start over
            self.state, self._offset, changed = RunState.for_run(self.run), 0, True
        if size == self._offset:
            return changed
        with open(self.path, "rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        end = data.rfind(b"\n")
        if end < 0:
            return changed  # only a partial line so far
        self._offset += end + 1
        for raw in data[: end + 1].splitlines():
            item = decode(raw.decode("utf-8", errors="replace"))
            if item is not None:
                apply_event(self.state, *item)
                changed = True
        return changed

    # ---- crash check --------------------------------------------------------------------------------
    def _looks_crashed(self) -> bool:
        s = self.state
        return (s.status == "running" and s.pid is not None and s.host == self._host
                and not self._pid_alive(s.pid))

    def _mark_crashed(self) -> None:
        self.state.status = "crashed"
        self.state.error = f"the worker process (pid {self.state.pid}) ended without a finished event"
        self.state.traceback = None


def apply_event(state: RunState, time: float, event: Event) -> None:
    """Fold one decoded event into ``state``."""
    state.updated = time
    if isinstance(event, Started):
        _apply_started(state, event)
    elif isinstance(event, Progress):
        state.epoch, state.step, state.total = int(event.epoch), int(event.step), int(event.total)
        state.images_per_s, state.eta_s = float(event.images_per_s), float(event.eta_s)
    elif isinstance(event, Metric):
        _apply_metric(state, event)
    elif isinstance(event, Log):
        state.logs.append((str(event.level), str(event.message)))
        del state.logs[:-MAX_LOGS]
    elif isinstance(event, Artifact):
        item = (str(event.kind), str(event.path))
        if item not in state.artifacts:
            state.artifacts.append(item)
    elif isinstance(event, Finished):
        state.status = FINISHED_TO_STATUS.get(event.status, "failed")
        state.error, state.traceback = event.error, event.traceback
        if state.status != "finished":
            state.eta_s = 0.0


def _apply_started(state: RunState, event: Started) -> None:
    """A first start, or a resume (a new `started` after `finished`/crash): running again."""
    state.status = "running"
    state.pid, state.host = int(event.pid), str(event.host)
    state.config = dict(event.config) if isinstance(event.config, dict) else {}
    state.epochs = _int(state.config.get("epochs"))
    state.resumed_from = event.resumed_from
    state.error = state.traceback = None


def _apply_metric(state: RunState, event: Metric) -> None:
    if event.value is None:
        return
    epoch = int(event.epoch)
    points = [p for p in state.metrics.get(event.name, []) if p[0] < epoch]
    points.append((epoch, float(event.value)))
    state.metrics[event.name] = points


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def read_state(run: Path | str, **watcher_options) -> RunState:
    """The state of a run folder as of now (one poll)."""
    watcher = RunWatcher(run, **watcher_options)
    watcher.poll()
    return watcher.state


def find_runs(root: Path | str) -> list[Path]:
    """Run folders ``ROOT/<task>/<name>`` that hold an events.jsonl, newest start first."""
    root = Path(root)
    if not root.is_dir():
        return []
    runs = [p.parent for p in root.glob(f"*/*/{EVENTS_FILE}") if p.is_file()]
    return sorted(runs, key=lambda run: (_start_time(run), str(run)), reverse=True)


def _start_time(run: Path) -> float:
    """The time of the first event (the first start), else the events file's modification time."""
    path = run / EVENTS_FILE
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            first = handle.readline()
        item = decode(first) if first.endswith("\n") else None
        return item[0] if item is not None else path.stat().st_mtime
    except OSError:
        return 0.0


def pid_alive(pid: int) -> bool:
    """True while a process with this pid exists (os.kill(pid, 0) semantics; never sends a signal)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _pid_alive_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def _pid_alive_windows(pid: int) -> bool:
    """os.kill(pid, 0) would terminate the process on Windows: ask OpenProcess/GetExitCodeProcess."""
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    process_query_limited_information, still_active, error_access_denied = 0x1000, 259, 5
    handle = kernel32.OpenProcess(process_query_limited_information, False, pid)
    if not handle:
        return ctypes.get_last_error() == error_access_denied  # type: ignore[attr-defined]
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)
