"""RunWatcher tails a run's events.jsonl into a RunState: progress, metrics, finished, partial lines,
crashed workers, resumes; find_runs lists run folders newest first."""

from __future__ import annotations

import subprocess
import sys

from studio.events import EventWriter, Progress, Started, encode
from studio.jobs.run_monitor import RUN_STATUSES, RunState, RunWatcher, find_runs, pid_alive, read_state

HOST = "this-host"


def _writer(run):
    return EventWriter(run / "events.jsonl")


def _watcher(run, alive=True):
    return RunWatcher(run, pid_alive=lambda pid: alive, host=HOST)


def _start(writer, epochs=3, pid=1234, host=HOST, resumed_from=None):
    writer.emit(Started(pid, host, {"epochs": epochs, "task": "detect"}, resumed_from))


def test_a_run_goes_queued_running_finished(tmp_path):
    run = tmp_path / "detect" / "train"
    watcher = _watcher(run)
    assert (watcher.state.status, watcher.state.task, watcher.state.name) == ("queued", "detect", "train")
    assert watcher.poll() is False  # no events file yet
    writer = _writer(run)
    _start(writer)
    assert watcher.poll() is True
    state = watcher.state
    assert (state.status, state.pid, state.host, state.epochs) == ("running", 1234, HOST, 3)
    writer.emit(Progress(2, 5, 10, 12.5, 4.0))
    writer.metric(1, "train/box_loss", 1.5)
    writer.metric(1, "metrics/mAP50(B)", 0.25, "val")
    writer.log("hello")
    writer.artifact("checkpoint", run / "weights" / "last.pt")
    assert watcher.poll() is True
    assert (state.epoch, state.step, state.total, state.images_per_s, state.eta_s) == (2, 5, 10, 12.5, 4.0)
    assert state.fraction == 0.5 and state.label == "2/3 epochs"
    assert state.metrics == {"train/box_loss": [(1, 1.5)], "metrics/mAP50(B)": [(1, 0.25)]}
    assert state.logs == [("info", "hello")]
    assert state.artifacts == [("checkpoint", str(run / "weights" / "last.pt"))]
    assert watcher.poll() is False  # nothing new
    writer.metric(2, "train/box_loss", 1.0)
    writer.finished("ok")
    assert watcher.poll() is True
    assert state.status == "finished" and state.error is None and state.active is False
    assert state.metrics["train/box_loss"] == [(1, 1.5), (2, 1.0)]
    assert state.last_value("train/box_loss") == 1.0
    assert state.updated > 0 and state.status in RUN_STATUSES


def test_a_failed_run_keeps_its_error_and_traceback(tmp_path):
    run = tmp_path / "pose" / "train2"
    writer = _writer(run)
    _start(writer)
    writer.finished("failed", "DatasetFormatError: no labels", "Traceback ...")
    state = read_state(run, pid_alive=lambda pid: False, host=HOST)
    assert (state.status, state.error, state.traceback) == ("failed", "DatasetFormatError: no labels",
                                                            "Traceback ...")


def test_a_partial_last_line_waits_for_the_next_poll(tmp_path):
    run = tmp_path / "detect" / "train"
    run.mkdir(parents=True)
    line = encode(Started(7, HOST, {"epochs": 2}))
    path = run / "events.jsonl"
    path.write_text(line[:20], encoding="utf-8")
    watcher = _watcher(run)
    assert watcher.poll() is False and watcher.state.status == "queued"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line[20:])  # complete but no newline yet
    assert watcher.poll() is False
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n" + encode(Progress(1, 1, 4, 1.0, 3.0)) + "\nnot json\n")
    assert watcher.poll() is True
    assert (watcher.state.status, watcher.state.pid, watcher.state.step) == ("running", 7, 1)


def test_a_file_that_shrank_is_read_again_from_the_start(tmp_path):
    run = tmp_path / "detect" / "train"
    writer = _writer(run)
    _start(writer, epochs=5)
    writer.metric(1, "train/box_loss", 2.0)
    writer.log("one")
    watcher = _watcher(run)
    watcher.poll()
    writer.close()
    (run / "events.jsonl").write_text(encode(Started(99, HOST, {"epochs": 2})) + "\n", encoding="utf-8")
    assert watcher.poll() is True
    state = watcher.state
    assert (state.pid, state.epochs, state.metrics, state.logs) == (99, 2, {}, [])


def test_a_dead_worker_without_finished_is_crashed(tmp_path):
    run = tmp_path / "detect" / "train"
    writer = _writer(run)
    _start(writer, pid=4321)
    alive = {"now": True}
    watcher = RunWatcher(run, pid_alive=lambda pid: alive["now"], host=HOST)
    assert watcher.poll() is True and watcher.state.status == "running"
    alive["now"] = False
    assert watcher.poll() is True
    assert watcher.state.status == "crashed"
    assert watcher.state.error == "the worker process (pid 4321) ended without a finished event"
    assert watcher.poll() is False  # stays crashed, no change


def test_a_dead_worker_that_finished_is_not_crashed(tmp_path):
    run = tmp_path / "detect" / "train"
    writer = _writer(run)
    _start(writer)
    writer.finished("cancelled")
    state = read_state(run, pid_alive=lambda pid: False, host=HOST)
    assert state.status == "cancelled"


def test_a_run_on_another_host_is_never_declared_crashed(tmp_path):
    run = tmp_path / "detect" / "train"
    _start(_writer(run), host="gpu-server")
    assert read_state(run, pid_alive=lambda pid: False, host=HOST).status == "running"


def test_a_real_ended_process_is_not_alive():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert pid_alive(child.pid) is False
    assert pid_alive(0) is False and pid_alive(-1) is False


def test_the_current_process_is_alive():
    import os

    assert pid_alive(os.getpid()) is True


def test_a_resume_after_finished_runs_again_and_replaces_rerun_epochs(tmp_path):
    run = tmp_path / "detect" / "train"
    writer = _writer(run)
    _start(writer, epochs=3)
    for epoch in (1, 2, 3):
        writer.metric(epoch, "train/box_loss", 10.0 - epoch)
    writer.finished("cancelled")
    watcher = _watcher(run)
    watcher.poll()
    assert watcher.state.status == "cancelled"
    _start(writer, epochs=5, pid=555, resumed_from=str(run / "weights" / "last.pt"))
    assert watcher.poll() is True
    state = watcher.state
    assert (state.status, state.pid, state.epochs) == ("running", 555, 5)
    assert state.resumed_from == str(run / "weights" / "last.pt")
    writer.metric(3, "train/box_loss", 1.0)
    writer.finished("ok")
    watcher.poll()
    assert state.status == "finished"
    assert state.metrics["train/box_loss"] == [(1, 9.0), (2, 8.0), (3, 1.0)]


def test_a_resume_after_a_crash_runs_again(tmp_path):
    run = tmp_path / "detect" / "train"
    writer = _writer(run)
    _start(writer, pid=1)
    dead = {1}
    watcher = RunWatcher(run, pid_alive=lambda pid: pid not in dead, host=HOST)
    watcher.poll()
    assert watcher.state.status == "crashed"
    _start(writer, pid=2)
    assert watcher.poll() is True
    assert watcher.state.status == "running" and watcher.state.error is None


def test_non_finite_metrics_are_left_out_and_logs_are_capped(tmp_path):
    run = tmp_path / "detect" / "train"
    writer = _writer(run)
    _start(writer)
    writer.metric(1, "train/box_loss", float("nan"))
    for i in range(250):
        writer.log(f"line {i}", "warning")
    state = read_state(run, pid_alive=lambda pid: True, host=HOST)
    assert state.metrics == {}
    assert len(state.logs) == 200 and state.logs[-1] == ("warning", "line 249")


def test_labels_and_fractions():
    state = RunState.for_run("runs/detect/train")
    assert (state.label, state.fraction, state.status) == ("", 0.0, "queued")
    state.epoch = 4
    assert state.label == "epoch 4"
    state.epochs, state.step, state.total = 10, 30, 20
    assert state.label == "4/10 epochs" and state.fraction == 1.0


def test_find_runs_lists_run_folders_newest_first(tmp_path):
    times = {"detect/train": 100.0, "detect/train2": 300.0, "pose/train": 200.0}
    for rel, when in times.items():
        run = tmp_path / rel
        run.mkdir(parents=True)
        (run / "events.jsonl").write_text(encode(Started(1, HOST, {}), now=when) + "\n", encoding="utf-8")
    (tmp_path / "detect" / "empty").mkdir()  # no events.jsonl: not a run
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    assert find_runs(tmp_path) == [tmp_path / "detect" / "train2", tmp_path / "pose" / "train",
                                   tmp_path / "detect" / "train"]
    assert find_runs(tmp_path / "missing") == []
