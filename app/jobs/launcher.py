"""Starts ``tern`` worker processes for run folders and stops them (DESIGN.md section 2: jobs are processes).

A worker is started in its own session with stdout and stderr appended to ``<run>/worker.log``, so it
outlives the studio: closing the window leaves training running, and the next studio re-attaches to it by
reading the run folder (the jobs panel). That is why this is ``subprocess.Popen`` and not a ``QProcess``: a
QProcess kills its child when it is destroyed, and PySide6's detached start gives no pid. A timer reaps
the workers (``Popen.poll``), so the exit code is real and no zombie stays behind.

Stop is graceful first: SIGTERM (the worker finishes its step, saves last.pt and writes
``finished(cancelled)``), then SIGKILL after ``grace_ms`` if it is still there. A run started by an earlier
studio (or a terminal) is stopped the same way through the pid of its ``started`` event on this host.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from studio.jobs.run_monitor import pid_alive, read_state

WORKER_LOG = "worker.log"
UNKNOWN_EXIT = -1  # the exit code of a worker this launcher did not start (re-attached)


class JobLaunchError(RuntimeError):
    """A worker could not be started: the run already has one, or the program cannot run."""


@dataclass
class _Job:
    pid: int
    process: subprocess.Popen | None  # None: re-attached, not our child
    kill_at: float | None = None       # time.monotonic() after which a stopped worker is killed


class JobLauncher(QObject):
    """``started(run)`` once a worker runs for ``run``; ``ended(run, exit_code)`` when it is gone
    (``UNKNOWN_EXIT`` for a re-attached worker)."""

    started = Signal(Path)
    ended = Signal(Path, int)

    def __init__(self, parent: QObject | None = None, grace_ms: int = 60_000, poll_ms: int = 200) -> None:
        super().__init__(parent)
        self.grace_ms = grace_ms
        self._jobs: dict[Path, _Job] = {}
        self._timer = QTimer(self, interval=poll_ms)
        self._timer.timeout.connect(self._check)

    # ------------------------------------------------------------------ starting
    def start(self, argv: list[str], run: Path) -> None:
        """Run ``argv`` (program first) for the run folder ``run`` (made if missing). JobLaunchError when
        the run has a worker already or the program cannot start."""
        run = Path(run)
        if self.is_running(run):
            raise JobLaunchError(f"{run} already has a worker running; stop it first")
        run.mkdir(parents=True, exist_ok=True)
        log_path = run / WORKER_LOG
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] {subprocess.list2cmdline(argv)}\n")
            log.flush()
            try:
                process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                           stderr=subprocess.STDOUT, env=env, **_detached())
            except OSError as exc:
                log.write(f"could not start the worker: {exc}\n")
                raise JobLaunchError(f"could not start {argv[0]}: {exc}") from exc
        self._jobs[run] = _Job(process.pid, process)
        self._timer.start()
        self.started.emit(run)

    # ------------------------------------------------------------------ stopping
    def stop(self, run: Path, pid: int | None = None) -> None:
        """Ask the worker of ``run`` to stop (SIGTERM), and kill it after ``grace_ms``. A run this launcher
        did not start is found by ``pid``, else by the pid of its last ``started`` event on this host.
        Nothing happens when no worker is alive."""
        run = Path(run)
        job = self._jobs.get(run) or self._attach(run, pid)
        if job is None:
            return
        if job.process is not None:
            job.process.terminate()  # SIGTERM; TerminateProcess on Windows
        else:
            _send(job.pid, signal.SIGTERM)
        job.kill_at = time.monotonic() + self.grace_ms / 1000

    def _attach(self, run: Path, pid: int | None) -> _Job | None:
        """Track a worker started elsewhere, so that it is killed after the grace period and ``ended``."""
        if pid is None:
            state = read_state(run)
            if state.status != "running" or state.host != socket.gethostname():
                return None
            pid = state.pid
        if pid is None or not pid_alive(pid):
            return None
        job = self._jobs[run] = _Job(pid, None)
        self._timer.start()
        return job

    # ------------------------------------------------------------------ state
    def running(self) -> list[Path]:
        """Run folders whose worker this launcher started (or is stopping) and that are still alive."""
        return list(self._jobs)

    def is_running(self, run: Path) -> bool:
        return Path(run) in self._jobs

    def pid(self, run: Path) -> int | None:
        job = self._jobs.get(Path(run))
        return job.pid if job is not None else None

    def _check(self) -> None:
        """Timer: reap ended workers (``ended``), kill stopped ones whose grace period is over."""
        for run, job in list(self._jobs.items()):
            code = _exit_code(job)
            if code is not None:
                del self._jobs[run]
                self.ended.emit(run, code)
            elif job.kill_at is not None and time.monotonic() >= job.kill_at:
                job.kill_at = None
                if job.process is not None:
                    job.process.kill()
                else:
                    _send(job.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        if not self._jobs:
            self._timer.stop()


def _exit_code(job: _Job) -> int | None:
    """The exit code once the worker has ended (a signal N reads as -N), else None."""
    if job.process is not None:
        return job.process.poll()
    return None if pid_alive(job.pid) else UNKNOWN_EXIT


def _send(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended in the meantime: the timer reports it
        os.kill(pid, sig)


def _detached() -> dict:
    """Popen options that let the worker outlive the studio and its terminal's Ctrl-C."""
    if sys.platform == "win32":
        flags = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW
        return {"creationflags": flags}
    return {"start_new_session": True}
