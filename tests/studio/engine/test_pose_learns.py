"""Pose learning is proven, not assumed: the n pose model overfits 8 generated stick-figure images (7
keypoints each figure) to keypoint OKS AP50 >= 0.8 (pycocotools, iouType "keypoints", on those same images)
within a few CPU minutes; a pose run resumes exactly and ends with an ONNX export carrying its skeleton."""

from __future__ import annotations

import csv
import json

import pytest

from studio.data.augment import AugmentConfig
from studio.engine.config import TrainConfig
from studio.export.onnx import read_metadata
from studio.jobs.train_job import run_training
from studio.pose_shapes import make_stick_figures
from tests.model_helpers import step_losses

# batch 4 gives two steps per epoch; no mosaic: the figures stay large enough to place 7 keypoints
LEARN = dict(task="pose", imgsz=160, epochs=100, batch=4, workers=0, device="cpu", export=False, patience=0,
             augment=AugmentConfig(mosaic=0.0))


def test_n_pose_model_overfits_eight_stick_figure_images(tmp_path):
    data = make_stick_figures(tmp_path / "figures", num_images=8, size=160)
    outcome = run_training(TrainConfig(data=str(data), project=str(tmp_path / "runs"), **LEARN), bar=False)
    assert outcome.status == "ok" and outcome.run.parent.name == "pose"
    with open(outcome.run / "results.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    best = max(float(r["metrics/mAP50(P)"]) for r in rows)
    assert best >= 0.8, [r["metrics/mAP50(P)"] for r in rows]
    first, last = float(rows[0]["train/kpt_loss"]), float(rows[-1]["train/kpt_loss"])
    assert last < 0.6 * first
    assert any("keypoint OKS AP50" in line for line in outcome.summary)


def test_a_pose_run_stopped_mid_epoch_resumes_with_the_same_losses(tmp_path):
    data = make_stick_figures(tmp_path / "figures", num_images=8, size=64)
    base = TrainConfig(data=str(data), project=str(tmp_path / "runs"), task="pose", imgsz=64, epochs=2,
                       batch=4, workers=0, device="cpu", export=False, deterministic=True, warmup_epochs=0.0)

    done, straight = step_losses(base.with_(name="straight", export=True))
    first, part1 = step_losses(base.with_(name="interrupted", max_steps=3))
    _, part2 = step_losses(base, resume=first.run)
    assert sorted(part1 | part2) == sorted(straight) == [1, 2, 3, 4]
    for step, parts in straight.items():
        assert len(parts) == 5  # box, cls, dfl, kpt, kobj
        assert (part1 | part2)[step] == pytest.approx(parts, abs=1e-5), step
    meta = read_metadata(done.run / "model.onnx")  # the end of a pose run exports with its skeleton
    assert meta["task"] == "pose" and meta["num_keypoints"] == "7" and json.loads(meta["skeleton"])
    assert any(line.startswith("parity: ok") for line in done.summary), done.summary
