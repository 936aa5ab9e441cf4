"""Progress events: speed and ETA from recent steps; the heartbeat thread repeats the last progress while
a long step, validation or export says nothing."""

from __future__ import annotations

import time

from studio.engine import progress
from studio.engine.progress import ProgressReporter
from studio.events import EventWriter, read_events


def test_steps_emit_progress_with_speed_and_the_final_step_always(tmp_path):
    writer = EventWriter(tmp_path / "events.jsonl")
    reporter = ProgressReporter(writer, total_steps=3, batch=4, bar=False)
    reporter.start_epoch(0, 1, 3, 0)
    for step in (1, 2, 3):
        reporter.step(0, step, {"train/box_loss": 1.0})
    found = [e for _, e in read_events(tmp_path / "events.jsonl")]
    assert found[0].step == 1 and found[-1].step == 3 and found[-1].total == 3
    assert found[-1].images_per_s > 0 and found[-1].eta_s == 0.0


def test_the_heartbeat_repeats_the_last_progress_when_silent(tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "SILENT_S", 0.0)
    writer = EventWriter(tmp_path / "events.jsonl")
    reporter = ProgressReporter(writer, total_steps=10, batch=2, bar=False)
    reporter.beat(0, 4)
    reporter.start_heartbeat()
    deadline = time.monotonic() + 20
    try:
        while len(read_events(tmp_path / "events.jsonl")) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the file the thread writes, with a deadline
    finally:
        reporter.stop_heartbeat()
    beats = [e for _, e in read_events(tmp_path / "events.jsonl")]
    assert len(beats) >= 3 and {(e.epoch, e.step) for e in beats} == {(1, 4)}


def test_validation_ticks_send_progress_only_when_one_is_due(tmp_path, monkeypatch):
    """A validation batch calls tick(): one event per HEARTBEAT_S, not one per batch."""
    clock = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    writer = EventWriter(tmp_path / "events.jsonl")
    reporter = ProgressReporter(writer, total_steps=10, batch=2, bar=False)
    reporter.beat(0, 4)
    for _ in range(50):  # 50 val batches within one second
        clock[0] += 0.02
        reporter.tick(0, 4)
    assert len(read_events(tmp_path / "events.jsonl")) == 1
    clock[0] += progress.HEARTBEAT_S
    reporter.tick(0, 4)
    assert len(read_events(tmp_path / "events.jsonl")) == 2
