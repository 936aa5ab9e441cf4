"""The job launcher: a worker runs in its own process with its output in <run>/worker.log, its exit code comes
back in ``ended``, Stop is SIGTERM then SIGKILL after the grace period, and a worker started elsewhere (its
pid from the run's ``started`` event) is stopped the same way. Small Python scripts stand in for workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.jobs.launcher import UNKNOWN_EXIT, WORKER_LOG, JobLauncher, JobLaunchError
from studio.events import EventWriter, Started
from studio.jobs.run_monitor import pid_alive

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

# a worker that says it is ready, then waits; SIGTERM ends it with 130 (as `tern train` does)
GRACEFUL = textwrap.dedent("""
    import signal, sys, time
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    print("ready", flush=True)
    time.sleep(60)
""")
STUBBORN = textwrap.dedent("""
    import signal, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("ready", flush=True)
    time.sleep(60)
""")


@pytest.fixture
def launcher(qtbot):
    launcher = JobLauncher(grace_ms=10_000, poll_ms=50)
    yield launcher
    for run in launcher.running():  # never leave a worker behind
        launcher.grace_ms = 0
        launcher.stop(run)
    qtbot.waitUntil(lambda: not launcher.running(), timeout=10_000)


def _ready(run: Path) -> bool:
    log = run / WORKER_LOG
    return log.is_file() and "ready" in log.read_text().splitlines()[1:]  # line 1: the command


def test_a_worker_runs_with_its_output_in_worker_log(launcher, qtbot, tmp_path):
    run = tmp_path / "runs" / "detect" / "a"  # not there yet: made by start
    argv = [sys.executable, "-c", "import sys; print('hello'); print('oops', file=sys.stderr); sys.exit(3)"]
    with qtbot.waitSignal(launcher.started, timeout=5000) as started:
        launcher.start(argv, run)
    assert started.args == [run]
    assert launcher.is_running(run) and launcher.running() == [run]
    with qtbot.waitSignal(launcher.ended, timeout=10_000) as ended:
        pass
    assert ended.args == [run, 3]
    assert not launcher.is_running(run)
    log = (run / WORKER_LOG).read_text()
    assert "hello" in log and "oops" in log and "-c" in log.splitlines()[0]  # the command line heads it


def test_stop_is_a_graceful_sigterm(launcher, qtbot, tmp_path):
    run = tmp_path / "run"
    launcher.start([sys.executable, "-c", GRACEFUL], run)
    qtbot.waitUntil(lambda: _ready(run), timeout=10_000)
    with qtbot.waitSignal(launcher.ended, timeout=10_000) as ended:
        launcher.stop(run)
    assert ended.args == [run, 130]


def test_a_worker_that_ignores_sigterm_is_killed_after_the_grace_period(launcher, qtbot, tmp_path):
    launcher.grace_ms = 300
    run = tmp_path / "run"
    launcher.start([sys.executable, "-c", STUBBORN], run)
    qtbot.waitUntil(lambda: _ready(run), timeout=10_000)
    pid = launcher.pid(run)
    with qtbot.waitSignal(launcher.ended, timeout=10_000) as ended:
        launcher.stop(run)
        qtbot.wait(100)
        assert pid_alive(pid)  # still there within the grace period
    assert ended.args == [run, -signal.SIGKILL]


def test_a_second_start_and_a_missing_program_are_errors(launcher, qtbot, tmp_path):
    run = tmp_path / "run"
    launcher.start([sys.executable, "-c", GRACEFUL], run)
    with pytest.raises(JobLaunchError, match="already has a worker"):
        launcher.start([sys.executable, "-c", GRACEFUL], run)
    other = tmp_path / "other"
    with pytest.raises(JobLaunchError, match="could not start"):
        launcher.start([str(tmp_path / "no-such-program")], other)
    assert "could not start the worker" in (other / WORKER_LOG).read_text()
    assert not launcher.is_running(other)


def test_a_worker_started_elsewhere_is_stopped_by_its_started_pid(launcher, qtbot, tmp_path):
    # an orphan (as after a studio restart): not our child, so only its pid in events.jsonl finds it
    script = ("import subprocess, sys; print(subprocess.Popen([sys.executable, '-c', sys.argv[1]], "
              "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid)")
    pid = int(subprocess.run([sys.executable, "-c", script, GRACEFUL], capture_output=True, text=True,
                             check=True).stdout)
    run = tmp_path / "runs" / "detect" / "elsewhere"
    events = EventWriter(run / "events.jsonl")
    events.emit(Started(pid, socket.gethostname(), {"epochs": 3}))
    events.close()
    assert pid_alive(pid) and not launcher.is_running(run)
    with qtbot.waitSignal(launcher.ended, timeout=10_000) as ended:
        launcher.stop(run)
    assert ended.args == [run, UNKNOWN_EXIT]
    assert not pid_alive(pid)


def test_stop_leaves_runs_of_other_hosts_and_dead_pids_alone(launcher, qtbot, tmp_path, monkeypatch):
    sent = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: sent.append((pid, sig)))
    run = tmp_path / "run"
    events = EventWriter(run / "events.jsonl")
    events.emit(Started(os.getpid(), "another-machine", {}))
    events.close()
    launcher.stop(run)
    launcher.stop(tmp_path / "nothing-here")
    assert sent == [] and launcher.running() == []
