"""The frame of a one-shot job (val, predict): a run folder, ``started``, the work, then ``finished`` ok, or
failed with the error and traceback before the exception goes on (a DataLoader worker's error comes back
as the typed error it was)."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from studio.engine.run_dir import next_run_dir
from studio.events import EventWriter
from studio.jobs.worker_error import from_worker

T = TypeVar("T")


def weights_task(weights: Path | str) -> str:
    """"pose" for a pose model's checkpoint or export, else "detect" (also when the file cannot be read:
    the job itself then fails with the reason, in its run folder)."""
    from studio.engine.checkpoint import load_checkpoint

    path = Path(weights)
    try:
        if path.suffix.lower() == ".onnx":
            from studio.export.onnx import read_metadata

            return "pose" if read_metadata(path).get("task") == "pose" else "detect"
        config = load_checkpoint(path, mmap=True).get("model_config") or {}  # the tensors are not read
        return "pose" if int(config.get("num_keypoints", 0) or 0) > 0 else "detect"
    except Exception:  # any unreadable file: the job reports it properly
        return "detect"


def run_job(command: str, opts: Any, work: Callable[[Any, Path, EventWriter], T], *,
            events_stdout: bool = False) -> T:
    """``work(opts, run, events)`` in a new ``<opts.project>/<task>/<opts.name>`` folder, task being the
    weights' (pose or detect)."""
    run = next_run_dir(opts.project, weights_task(opts.weights), opts.name)
    events = EventWriter(run / "events.jsonl", echo=sys.stdout if events_stdout else None)
    events.started({"command": command, **asdict(opts)})
    try:
        outcome = work(opts, run, events)
    except BaseException as exc:
        error = from_worker(exc)
        events.finished("failed", f"{type(error).__name__}: {error}", traceback.format_exc())
        events.close()
        if error is not exc:
            raise error from exc
        raise
    events.finished("ok")
    events.close()
    return outcome
