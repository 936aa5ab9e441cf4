"""Detection on the real coco128 data in ../shared/data (skips without it; fails in CI via
TERN_REQUIRE_DATA=1): our mAP equals pycocotools run on the official json and our predictions.json."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from studio.data.records import records_from_dataset
from studio.evaluation.coco_map import evaluate_detections, to_coco_results
from studio.io.coco import load_coco


def _noisy_predictions(records, rng) -> dict[int, np.ndarray]:
    """Ground truth jittered, with random scores, a third of the boxes missed and some false positives."""
    out = {}
    for rec in records:
        keep = rng.random(len(rec.boxes)) > 0.33
        boxes = rec.boxes[keep].astype(np.float64)
        size = np.stack([boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], 1).repeat(2, 1)
        boxes = boxes + rng.normal(0, 0.08, boxes.shape) * size
        wrong = rng.uniform(0, min(rec.width, rec.height) / 2, (2, 4))
        wrong[:, 2:] += wrong[:, :2] + 10
        classes = np.concatenate([rec.classes[keep], rng.integers(0, 80, 2)])
        scores = rng.uniform(0.05, 1.0, len(classes))
        out[rec.image_id] = np.column_stack([np.vstack([boxes, wrong]), scores, classes]).astype(np.float32)
    return out


@pytest.mark.data
def test_coco128_map_equals_pycocotools_on_the_official_json(shared_data, tmp_path):
    gt_json = shared_data / "coco128" / "annotations" / "instances_train2017.json"
    dataset, problems = load_coco(gt_json)
    assert not [p for p in problems if p.severity == "error"]
    records = records_from_dataset(dataset, None)
    cats = sorted(dataset.categories, key=lambda c: c.id)
    class_ids, names = [c.id for c in cats], [c.name for c in cats]
    predictions = _noisy_predictions(records, np.random.default_rng(0))

    ours = evaluate_detections(records, predictions, class_ids, names)

    results = tmp_path / "predictions.json"
    results.write_text(json.dumps(to_coco_results(predictions, class_ids)))
    coco = COCO(str(gt_json))
    reference = COCOeval(coco, coco.loadRes(str(results)), "bbox")
    reference.evaluate()
    reference.accumulate()
    reference.summarize()
    assert 0.2 < ours.map < 0.9  # a real, non-trivial number
    assert ours.map == pytest.approx(reference.stats[0], abs=1e-12)
    assert ours.map50 == pytest.approx(reference.stats[1], abs=1e-12)
