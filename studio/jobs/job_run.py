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


def run_job(command: str, opts: Any, work: Callable[[Any, Path, EventWriter], T], *,
            events_stdout: bool = False) -> T:
    """``work(opts, run, events)`` in a new ``<opts.project>/detect/<opts.name>`` folder."""
    run = next_run_dir(opts.project, "detect", opts.name)
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
