"""Resume is exact: a deterministic CPU run stopped mid-epoch and resumed logs the same per-step losses
as the run that was never interrupted (within 1e-5), and a finished run can be extended."""

from __future__ import annotations

import pytest

from studio.engine.config import TrainConfig
from studio.errors import ConfigError
from studio.events import read_events
from studio.jobs.train_job import run_training
from studio.shapes import make_shapes
from tests.model_helpers import step_losses

TINY = dict(imgsz=64, epochs=3, batch=4, workers=0, device="cpu", export=False, deterministic=True,
            warmup_epochs=0.0)


def test_stopped_mid_epoch_and_resumed_matches_the_uninterrupted_run(tmp_path):
    data = make_shapes(tmp_path / "shapes", num_images=8, size=64)
    base = TrainConfig(data=str(data), project=str(tmp_path / "runs"), **TINY)
    _, straight = step_losses(base.with_(name="straight"))
    assert sorted(straight) == list(range(1, 7))  # 3 epochs x 2 steps

    first, part1 = step_losses(base.with_(name="interrupted", max_steps=3))  # stops in the middle of epoch 2
    assert sorted(part1) == [1, 2, 3]
    _, part2 = step_losses(base, resume=first.run)
    assert sorted(part2) == [4, 5, 6]
    for step in range(1, 7):
        got = (part1 | part2)[step]
        assert got == pytest.approx(straight[step], abs=1e-5), step
    started = [e for _, e in read_events(first.run / "events.jsonl") if e.type == "started"]
    assert len(started) == 2 and started[1].resumed_from.endswith("last.pt")


def test_a_finished_run_extends_with_more_epochs_and_refuses_fewer(tmp_path):
    data = make_shapes(tmp_path / "shapes", num_images=4, size=64)
    cfg = TrainConfig(data=str(data), project=str(tmp_path / "runs"), **{**TINY, "epochs": 1})
    done, _ = step_losses(cfg)
    with pytest.raises(ConfigError, match="finished all 1 epochs"):
        run_training(cfg, resume=done.run, bar=False)
    _, more = step_losses(cfg, resume=done.run, resume_epochs=2)
    assert sorted(more) == [2]
    rows = (done.run / "results.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["1", "2"]
