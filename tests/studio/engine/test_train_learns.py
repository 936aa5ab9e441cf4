"""Learning is proven, not assumed: the n detector overfits 8 generated shape images to mAP50 >= 0.9
(the metric is pycocotools' on those same images) within a CPU budget of about two minutes."""

from __future__ import annotations

import csv

from studio.engine.config import TrainConfig
from studio.events import read_events
from studio.jobs.train_job import run_training
from studio.shapes import make_shapes

LEARN = dict(imgsz=128, epochs=150, batch=8, workers=0, device="cpu", export=False, patience=0)


def test_n_detector_overfits_eight_shape_images(tmp_path):
    data = make_shapes(tmp_path / "shapes", num_images=8, size=160)
    cfg = TrainConfig(data=str(data), project=str(tmp_path / "runs"), **LEARN)
    outcome = run_training(cfg, bar=False)
    assert outcome.status == "ok"
    with open(outcome.run / "results.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == cfg.epochs
    best = max(float(r["metrics/mAP50(B)"]) for r in rows)
    assert best >= 0.9, [r["metrics/mAP50(B)"] for r in rows]
    first, last = float(rows[0]["train/box_loss"]), float(rows[-1]["train/box_loss"])
    assert last < 0.5 * first
    kinds = [e.type for _, e in read_events(outcome.run / "events.jsonl")]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert (outcome.run / "weights" / "best.pt").is_file()
    assert (outcome.run / "plots" / "results.png").is_file()
