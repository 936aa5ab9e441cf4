"""evaluate_detections equals pycocotools run on written json files; precision / recall at the best F1."""

from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from studio.data.records import ImageRecord
from studio.evaluation.coco_map import evaluate_detections, to_coco_results

NAMES = ["cat", "dog", "bird"]
CLASS_IDS = [1, 3, 7]  # the dataset's own category ids (not 0..nc-1)


def record(image_id: int, boxes, classes, crowd=None, size=(200, 300)) -> ImageRecord:
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    classes = np.asarray(classes, dtype=np.int64).reshape(-1)
    crowd = np.zeros(len(classes), bool) if crowd is None else np.asarray(crowd, bool)
    return ImageRecord(image_id, f"/img/{image_id}.jpg", size[1], size[0], boxes, classes, crowd)


def dataset() -> list[ImageRecord]:
    """Three images, classes 0 and 1 (class 2 'bird' has no ground truth), one image empty."""
    return [record(1, [[10, 10, 60, 80], [100, 20, 180, 90]], [0, 1]),
            record(2, [[30, 40, 130, 140]], [0]),
            record(5, [], [])]


def perfect(records) -> dict[int, np.ndarray]:
    return {r.image_id: np.concatenate([r.boxes, np.ones((len(r), 1)), r.classes[:, None]], 1)
            for r in records}


def test_ground_truth_as_predictions_scores_one() -> None:
    records = dataset()
    m = evaluate_detections(records, perfect(records), CLASS_IDS, NAMES)
    # pycocotools divides by tp + fp + eps, so "1" is 1 - 2e-16
    assert (m.map50, m.map, m.precision, m.recall) == pytest.approx((1.0, 1.0, 1.0, 1.0), abs=1e-12)
    assert m.per_class[0] == pytest.approx(("cat", 2, 2, 1.0, 1.0), abs=1e-12)
    assert m.per_class[1] == pytest.approx(("dog", 1, 1, 1.0, 1.0), abs=1e-12)
    name, images, instances, ap50, ap = m.per_class[2]
    assert (name, images, instances) == ("bird", 0, 0) and math.isnan(ap50) and math.isnan(ap)
    assert m.curves.has_gt.tolist() == [True, True, False]


def pycocotools_on_files(tmp_path, gt: dict, results: list) -> np.ndarray:
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "predictions.json").write_text(json.dumps(results))
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(str(tmp_path / "gt.json"))
        coco_eval = COCOeval(coco_gt, coco_gt.loadRes(str(tmp_path / "predictions.json")), "bbox")
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
    return coco_eval.stats


def test_equals_pycocotools_on_json_files(tmp_path) -> None:
    records = [*dataset(), record(8, [[5, 5, 45, 35]], [1])]  # image 8: an object nobody predicted
    predictions = {
        1: np.array([[14, 13, 66, 84, 0.91, 0], [100, 20, 180, 90, 0.45, 0], [101, 22, 178, 95, 0.8, 1],
                     [5, 5, 20, 20, 0.3, 2]], np.float32),
        2: np.array([[30.25, 52.5, 130.75, 150.125, 0.6, 0], [0, 0, 50, 50, 0.7, 1]], np.float32),
        5: np.array([[10, 10, 40, 40, 0.95, 0]], np.float32),
    }
    metrics = evaluate_detections(records, predictions, CLASS_IDS, NAMES)
    gt = {  # written by hand in COCO's xywh, independently of coco_ground_truth
        "images": [{"id": 1, "width": 300, "height": 200, "file_name": "1.jpg"},
                   {"id": 2, "width": 300, "height": 200, "file_name": "2.jpg"},
                   {"id": 5, "width": 300, "height": 200, "file_name": "5.jpg"},
                   {"id": 8, "width": 300, "height": 200, "file_name": "8.jpg"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 70], "area": 3500, "iscrowd": 0},
            {"id": 2, "image_id": 1, "category_id": 3, "bbox": [100, 20, 80, 70], "area": 5600, "iscrowd": 0},
            {"id": 3, "image_id": 2, "category_id": 1, "bbox": [30, 40, 100, 100], "area": 10000,
             "iscrowd": 0},
            {"id": 4, "image_id": 8, "category_id": 3, "bbox": [5, 5, 40, 30], "area": 1200, "iscrowd": 0}],
        "categories": [{"id": i, "name": n} for i, n in zip(CLASS_IDS, NAMES, strict=True)],
    }
    stats = pycocotools_on_files(tmp_path, gt, to_coco_results(predictions, CLASS_IDS))
    assert metrics.map == stats[0]  # exactly: the same numbers pycocotools gives on predictions.json
    assert metrics.map50 == stats[1]
    assert 0 < metrics.map < metrics.map50 < 1


def test_precision_recall_at_best_f1_by_hand() -> None:
    """One class, two objects; detections 0.9 hit, 0.8 miss, 0.7 hit. Below 0.7 F1 is 0.8 (P 2/3, R 1),
    the best: YOLO-style P and R are read there."""
    records = [record(1, [[0, 0, 50, 50], [100, 100, 150, 150]], [0, 0])]
    dets = np.array([[0, 0, 50, 50, 0.9, 0], [200, 0, 250, 50, 0.8, 0], [100, 100, 150, 150, 0.7, 0]],
                    np.float32)
    m = evaluate_detections(records, {1: dets}, [1], ["thing"])
    assert m.precision == pytest.approx(2 / 3) and m.recall == pytest.approx(1.0)
    assert m.curves.best_conf < 0.7
    # below the lowest score every detection counts: F1 0.8; above the highest P is 1 and R 0 (YOLOv8
    # interpolates linearly between the detections' scores)
    c = m.curves
    assert c.f1[0, c.confidence <= 0.7] == pytest.approx(0.8)
    assert (c.p[0, c.confidence > 0.9] == 1).all() and (c.r[0, c.confidence > 0.9] == 0).all()
    assert c.p[0, 0] == pytest.approx(2 / 3) and c.r[0, 0] == pytest.approx(1.0)
    # AP50 from pycocotools' 101-point interpolation: precision 1 up to recall 0.5, 2/3 after
    assert m.map50 == pytest.approx((51 * 1 + 50 * 2 / 3) / 101)


def test_crowd_ground_truth_is_ignored() -> None:
    records = [record(1, [[0, 0, 50, 50], [100, 100, 200, 200]], [0, 0], crowd=[False, True])]
    hit = np.array([[0, 0, 50, 50, 0.9, 0]], np.float32)
    on_crowd = np.array([[100, 100, 200, 200, 0.95, 0], [110, 110, 190, 190, 0.5, 0]], np.float32)
    alone = evaluate_detections(records, {1: hit}, [1], ["thing"])
    both = evaluate_detections(records, {1: np.concatenate([hit, on_crowd])}, [1], ["thing"])
    for m in (alone, both):  # the crowd box is neither a miss nor a reason for false positives
        assert (m.map50, m.map, m.precision, m.recall) == pytest.approx((1.0, 1.0, 1.0, 1.0), abs=1e-12)
        assert m.per_class[0][1:3] == (1, 1)


def test_no_predictions_and_no_ground_truth() -> None:
    records = dataset()
    m = evaluate_detections(records, {}, CLASS_IDS, NAMES)
    assert (m.map50, m.map, m.precision, m.recall) == (0.0, 0.0, 0.0, 0.0)
    empty = evaluate_detections([record(1, [], [])], {1: np.array([[0, 0, 9, 9, 0.9, 0]])}, [1], ["a"])
    assert (empty.map50, empty.map, empty.precision, empty.recall) == (0.0, 0.0, 0.0, 0.0)
    assert math.isnan(empty.per_class[0][3])


def test_predictions_for_unknown_images_are_refused() -> None:
    with pytest.raises(ValueError, match="not among the records"):
        evaluate_detections(dataset(), {99: np.zeros((0, 6))}, CLASS_IDS, NAMES)


def test_to_coco_results_round_trips_xywh() -> None:
    dets = np.array([[10.12345, 20.5, 110.25, 70.0004, 0.876543, 2], [0, 0, 1, 1, 0.1, 0]], np.float64)
    results = to_coco_results({4: dets, 2: np.zeros((0, 6))}, CLASS_IDS)
    assert [r["category_id"] for r in results] == [7, 1] and {r["image_id"] for r in results} == {4}
    x, y, w, h = results[0]["bbox"]
    assert np.allclose([x, y, x + w, y + h], dets[0, :4], atol=1e-3)
    assert results[0]["bbox"] == [10.123, 20.5, 100.127, 49.5]
    assert results[0]["score"] == 0.87654


def test_per_class_ap_means_are_the_map() -> None:
    records = dataset()
    preds = perfect(records)
    preds[1] = preds[1] + np.array([3, 2, 4, -3, -0.5, 0], np.float32)  # shifted, lower score
    m = evaluate_detections(records, preds, CLASS_IDS, NAMES)
    ap50 = [row[3] for row in m.per_class]
    ap = [row[4] for row in m.per_class]
    assert np.nanmean(ap50) == pytest.approx(m.map50) and np.nanmean(ap) == pytest.approx(m.map)
    assert m.map < 1.0
