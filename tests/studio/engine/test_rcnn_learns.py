"""Learning is proven for the two-stage detector too: Faster R-CNN-FPN on a small backbone (resnet18,
from scratch) overfits 8 generated shape images to mAP50 >= 0.9 (pycocotools, on those images) within a
few CPU minutes, through the same trainer, run folder and resume as the one-stage detector."""

from __future__ import annotations

import csv

import pytest

from studio.engine.config import TrainConfig
from studio.jobs.train_job import run_training
from studio.shapes import make_shapes

LEARN = dict(arch="faster_rcnn", model="n", backbone="resnet18", imgsz=128, max_size=160, batch=4, workers=0,
             device="cpu", export=False, patience=0, lr0=0.02, warmup_epochs=2.0)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    return make_shapes(tmp_path_factory.mktemp("rcnn") / "shapes", num_images=8, size=160)


def test_faster_rcnn_overfits_eight_shape_images(shapes, tmp_path):
    cfg = TrainConfig.for_arch({**LEARN, "epochs": 80, "data": str(shapes), "project": str(tmp_path)})
    outcome = run_training(cfg, bar=False)
    assert outcome.status == "ok"
    with open(outcome.run / "results.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    best = max(float(r["metrics/mAP50(B)"]) for r in rows)
    assert best >= 0.9, [r["metrics/mAP50(B)"] for r in rows]
    first, last = float(rows[0]["train/cls_loss"]), float(rows[-1]["train/cls_loss"])
    assert last < 0.5 * first


def _losses(cfg, **kwargs):
    seen: dict[int, list[float]] = {}
    outcome = run_training(cfg, bar=False, on_step=lambda step, parts: seen.__setitem__(step, parts),
                           **kwargs)
    return outcome, seen


def test_stopped_mid_epoch_and_resumed_logs_the_same_losses(shapes, tmp_path):
    """Deterministic CPU runs: 2 epochs x 2 steps straight vs stopped after step 3 and resumed."""
    base = TrainConfig.for_arch({**LEARN, "epochs": 2, "data": str(shapes), "deterministic": True,
                                 "project": str(tmp_path)})
    _, straight = _losses(base.with_(name="straight"))
    first, part1 = _losses(base.with_(name="interrupted", max_steps=3))
    _, part2 = _losses(base, resume=first.run)
    assert sorted(straight) == [1, 2, 3, 4] and sorted(part1) == [1, 2, 3] and sorted(part2) == [4]
    for step in range(1, 5):
        assert (part1 | part2)[step] == pytest.approx(straight[step], abs=1e-5), step
