"""Keypoint AP (COCOeval iouType "keypoints"): self-evaluation, hand-computed OKS and AP, sigmas, the
ignore rules, and equality with pycocotools run on written json files."""

from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from studio.data.records import ImageRecord, records_from_dataset
from studio.errors import ConfigError
from studio.evaluation.coco_oks import (
    COCO17_NAMES,
    COCO17_SIGMAS,
    DEFAULT_SIGMA,
    coco_keypoint_ground_truth,
    evaluate_keypoints,
    keypoint_sigmas,
    to_coco_keypoint_results,
)
from studio.io.coco import load_coco

NAMES = ["person", "dog"]
CLASS_IDS = [1, 18]
SIGMAS = (0.05, 0.05, 0.1, 0.1)
THRESHOLDS = np.linspace(0.5, 0.95, 10)

# image 1: a 90 x 90 box (area 90 * 90 * 0.53 = 4293: "medium"), keypoint 3 not labeled (v = 0)
BOX1 = [50, 60, 140, 150]
KPTS1 = [[70, 80, 2], [100, 90, 1], [120, 140, 2], [0, 0, 0]]
# image 2: a 200 x 100 box (area 10600: "large")
BOX2 = [10, 20, 210, 120]
KPTS2 = [[40, 50, 2], [90, 60, 2], [150, 100, 2], [180, 110, 2]]


def pose_record(image_id: int, boxes, kpts, classes=None, crowd=None) -> ImageRecord:
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    n = len(boxes)
    classes = np.zeros(n, np.int64) if classes is None else np.asarray(classes, np.int64)
    crowd = np.zeros(n, bool) if crowd is None else np.asarray(crowd, bool)
    kpts = np.asarray(kpts, np.float32).reshape(n, 4, 3)  # K = 4 throughout
    return ImageRecord(image_id, f"/img/{image_id}.jpg", 300, 200, boxes, classes, crowd, kpts)


def prediction(box, kpts, score: float, cls: int = 0) -> np.ndarray:
    """One (6 + 3K,) row; keypoints [x, y, conf]."""
    return np.concatenate([box, [score, cls], np.asarray(kpts, np.float64).reshape(-1)])


def perfect(records) -> dict[int, np.ndarray]:
    """The ground truth as predictions: score 1, keypoint conf 1 where labeled, 0 elsewhere."""
    out = {}
    for r in records:
        kpts = r.keypoints.copy()
        kpts[..., 2] = kpts[..., 2] > 0
        out[r.image_id] = np.concatenate([r.boxes, np.ones((len(r), 1)), r.classes[:, None],
                                          kpts.reshape(len(r), kpts.shape[1] * 3)], 1)
    return out


def moved(kpts, offsets, far=(500.0, 500.0)) -> list[list[float]]:
    """Keypoints moved by ``offsets`` (dx, dy) each, conf 0.9; unlabeled ones go ``far`` away."""
    out = []
    for (x, y, v), (dx, dy) in zip(kpts, offsets, strict=True):
        out.append([*far, 0.9] if v == 0 else [x + dx, y + dy, 0.9])
    return out


def per_class(m) -> tuple[list[str], list[list[float]]]:
    """(names, [ap50, ap, ap50, ap, ...]) of a KeypointMetrics."""
    return [row[0] for row in m.per_class], [v for row in m.per_class for v in row[1:]]


def hand_oks(gt_kpts, pred_kpts, area: float, sigmas) -> float:
    """OKS = mean over labeled keypoints of exp(-d^2 / (2 s^2 k^2)), s^2 = area, k = 2 sigma."""
    values = [math.exp(-((px - gx) ** 2 + (py - gy) ** 2) / (2 * area * (2 * s) ** 2))
              for (gx, gy, v), (px, py, _), s in zip(gt_kpts, pred_kpts, sigmas, strict=True) if v > 0]
    return sum(values) / len(values)


def test_ground_truth_against_itself_scores_one() -> None:
    records = [pose_record(1, [BOX1], [KPTS1]), pose_record(2, [BOX2, BOX1], [KPTS2, KPTS1], [0, 1]),
               pose_record(3, [], [])]
    m = evaluate_keypoints(records, perfect(records), CLASS_IDS, NAMES, SIGMAS)
    # pycocotools divides by tp + fp + eps, so "1" is 1 - 2e-16
    assert (m.map, m.map50, m.map75, m.map_m, m.map_l) == pytest.approx((1, 1, 1, 1, 1), abs=1e-12)
    assert per_class(m) == (["person", "dog"], pytest.approx([1, 1, 1, 1], abs=1e-12))
    assert m.fitness == pytest.approx(1.0, abs=1e-12)


def test_ground_truth_fields() -> None:
    gt = coco_keypoint_ground_truth([pose_record(7, [BOX1], [KPTS1])], CLASS_IDS, NAMES, 4)
    (ann,) = gt["annotations"]
    assert ann["keypoints"] == [70, 80, 2, 100, 90, 1, 120, 140, 2, 0, 0, 0]
    assert ann["num_keypoints"] == 3  # v = 1 counts, v = 0 does not
    assert ann["area"] == pytest.approx(90 * 90 * 0.53)
    assert (ann["bbox"], ann["image_id"], ann["category_id"], ann["iscrowd"]) == ([50, 60, 90, 90], 7, 1, 0)
    with pytest.raises(ValueError, match="shape"):
        coco_keypoint_ground_truth([pose_record(7, [BOX1], [KPTS1])], CLASS_IDS, NAMES, 5)
    no_kpts = ImageRecord(1, "a.jpg", 10, 10, np.zeros((1, 4), np.float32), np.zeros(1, np.int64),
                          np.zeros(1, bool))
    with pytest.raises(ValueError, match="pose dataset"):
        coco_keypoint_ground_truth([no_kpts], CLASS_IDS, NAMES, 4)


def test_one_object_ap_from_the_oks_formula() -> None:
    # keypoint 0 moved by 5 px, 1 exact, 2 by 10 px; 3 is unlabeled and predicted far away: not counted
    pred = moved(KPTS1, [(3, 4), (0, 0), (6, 8), (0, 0)])
    oks = hand_oks(KPTS1, pred, 90 * 90 * 0.53, SIGMAS)
    # (exp(-25 / (2 * 4293 * 0.01)) + 1 + exp(-100 / (2 * 4293 * 0.04))) / 3
    assert 0.83 < oks < 0.835  # passes the OKS thresholds 0.50 ... 0.80 (7 of 10), fails 0.85
    assert (oks >= THRESHOLDS).sum() == 7
    m = evaluate_keypoints([pose_record(1, [BOX1], [KPTS1])], {1: prediction(BOX1, pred, 0.8)[None]},
                           CLASS_IDS, NAMES, SIGMAS)
    assert (m.map, m.map50, m.map75, m.map_m, m.map_l) == pytest.approx((0.7, 1, 1, 0.7, 0), abs=1e-12)
    assert per_class(m)[0][0] == "person" and m.per_class[0][1:] == pytest.approx((1.0, 0.7), abs=1e-12)
    assert m.per_class[1][0] == "dog" and math.isnan(m.per_class[1][1]) and math.isnan(m.per_class[1][2])


def test_two_images_ap_from_the_oks_formula() -> None:
    pred1 = moved(KPTS1, [(3, 4), (0, 0), (6, 8), (0, 0)])        # OKS 0.8316: thresholds .50 ... .80
    pred2 = moved(KPTS2, [(0, 0), (12, 16), (0, 0), (18, 24)])    # OKS 0.6244: thresholds .50 ... .60
    assert (hand_oks(KPTS1, pred1, 90 * 90 * 0.53, SIGMAS) >= THRESHOLDS).sum() == 7
    assert (hand_oks(KPTS2, pred2, 200 * 100 * 0.53, SIGMAS) >= THRESHOLDS).sum() == 3
    records = [pose_record(1, [BOX1], [KPTS1]), pose_record(2, [BOX2], [KPTS2])]
    predictions = {1: prediction(BOX1, pred1, 0.8)[None], 2: prediction(BOX2, pred2, 0.9)[None]}
    m = evaluate_keypoints(records, predictions, CLASS_IDS, NAMES, SIGMAS)
    # thresholds .50-.60: both hits, AP 1; .65-.80: the higher-scored detection (image 2) misses, then a hit:
    # precision 0.5 up to recall 0.5, i.e. at 51 of the 101 recall points; .85-.95: no hit, AP 0
    partial = 0.5 * 51 / 101
    assert m.map == pytest.approx((3 + 4 * partial) / 10, abs=1e-12)
    assert (m.map50, m.map75) == pytest.approx((1.0, partial), abs=1e-12)
    # medium: image 1 alone (image 2's detection is a large box: ignored); large: image 2 alone
    assert (m.map_m, m.map_l) == pytest.approx((0.7, 0.3), abs=1e-12)


def test_unlabeled_keypoints_and_objects_do_not_count() -> None:
    labeled = pose_record(1, [BOX1], [KPTS1])
    # keypoint 3 (v = 0) predicted far away: OKS stays 1
    pred = moved(KPTS1, [(0, 0)] * 4)
    m = evaluate_keypoints([labeled], {1: prediction(BOX1, pred, 0.5)[None]}, CLASS_IDS, NAMES, SIGMAS)
    assert m.map == pytest.approx(1.0, abs=1e-12)
    # an object with no labeled keypoint (num_keypoints 0) is ignored: never a miss ...
    unlabeled = [[0, 0, 0]] * 4
    records = [labeled, pose_record(2, [BOX2], [unlabeled])]
    m = evaluate_keypoints(records, {1: prediction(BOX1, pred, 0.5)[None]}, CLASS_IDS, NAMES, SIGMAS)
    assert m.map == pytest.approx(1.0, abs=1e-12)
    # ... and a higher-scored detection on it (keypoints inside its box) is not a false positive
    inside = [[60, 50, 0.9], [100, 70, 0.9], [150, 90, 0.9], [200, 100, 0.9]]
    predictions = {1: prediction(BOX1, pred, 0.5)[None], 2: prediction(BOX2, inside, 0.99)[None]}
    m = evaluate_keypoints(records, predictions, CLASS_IDS, NAMES, SIGMAS)
    assert m.map == pytest.approx(1.0, abs=1e-12)
    # without the ignore rule the same object counts: labeled, it is missed (recall 0.5)
    missed = evaluate_keypoints([labeled, pose_record(2, [BOX2], [KPTS2])],
                                {1: prediction(BOX1, pred, 0.5)[None]}, CLASS_IDS, NAMES, SIGMAS)
    assert missed.map == pytest.approx(51 / 101, abs=1e-12)


def test_no_predictions_and_bad_predictions() -> None:
    records = [pose_record(1, [BOX1], [KPTS1]), pose_record(2, [], [])]
    m = evaluate_keypoints(records, {}, CLASS_IDS, NAMES, SIGMAS)
    assert (m.map, m.map50, m.map75, m.map_m, m.map_l) == (0, 0, 0, 0, 0)
    assert m.per_class[0] == ("person", 0.0, 0.0)
    assert evaluate_keypoints(records, {1: np.zeros((0, 18)), 2: np.zeros((0, 6))}, CLASS_IDS, NAMES,
                              SIGMAS).map == 0
    with pytest.raises(ValueError, match="not among the records"):
        evaluate_keypoints(records, {9: np.zeros((0, 18))}, CLASS_IDS, NAMES, SIGMAS)
    with pytest.raises(ValueError, match="6 \\+ 3 \\* 4"):
        evaluate_keypoints(records, {1: np.zeros((1, 6 + 3 * 17))}, CLASS_IDS, NAMES, SIGMAS)


def test_results_format() -> None:
    rows = np.array([prediction([10.12345, 20, 30, 40.5], [[1.23456, 2, 0.123456], [3, 4, 1]], 0.9876543, 1)])
    (result,) = to_coco_keypoint_results({5: rows, 6: np.zeros((0, 12))}, CLASS_IDS)
    assert result == {"image_id": 5, "category_id": 18, "bbox": [10.123, 20.0, 19.877, 20.5],
                      "score": 0.98765, "keypoints": [1.235, 2.0, 0.12346, 3.0, 4.0, 1.0]}


def pycocotools_on_files(tmp_path, gt: dict, results: list, sigmas) -> np.ndarray:
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "predictions.json").write_text(json.dumps(results))
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(str(tmp_path / "gt.json"))
        coco_eval = COCOeval(coco_gt, coco_gt.loadRes(str(tmp_path / "predictions.json")), "keypoints")
        coco_eval.params.kpt_oks_sigmas = np.asarray(sigmas)
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
    return coco_eval.stats


def test_equals_pycocotools_on_json_files(tmp_path) -> None:
    rng = np.random.default_rng(0)
    records = [pose_record(1, [BOX1, BOX2], [KPTS1, KPTS2], [0, 1]), pose_record(2, [BOX2], [KPTS2]),
               pose_record(4, [BOX1], [KPTS1])]
    predictions = {}
    for rec in records:
        objects = zip(rec.boxes, rec.keypoints.tolist(), rec.classes.tolist(), strict=True)
        predictions[rec.image_id] = np.array([
            prediction(box + rng.normal(0, 3, 4), moved(kpts, rng.normal(0, 6, (4, 2))), rng.uniform(0.1, 1),
                       cls) for box, kpts, cls in objects])
    m = evaluate_keypoints(records, predictions, CLASS_IDS, NAMES, SIGMAS)
    stats = pycocotools_on_files(tmp_path, coco_keypoint_ground_truth(records, CLASS_IDS, NAMES, 4),
                                 to_coco_keypoint_results(predictions, CLASS_IDS), SIGMAS)
    assert 0 < m.map < 1
    assert [m.map, m.map50, m.map75, m.map_m, m.map_l] == pytest.approx(list(stats[:5]), abs=1e-12)


def test_keypoint_sigmas() -> None:
    assert keypoint_sigmas(17).tolist() == list(COCO17_SIGMAS)
    assert keypoint_sigmas(17, COCO17_NAMES).tolist() == list(COCO17_SIGMAS)
    assert keypoint_sigmas(17, [n.replace("_", " ").title() for n in COCO17_NAMES]).tolist() == \
        list(COCO17_SIGMAS)
    other = [f"point{i}" for i in range(17)]
    assert keypoint_sigmas(17, other).tolist() == [DEFAULT_SIGMA] * 17
    assert keypoint_sigmas(5).tolist() == [0.065] * 5
    assert abs(np.mean(COCO17_SIGMAS) - DEFAULT_SIGMA) < 0.005
    assert keypoint_sigmas(3, given=[0.1, 0.2, 0.3]).tolist() == [0.1, 0.2, 0.3]
    assert keypoint_sigmas(17, COCO17_NAMES, given=[0.1] * 17).tolist() == [0.1] * 17
    with pytest.raises(ConfigError, match="4 keypoints"):
        keypoint_sigmas(4, given=[0.1, 0.2, 0.3])
    with pytest.raises(ConfigError, match="positive"):
        keypoint_sigmas(2, given=[0.1, 0.0])


@pytest.mark.data
def test_real_coco17_ground_truth_against_itself(shared_data) -> None:
    dataset, problems = load_coco(shared_data / "pose" / "coco" / "test_coco.json")
    assert not [p for p in problems if p.is_error]
    records = records_from_dataset(dataset, None)
    assert sum(len(r) for r in records) == 14 and records[0].keypoints.shape[1:] == (17, 3)
    cats = sorted(dataset.categories, key=lambda c: c.id)
    sigmas = keypoint_sigmas(dataset.num_keypoints, dataset.keypoint_names())
    assert sigmas.tolist() == list(COCO17_SIGMAS)
    predictions = perfect(records)
    for rec in records:  # the two objects without labeled keypoints are ignored: predict none for them
        predictions[rec.image_id] = predictions[rec.image_id][(rec.keypoints[..., 2] > 0).any(1)]
    m = evaluate_keypoints(records, predictions, [c.id for c in cats], [c.name for c in cats], sigmas)
    assert (m.map, m.map50, m.map75) == pytest.approx((1.0, 1.0, 1.0), abs=1e-12)
    assert per_class(m) == (["person"], pytest.approx([1, 1], abs=1e-12))
