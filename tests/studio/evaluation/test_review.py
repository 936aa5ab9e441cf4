"""The review file: matching at a confidence, worst-first order and the confusion matrix on hand-made
arrays; write -> load round trip (from a real pycocotools evaluation); clear errors for bad files; and
validation's plots writing it beside them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from studio.data.pose_info import PoseInfo
from studio.data.records import ImageRecord
from studio.engine.data_source import TrainingData
from studio.evaluation.coco_map import evaluate_detections
from studio.evaluation.review import (
    CURVE_POINTS,
    REVIEW_FILE,
    Review,
    ReviewError,
    ReviewImage,
    confusion_at,
    load_review,
    match_image,
    worst_first,
    write_review,
)

A, B, C = [0, 0, 100, 100], [200, 200, 300, 300], [400, 0, 500, 100]


def det(box, score, cls, dx=0.0):
    x1, y1, x2, y2 = box
    return [x1 + dx, y1, x2 + dx, y2, score, cls]


def image(image_id, gt, classes, dets) -> ReviewImage:
    return ReviewImage(image_id, f"/img/{image_id}.png", 600, 400, np.asarray(gt, float).reshape(-1, 4),
                       np.asarray(classes, np.int64), np.asarray(dets, float).reshape(-1, 6))


def review(images: list[ReviewImage], names=("cat", "dog")) -> Review:
    nc = len(names)
    curve = np.zeros((nc, 3))
    return Review(list(names), images, 0.5, 0.3, [(n, 1, 1, 0.5, 0.3) for n in names], np.linspace(0, 1, 101),
                  np.zeros((nc, 101)), np.linspace(0, 1, 3), curve, curve, curve, 0.25)


# ---------------------------------------------------------------------------------------------- matching
def test_match_true_and_false_positives_and_misses() -> None:
    img = image(1, [A, B], [0, 1], [
        det(A, 0.9, 0, dx=5),   # 0: finds A                      -> TP
        det(A, 0.8, 0),         # 1: A again, already taken       -> FP (duplicate)
        det(B, 0.7, 0),         # 2: on B with the wrong class    -> FP
        det(B, 0.1, 1),         # 3: finds B, but scores low
        det(C, 0.3, 1),         # 4: on nothing                   -> FP
    ])
    m = match_image(img, conf=0.25)
    assert m.tp.tolist() == [0] and m.fp.tolist() == [1, 2, 4] and m.missed.tolist() == [1]
    assert m.errors == 4
    low = match_image(img, conf=0.05)
    assert low.tp.tolist() == [0, 3] and low.fp.tolist() == [1, 2, 4] and low.missed.tolist() == []
    high = match_image(img, conf=0.95)  # nothing shown: every object missed, no false positive
    assert high.tp.size == 0 and high.fp.size == 0 and high.missed.tolist() == [0, 1]


def test_match_best_score_first_and_iou_threshold() -> None:
    # the higher-scoring detection takes the object even though the other overlaps it better
    img = image(1, [A], [0], [det(A, 0.6, 0), det(A, 0.9, 0, dx=30)])  # IoU 1.0 and 0.54
    m = match_image(img, conf=0.25)
    assert m.tp.tolist() == [1] and m.fp.tolist() == [0]
    assert match_image(img, conf=0.25, iou=0.6).tp.tolist() == [0]  # 0.54 is not enough at 0.6
    # a detection at exactly the confidence does not count (as ConfusionMatrix: score above conf)
    edge = image(2, [A], [0], [det(A, 0.25, 0)])
    assert match_image(edge, conf=0.25).missed.tolist() == [0]
    empty = image(3, [], [], [])
    assert match_image(empty, 0.25).errors == 0


def test_worst_first_orders_by_errors_then_id() -> None:
    clean = image(5, [A], [0], [det(A, 0.9, 0)])
    two_fp = image(7, [], [], [det(A, 0.9, 0), det(B, 0.8, 1)])
    missed_and_fp = image(3, [A], [0], [det(C, 0.5, 1)])
    one_missed = image(2, [B], [1], [])
    also_clean = image(1, [], [], [])
    r = review([clean, two_fp, missed_and_fp, one_missed, also_clean])
    # errors: clean 0, two_fp 2, missed_and_fp 2, one_missed 1, also_clean 0
    assert worst_first(r, 0.25) == [2, 1, 3, 4, 0]
    # above every score all detections are gone: only misses remain (one each for ids 2, 3, 5)
    assert worst_first(r, 0.95) == [3, 2, 0, 4, 1]


def test_confusion_follows_the_confidence() -> None:
    r = review([image(1, [A, B], [0, 1], [det(A, 0.9, 0), det(B, 0.4, 0), det(C, 0.3, 1)]),
                image(2, [C], [1], [])])
    at_low = confusion_at(r, 0.25)
    expected = np.zeros((3, 3), np.int64)
    expected[0, 0] = 1   # A found as class 0
    expected[0, 1] = 1   # B (class 1) called class 0
    expected[1, 2] = 1   # a class 1 detection of nothing
    expected[2, 1] = 1   # C of image 2 missed
    assert at_low.tolist() == expected.tolist()
    at_high = confusion_at(r, 0.5)
    expected = np.zeros((3, 3), np.int64)
    expected[0, 0] = 1
    expected[2, 1] = 2   # B and C missed
    assert at_high.tolist() == expected.tolist()


# ---------------------------------------------------------------------------------------------- the file
def record(image_id, path, boxes, classes, crowd=None, size=(640, 480)) -> ImageRecord:
    n = len(classes)
    crowd = np.zeros(n, bool) if crowd is None else np.asarray(crowd)
    return ImageRecord(image_id, str(path), size[0], size[1], np.asarray(boxes, np.float32).reshape(-1, 4),
                       np.asarray(classes, np.int64), crowd)


def training_data(tmp_path) -> tuple[TrainingData, dict[int, np.ndarray]]:
    val = [record(1, tmp_path / "a.png", [A, B], [0, 1]),
           record(2, tmp_path / "b.png", [C, A], [1, 0], crowd=[False, True]),
           record(3, tmp_path / "c.png", [], [])]
    predictions = {
        1: np.array([det(A, 0.9, 0, dx=3), det(B, 0.6, 1), det(C, 0.005, 0)]),  # the last below keep_conf
        2: np.array([[*det(C, 0.7, 1), 1.0, 2.0, 0.5]]),                     # pose-like extra columns
    }
    return TrainingData([], val, ["cat", "dog"], [3, 7], []), predictions


def boxes_only(predictions: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    return {i: p[:, :6] for i, p in predictions.items()}  # what validate_pose evaluates


def test_write_then_load_round_trip(tmp_path) -> None:
    data, predictions = training_data(tmp_path)
    detail = evaluate_detections(data.val, boxes_only(predictions), data.class_ids, data.names)
    path = write_review(tmp_path / "run" / REVIEW_FILE, data, predictions, detail)
    assert path == tmp_path / "run" / REVIEW_FILE
    assert not [p for p in path.parent.iterdir() if p.name != REVIEW_FILE]  # atomic: no temp file left
    r = load_review(path)
    assert r.names == ["cat", "dog"]
    assert r.map50 == pytest.approx(detail.map50) and r.map == pytest.approx(detail.map)
    assert r.best_conf == pytest.approx(detail.curves.best_conf)
    assert [row[:3] for row in r.per_class] == [row[:3] for row in detail.per_class]
    assert np.allclose([row[3] for row in r.per_class], [row[3] for row in detail.per_class], atol=1e-5)
    assert r.pr.shape == (2, 101) and r.recall_points.shape == (101,)
    assert np.allclose(r.pr, detail.curves.pr, atol=1e-5, equal_nan=True)
    assert r.confidence.shape == (CURVE_POINTS,) and r.p.shape == r.r.shape == r.f1.shape == (2, CURVE_POINTS)
    assert r.confidence[0] == 0 and r.confidence[-1] == 1
    assert [img.image_id for img in r.images] == [1, 2, 3]
    first, second, third = r.images
    assert first.path == str(tmp_path / "a.png") and (first.width, first.height) == (640, 480)
    assert first.dets.shape == (2, 6) and first.dets[:, 4].tolist() == [0.9, 0.6]  # 0.005 < keep_conf
    assert np.allclose(first.gt_boxes, [A, B]) and first.gt_classes.tolist() == [0, 1]
    assert second.gt_classes.tolist() == [1] and second.dets.shape == (1, 6)  # crowd and keypoints dropped
    assert third.gt_boxes.shape == (0, 4) and third.dets.shape == (0, 6)
    assert match_image(first, 0.25).errors == 0


def test_a_pose_review_keeps_the_keypoints_of_ground_truth_and_detections(tmp_path) -> None:
    gt_kpts = np.array([[[10, 20, 2], [30, 40, 1]], [[0, 0, 0], [250, 260, 2]]], np.float32)
    val = [ImageRecord(1, str(tmp_path / "a.png"), 640, 480, np.asarray([A, B], np.float32),
                       np.asarray([0, 1], np.int64), np.zeros(2, bool), keypoints=gt_kpts)]
    predictions = {1: np.array([[*det(B, 0.4, 1), 248, 262, 0.9, 5, 6, 0.1],
                                [*det(A, 0.8, 0), 11, 21, 0.95, 31, 41, 0.7]])}
    pose = PoseInfo(2, (1, 0), ((1, 2),), ("left", "right"), None)
    data = TrainingData([], val, ["cat", "dog"], [3, 7], [], pose)
    detail = evaluate_detections(data.val, boxes_only(predictions), data.class_ids, data.names)
    r = load_review(write_review(tmp_path / REVIEW_FILE, data, predictions, detail, skeleton=[(1, 2)]))
    assert r.skeleton == ((1, 2),)
    (img,) = r.images
    assert img.dets[:, 4].tolist() == [0.8, 0.4]  # best first, keypoints follow their detection
    assert img.det_kpts.shape == (2, 2, 3) and img.det_kpts[0].tolist() == [[11, 21, 0.95], [31, 41, 0.7]]
    assert img.det_kpts[1, 0].tolist() == [248, 262, 0.9]
    assert img.gt_kpts.tolist() == gt_kpts.tolist()
    no_pose = TrainingData([], val, ["cat", "dog"], [3, 7], [])
    plain = load_review(write_review(tmp_path / "plain.json", no_pose, predictions, detail))
    assert plain.skeleton == () and plain.images[0].det_kpts is None and plain.images[0].gt_kpts is None


def test_nan_is_written_as_null_and_read_back(tmp_path) -> None:
    data, predictions = training_data(tmp_path)
    data = TrainingData([], data.val, ["cat", "dog", "bird"], [3, 7, 9], [])  # bird: no ground truth
    detail = evaluate_detections(data.val, boxes_only(predictions), data.class_ids, data.names)
    path = write_review(tmp_path / REVIEW_FILE, data, predictions, detail)
    text = path.read_text()
    assert "NaN" not in text and json.loads(text)["per_class"][2][3] is None
    r = load_review(path)
    assert np.isnan(r.per_class[2][3]) and np.isnan(r.pr[2]).all() and np.isfinite(r.pr[0]).all()


def test_unknown_size_is_read_from_the_image(tmp_path) -> None:
    Image.new("RGB", (50, 30)).save(tmp_path / "a.png")
    val = [record(1, tmp_path / "a.png", [[1, 1, 10, 10]], [0], size=(0, 0))]
    data = TrainingData([], val, ["cat"], [1], [])
    detail = evaluate_detections(data.val, {}, data.class_ids, data.names)
    r = load_review(write_review(tmp_path / REVIEW_FILE, data, {}, detail))
    assert (r.images[0].width, r.images[0].height) == (50, 30)


@pytest.mark.parametrize(("content", "says"), [
    (None, "no review file"),
    ("{not json", "not a readable review file"),
    ("[1, 2]", "expected a JSON object"),
    ('{"version": 99}', "version 99"),
    ('{"version": 1, "names": ["a"]}', "malformed review file: KeyError"),
])
def test_bad_files_raise_a_clear_review_error(tmp_path, content, says) -> None:
    path = tmp_path / REVIEW_FILE
    if content is not None:
        path.write_text(content)
    with pytest.raises(ReviewError, match=says) as info:
        load_review(path)
    assert info.value.path == path and str(path) in str(info.value)


def test_wrong_shapes_and_classes_are_reported(tmp_path) -> None:
    data, predictions = training_data(tmp_path)
    detail = evaluate_detections(data.val, boxes_only(predictions), data.class_ids, data.names)
    good = json.loads(write_review(tmp_path / REVIEW_FILE, data, predictions, detail).read_text())
    bad_curve = {**good, "curves": {**good["curves"], "pr": [[0.5] * 101]}}  # one row for two classes
    bad_class = {**good, "images": [{**good["images"][0], "dets": [[0, 0, 5, 5, 0.9, 4]]}]}
    bad_box = {**good, "images": [{**good["images"][0], "gt": [[0, 0, 5]]}]}
    for doc, says in ((bad_curve, r"pr has shape \(1, 101\)"), (bad_class, "class index is outside 0..1"),
                      (bad_box, r"gt has shape \(1, 3\)")):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(doc))
        with pytest.raises(ReviewError, match=says):
            load_review(path)


def test_validation_plots_write_the_review_beside_them(tmp_path) -> None:
    from studio.engine.validate_detect import write_val_plots

    data, predictions = training_data(tmp_path)
    for name in ("a.png", "b.png", "c.png"):
        Image.new("RGB", (640, 480), (90, 90, 90)).save(tmp_path / name)
    detail = evaluate_detections(data.val, boxes_only(predictions), data.class_ids, data.names)
    write_val_plots(tmp_path / "run" / "plots", data, predictions, detail)
    r = load_review(tmp_path / "run" / REVIEW_FILE)
    assert len(r.images) == 3 and r.names == ["cat", "dog"]


def test_outcomes_agree_with_match_image_at_every_confidence() -> None:
    """The precomputed matching (what the Results view uses while the slider moves) is match_image's."""
    from studio.evaluation.review import outcomes

    rng = np.random.default_rng(3)
    images = []
    for i in range(30):
        m, n = rng.integers(0, 5), rng.integers(0, 12)
        corner = rng.uniform(0, 80, (m, 2))
        gt = np.column_stack([corner, corner + rng.uniform(5, 40, (m, 2))])
        near = gt[rng.integers(0, m, n)] + rng.normal(0, 4, (n, 4)) if m else rng.uniform(0, 100, (n, 4))
        near[:, 2:] = np.maximum(near[:, 2:], near[:, :2] + 1)
        scores = rng.choice([0.2, 0.5, 0.5, 0.9], n) if i % 3 == 0 else rng.uniform(0, 1, n)  # ties too
        dets = np.column_stack([near, scores, rng.integers(0, 2, n)])
        images.append(image(i + 1, gt, rng.integers(0, 2, m), dets))
    r = review(images)
    found = outcomes(r)
    for conf in (0.0, 0.2, 0.35, 0.5, 0.9, 1.0):
        direct = [match_image(img, conf) for img in images]
        assert found.errors(conf).tolist() == [m.errors for m in direct]
        for index, m in enumerate(direct):
            cut = found.match(index, conf)
            assert (cut.tp.tolist(), cut.fp.tolist(), cut.missed.tolist()) == \
                   (m.tp.tolist(), m.fp.tolist(), m.missed.tolist())
        assert worst_first(r, conf, found) == worst_first(r, conf)
