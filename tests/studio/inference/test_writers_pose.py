"""Prediction files of a pose model: YOLO pose rows that load back as labels, COCO keypoint results."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from studio.evaluation.coco_oks import to_coco_keypoint_results
from studio.inference.writers import write_predictions_json, write_yolo_txt, yolo_rows
from studio.io.yolo import load_yolo

H, W = 200, 320
# two detections, K = 3 keypoints [x, y, conf]: conf 0.5 is visible, 0.49 is not; one point lies past the
# right edge (clipped), one has conf 0.2
DETS = np.array([
    [10, 20, 110, 180, 0.91, 1, 50, 60, 0.9, 80.5, 100.25, 0.5, 30, 40, 0.49],
    [150, 40, 300, 190, 0.42, 0, 200, 80, 0.2, 250, 120, 0.75, 325, 150, 0.99],
], np.float32)


def test_pose_rows_values() -> None:
    rows = [row.split() for row in yolo_rows(DETS, (H, W))]
    assert [len(r) for r in rows] == [5 + 3 * 3 + 1] * 2  # cls box, x y v per keypoint, then conf
    assert rows[0][:5] == ["1", f"{60 / W:.6f}", f"{100 / H:.6f}", f"{100 / W:.6f}", f"{160 / H:.6f}"]
    assert rows[0][5:] == [f"{50 / W:.6f}", f"{60 / H:.6f}", "2", f"{80.5 / W:.6f}", f"{100.25 / H:.6f}", "2",
                           "0.000000", "0.000000", "0", "0.910000"]
    assert rows[1][5:] == ["0.000000", "0.000000", "0", f"{250 / W:.6f}", f"{120 / H:.6f}", "2",
                           "1.000000", f"{150 / H:.6f}", "2", "0.420000"]
    no_conf = [row.split() for row in yolo_rows(DETS, (H, W), conf=False)]
    assert no_conf == [r[:-1] for r in rows]


def test_pose_rows_load_back_as_yolo_pose_labels(tmp_path) -> None:
    (tmp_path / "images").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "a.png"), np.zeros((H, W, 3), np.uint8))
    write_yolo_txt(tmp_path / "labels" / "a.txt", DETS, (H, W), conf=False)
    (tmp_path / "data.yaml").write_text("path: .\ntrain: images\nval: images\nnames: [person, dog]\n"
                                        "kpt_shape: [3, 3]\n")
    dataset, problems = load_yolo(tmp_path / "data.yaml")
    assert not [p for p in problems if p.is_error], [str(p) for p in problems]
    (sample,) = dataset.samples
    anns = sample.annotations
    assert [dataset.class_index()[a.category_id] for a in anns] == [1, 0]
    np.testing.assert_allclose([a.box for a in anns], DETS[:, :4], atol=1e-3)
    expected = np.array([[[50, 60, 2], [80.5, 100.25, 2], [0, 0, 0]],
                         [[0, 0, 0], [250, 120, 2], [320, 150, 2]]])  # clipped to the image's right edge
    np.testing.assert_allclose([a.keypoints for a in anns], expected, atol=1e-3)


def test_detection_rows_are_unchanged_and_empty_files() -> None:
    dets = np.array([[10, 40, 110, 110, 0.91, 0]], np.float32)
    assert yolo_rows(dets, (H, W)) == [f"0 {60 / W:.6f} {75 / H:.6f} {100 / W:.6f} {70 / H:.6f} 0.910000"]
    assert yolo_rows(dets[0], (H, W)) == yolo_rows(dets, (H, W))  # one 1-D row
    assert yolo_rows(np.zeros((0, 15)), (H, W)) == [] and yolo_rows(np.zeros(0), (H, W)) == []
    with pytest.raises(ValueError, match="6 \\+ 3K"):
        yolo_rows(np.zeros((1, 8)), (H, W))


def test_predictions_json_with_keypoints(tmp_path) -> None:
    predictions = {4: DETS, 2: np.zeros((0, 6), np.float32)}  # an image with no detection
    write_predictions_json(tmp_path / "predictions.json", predictions, [1, 18])
    results = json.loads((tmp_path / "predictions.json").read_text())
    assert results == to_coco_keypoint_results(predictions, [1, 18])
    assert [(r["image_id"], r["category_id"], r["score"]) for r in results] == [(4, 18, 0.91), (4, 1, 0.42)]
    assert results[0]["bbox"] == [10.0, 20.0, 100.0, 160.0]
    assert results[0]["keypoints"] == [50.0, 60.0, 0.9, 80.5, 100.25, 0.5, 30.0, 40.0, 0.49]
    # detection rows still write plain COCO results (no keypoints key)
    write_predictions_json(tmp_path / "det.json", {4: DETS[:, :6]}, [1, 18])
    assert all("keypoints" not in r for r in json.loads((tmp_path / "det.json").read_text()))
