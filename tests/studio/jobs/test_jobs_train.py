"""``run_training`` hands the signal handlers it took for graceful cancel back to its caller, whether
the run ends well or fails (a test runner or the GUI keeps its own Ctrl-C)."""

from __future__ import annotations

import signal

import pytest

from studio.engine.config import TrainConfig
from studio.errors import CheckpointError
from studio.jobs.train_job import run_training


def _mine(signum, frame):  # pragma: no cover - never called
    raise AssertionError("not expected to run")


@pytest.fixture
def own_handlers():
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    for sig in saved:
        signal.signal(sig, _mine)
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_a_failed_start_gives_the_signal_handlers_back(tmp_path, own_handlers):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="nothing to resume here"):
        run_training(TrainConfig(), resume=tmp_path / "empty", bar=False)
    assert signal.getsignal(signal.SIGTERM) is _mine and signal.getsignal(signal.SIGINT) is _mine
