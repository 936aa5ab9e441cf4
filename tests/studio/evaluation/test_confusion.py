"""ConfusionMatrix on hand-made cases: rows predicted, columns true, the last of each background."""

from __future__ import annotations

import numpy as np

from studio.evaluation.confusion import ConfusionMatrix

A, B, C = [0, 0, 100, 100], [200, 200, 300, 300], [400, 0, 500, 100]


def det(box, score, cls, dx=0.0):
    x1, y1, x2, y2 = box
    return [x1 + dx, y1, x2 + dx, y2, score, cls]


def test_hits_wrong_class_false_positive_and_low_confidence() -> None:
    cm = ConfusionMatrix(2)
    dets = np.array([det(A, 0.9, 0), det(B, 0.8, 0, dx=5), det(C, 0.7, 1), det(A, 0.1, 1),
                     det(C, 0.25, 0)], np.float32)  # the last two score <= conf 0.25: ignored
    cm.update(dets, np.array([A, B], np.float32), np.array([0, 1]))
    expected = np.zeros((3, 3), np.int64)
    expected[0, 0] = 1   # A found as class 0
    expected[0, 1] = 1   # B (class 1) predicted as class 0
    expected[1, 2] = 1   # a class 1 detection of background
    assert (cm.matrix == expected).all()


def test_missed_objects_and_images_without_ground_truth() -> None:
    cm = ConfusionMatrix(2)
    cm.update(np.zeros((0, 6)), np.array([B], np.float32), np.array([1]))
    cm.update(np.array([det(A, 0.5, 0)]), np.zeros((0, 4)), np.zeros(0))
    expected = np.zeros((3, 3), np.int64)
    expected[2, 1] = 1   # class 1 object nobody found: background row
    expected[0, 2] = 1   # class 0 detection on an empty image: background column
    assert (cm.matrix == expected).all()


def test_each_box_is_used_once_best_iou_first() -> None:
    cm = ConfusionMatrix(2)
    # two detections on one object: the better one pairs, the other is a false positive
    dets = np.array([det(A, 0.6, 1, dx=30), det(A, 0.9, 0, dx=5)])  # IoU 0.54 and 0.90
    cm.update(dets, np.array([A], np.float32), np.array([0]))
    expected = np.zeros((3, 3), np.int64)
    expected[0, 0] = 1
    expected[1, 2] = 1
    assert (cm.matrix == expected).all()
    # one detection over two objects: it pairs with the one it overlaps most; the other is missed
    cm = ConfusionMatrix(2)
    gt = np.array([[0, 0, 100, 100], [0, 0, 100, 160]], np.float32)   # IoU with the detection 1.0 and 0.625
    cm.update(np.array([det(A, 0.9, 1)]), gt, np.array([0, 1]))
    expected = np.zeros((3, 3), np.int64)
    expected[1, 0] = 1
    expected[2, 1] = 1
    assert (cm.matrix == expected).all()


def test_iou_threshold_and_normalised_columns() -> None:
    cm = ConfusionMatrix(1, iou=0.45)
    # IoU 1/3 (shifted by half its width): no pair, so one miss and one false positive
    cm.update(np.array([det(A, 0.9, 0, dx=50)]), np.array([A], np.float32), np.array([0]))
    cm.update(np.array([det(A, 0.9, 0)]), np.array([A], np.float32), np.array([0]))
    assert cm.matrix.tolist() == [[1, 1], [1, 0]]
    assert np.allclose(cm.normalized(), [[0.5, 1.0], [0.5, 0.0]])
