"""A training job end to end: run folder, config.yaml, events (started ... finished), the trainer, then
the final report (validation of best.pt with plots, ONNX export). Every failure ends with
``finished(status="failed", error, traceback)`` before the exception goes on to the caller."""

from __future__ import annotations

import signal
import sys
import threading
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from studio.engine import distributed as ddp
from studio.engine.checkpoint import load_checkpoint
from studio.engine.config import TrainConfig, save_config
from studio.engine.device import select_device
from studio.engine.run_dir import next_run_dir
from studio.engine.stop import StopFlag
from studio.engine.trainer import Trainer
from studio.errors import CheckpointError, ConfigError
from studio.events import EventWriter
from studio.jobs.tasks import TASKS
from studio.jobs.worker_error import from_worker


@dataclass
class TrainOutcome:
    run: Path
    status: str                                   # ok | cancelled | failed
    summary: list[str] = field(default_factory=list)  # lines for the terminal


def resume_source(path: Path | str) -> tuple[Path, dict]:
    """(run folder, last checkpoint) from a run folder or a weights/last.pt path."""
    path = Path(path)
    last = path / "weights" / "last.pt" if path.is_dir() else path
    if not last.is_file():
        raise CheckpointError(last, "nothing to resume here: give a run folder (runs/detect/train) or its "
                                    "weights/last.pt")
    return last.parent.parent, load_checkpoint(last)


def resumed_config(ckpt: dict, epochs: int | None, overrides: dict) -> TrainConfig:
    cfg = TrainConfig.from_dict(ckpt["train_config"]).with_(max_steps=0, **overrides)
    if epochs is not None:
        if epochs < int(ckpt["epoch"]):
            raise ConfigError(f"--epochs {epochs} is fewer than the {ckpt['epoch']} epochs this run has done")
        cfg = cfg.with_(epochs=epochs)
    if int(ckpt["epoch"]) >= cfg.epochs:
        raise ConfigError(f"this run finished all {cfg.epochs} epochs; pass a larger --epochs to extend it")
    return cfg


def run_training(cfg: TrainConfig, *, resume: Path | str | None = None, resume_epochs: int | None = None,
                 resume_overrides: dict | None = None, events_stdout: bool = False, bar: bool = True,
                 on_step: Callable[[int, list[float]], None] | None = None) -> TrainOutcome:
    with _signals_restored():
        return _run(cfg, resume, resume_epochs, resume_overrides, events_stdout, bar, on_step)


def _run(cfg, resume, resume_epochs, resume_overrides, events_stdout, bar, on_step) -> TrainOutcome:
    dist = ddp.from_env()
    stop = StopFlag()
    stop.install()  # before anything slow: a SIGTERM during set-up still ends with last.pt and `finished`
    ckpt = None
    if resume is not None:
        run, ckpt = resume_source(resume)
        cfg = resumed_config(ckpt, resume_epochs, resume_overrides or {})
    ddp.init(dist, select_device(cfg.device, dist.local_rank))
    if resume is None:
        run = ddp.broadcast(next_run_dir(cfg.project, cfg.task, cfg.name), dist)
    events = EventWriter(run / "events.jsonl" if dist.is_main else None,
                         echo=sys.stdout if events_stdout and dist.is_main else None)
    if dist.is_main:
        run.mkdir(parents=True, exist_ok=True)
        save_config(cfg, run / "config.yaml")
        events.started(cfg.to_dict(), str(run / "weights" / "last.pt") if ckpt is not None else None)
    try:
        return _train(cfg, run, ckpt, events, dist, stop, bar, on_step)
    except KeyboardInterrupt:
        events.finished("cancelled", "interrupted")
        raise
    except BaseException as exc:
        error = from_worker(exc)  # a corrupt image found by a loader worker: its own one-line message
        events.finished("failed", f"{type(error).__name__}: {error}", traceback.format_exc())
        if error is not exc:
            raise error from exc
        raise
    finally:
        events.close()
        ddp.shutdown(dist)


def _train(cfg, run, ckpt, events, dist, stop, bar, on_step) -> TrainOutcome:
    task = TASKS[cfg.task][cfg.arch](cfg)
    trainer = Trainer(cfg, run, task, events=events, dist=dist, stop=stop, resume=ckpt, on_step=on_step,
                      bar=bar)
    trainer.setup()
    trainer.progress.start_heartbeat()
    try:
        status = trainer.fit()
        outcome = TrainOutcome(run, "cancelled" if status == "cancelled" else "ok")
        if status == "stopped":
            events.log(f"stopped after --max-steps {cfg.max_steps}; weights/last.pt resumes the run")
        if status != "cancelled" and dist.is_main:
            outcome.summary = task.finish(trainer, run, events)
            if trainer.cancelled():  # a cancel during the final report: the weights are saved, no export
                status, outcome.status = "cancelled", "cancelled"
    finally:
        trainer.progress.stop_heartbeat()
    ddp.barrier(dist)
    events.finished("cancelled" if status == "cancelled" else "ok",
                    stop.reason if status == "cancelled" else None)
    return outcome


@contextmanager
def _signals_restored():
    """StopFlag takes SIGTERM and SIGINT for the run; give the caller (a test, the GUI's in-process use)
    its own handlers back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
