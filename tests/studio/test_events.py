"""The event protocol: lines round-trip, a half-written line is skipped, unknown types are ignored."""

from __future__ import annotations

import io
import json
import math

from studio.events import (
    Artifact,
    EventWriter,
    Finished,
    Metric,
    Progress,
    Started,
    decode,
    encode,
    read_events,
)


def test_every_event_round_trips_with_version_and_time():
    events = [Started(12, "host", {"epochs": 3}, None), Progress(1, 5, 10, 12.5, 3.0),
              Metric(1, "metrics/mAP50(B)", 0.5, "val"), Artifact("best", "runs/detect/a/weights/best.pt"),
              Finished("failed", "ValueError: x", "Traceback ...")]
    for event in events:
        line = encode(event, now=100.0)
        obj = json.loads(line)
        assert obj["v"] == 1 and obj["type"] == event.type and obj["time"] == 100.0
        assert decode(line) == (100.0, event)


def test_writer_appends_lines_and_mirrors_to_a_stream(tmp_path):
    echo = io.StringIO()
    writer = EventWriter(tmp_path / "run" / "events.jsonl", echo=echo)
    writer.started({"a": 1})
    writer.metric(2, "train/box_loss", 1.25)
    writer.finished("ok")
    writer.close()
    read = [e for _, e in read_events(tmp_path / "run" / "events.jsonl")]
    assert [e.type for e in read] == ["started", "metric", "finished"]
    assert read[1] == Metric(2, "train/box_loss", 1.25, "train")
    assert echo.getvalue().count("\n") == 3


def test_reader_skips_a_partial_last_line_and_unknown_types(tmp_path):
    path = tmp_path / "events.jsonl"
    good = encode(Metric(1, "lr/pg0", 0.01))
    path.write_text(good + "\n" + json.dumps({"v": 1, "type": "mystery", "time": 1}) + "\n"
                    + json.dumps({"v": 99, "type": "log"}) + "\n" + good[:20], encoding="utf-8")
    assert [e for _, e in read_events(path)] == [Metric(1, "lr/pg0", 0.01)]


def test_non_finite_metric_values_are_written_as_null():
    line = encode(Metric(1, "train/box_loss", math.nan))
    assert json.loads(line)["value"] is None
