"""The event protocol (DESIGN.md sections 2-3): what a job says, one JSON object per line.

Every line is ``{"v": 1, "type": ..., "time": ...}`` plus the fields of its type. ``<run>/events.jsonl`` is
the source of truth; ``--events`` mirrors each line to stdout. No tensors, Qt objects or pickles cross it.
"""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

VERSION = 1
FINISHED_STATUSES = ("ok", "cancelled", "failed")
ARTIFACT_KINDS = ("checkpoint", "best", "onnx", "plot", "predictions", "report", "dataset")


@dataclass(frozen=True)
class Started:
    pid: int
    host: str
    config: dict[str, Any]
    resumed_from: str | None = None
    type: str = "started"


@dataclass(frozen=True)
class Progress:
    epoch: int
    step: int
    total: int
    images_per_s: float
    eta_s: float
    type: str = "progress"


@dataclass(frozen=True)
class Metric:
    """``value`` is None when it was not finite (JSON has no NaN)."""

    epoch: int
    name: str
    value: float | None
    split: str = "train"
    type: str = "metric"


@dataclass(frozen=True)
class Log:
    level: str
    message: str
    type: str = "log"


@dataclass(frozen=True)
class Artifact:
    kind: str
    path: str
    type: str = "artifact"


@dataclass(frozen=True)
class Finished:
    status: str
    error: str | None = None
    traceback: str | None = None
    type: str = "finished"


Event = Started | Progress | Metric | Log | Artifact | Finished
TYPES: dict[str, type] = {cls.type: cls for cls in (Started, Progress, Metric, Log, Artifact, Finished)}


def encode(event: Event, now: float | None = None) -> str:
    """One JSON line (no newline) for ``event``."""
    body = asdict(event)
    kind = body.pop("type")
    if isinstance(body.get("value"), float) and not math.isfinite(body["value"]):
        body["value"] = None
    return json.dumps({"v": VERSION, "type": kind, "time": round(now or time.time(), 3), **body},
                      allow_nan=False, default=_plain)


def decode(line: str) -> tuple[float, Event] | None:
    """(time, event) from one line; None for a blank, partial or unknown line (a reader skips those)."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict) or obj.get("v") != VERSION or obj.get("type") not in TYPES:
        return None
    cls = TYPES[obj["type"]]
    fields = {k: v for k, v in obj.items() if k not in ("v", "type", "time")}
    try:
        return float(obj.get("time", 0.0)), cls(**fields)
    except TypeError:
        return None


def read_events(path: Path | str) -> list[tuple[float, Event]]:
    """Every complete event in an events.jsonl (a half-written last line is ignored)."""
    out = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.endswith("\n") and (item := decode(line)) is not None:
                out.append(item)
    return out


@dataclass
class EventWriter:
    """Appends events to ``path`` (flushed per line, so a reader tails it live); ``echo`` mirrors to a
    stream (``--events``). A writer with ``path=None`` and no echo is silent (DDP ranks other than 0)."""

    path: Path | None
    echo: IO[str] | None = None
    _handle: IO[str] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def emit(self, event: Event) -> None:
        """Thread-safe: the heartbeat thread and the training loop both write."""
        with self._lock:
            self._write(encode(event) + "\n")

    def _write(self, line: str) -> None:
        if self.path is not None:
            if self._handle is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
            self._handle.write(line)
            self._handle.flush()
        if self.echo is not None:
            self.echo.write(line)
            self.echo.flush()

    def started(self, config: dict[str, Any], resumed_from: str | None = None) -> None:
        self.emit(Started(os.getpid(), socket.gethostname(), config, resumed_from))

    def metric(self, epoch: int, name: str, value: float, split: str = "train") -> None:
        self.emit(Metric(epoch, name, float(value), split))

    def log(self, message: str, level: str = "info") -> None:
        self.emit(Log(level, message))

    def artifact(self, kind: str, path: Path | str) -> None:
        assert kind in ARTIFACT_KINDS, kind
        self.emit(Artifact(kind, str(path)))

    def finished(self, status: str, error: str | None = None, traceback: str | None = None) -> None:
        assert status in FINISHED_STATUSES, status
        self.emit(Finished(status, error, traceback))

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _plain(value: Any) -> Any:
    """JSON for numpy scalars and paths that slip into configs."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)
