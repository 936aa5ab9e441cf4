"""Pose on the real keypoint sets of ../shared/data/pose (COCO person keypoints and OCHuman, 17 keypoints;
fails in CI via TERN_REQUIRE_DATA=1): read, train a few steps, evaluate with pycocotools' keypoint OKS AP,
validate, predict and draw skeletons."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import torch

from studio.cli import main


@pytest.mark.data
@pytest.mark.parametrize("name, json_name", [("coco", "test_coco.json"), ("ochuman", "test_ochuman.json")])
def test_train_val_and_predict_pose_on_real_keypoints(shared_data, tmp_path, capsys, name, json_name):
    images = shared_data / "pose" / name
    # the file's name says "test" (every image in the test split): a neutral name lets --val-fraction split it
    data = tmp_path / f"{name}_keypoints.json"
    shutil.copy(images / json_name, data)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        code = main(["train", "pose", "--data", str(data), "--images", str(images), "--val-fraction", "0.5",
                     "--imgsz", "256", "--epochs", "1", "--batch", "2", "--workers", "0",
                     "--device", "cpu", "--quiet", "--no-export", "--project", str(tmp_path), "--name", name])
    finally:
        torch.set_num_threads(threads)
    assert code == 0
    out = capsys.readouterr().out
    assert re.search(r"keypoints \(OKS\): AP \d\.\d{3}  AP50 \d\.\d{3}  AP75 \d\.\d{3}", out), out
    weights = tmp_path / "pose" / name / "weights" / "last.pt"
    header = (tmp_path / "pose" / name / "results.csv").read_text().splitlines()[0]
    assert "train/kpt_loss" in header and "metrics/mAP50-95(P)" in header

    assert main(["val", "--weights", str(weights), "--data", str(data), "--images", str(images),
                 "--val-fraction", "0.5", "--project", str(tmp_path), "--name", "v", "--device", "cpu"]) == 0
    assert "keypoints (OKS): AP" in capsys.readouterr().out
    assert (tmp_path / "pose" / "v" / "predictions.json").is_file()  # a pose model's job: runs/pose/

    image = next(images.glob("*.jpg"))
    assert main(["predict", "--weights", str(weights), "--source", str(image), "--conf", "0.0",
                 "--project", str(tmp_path), "--name", "p", "--device", "cpu", "--save-txt"]) == 0
    run = tmp_path / "pose" / "p"
    assert (run / image.name).is_file()
    results = json.loads((run / "predictions.json").read_text())
    assert results and all(len(r["keypoints"]) == 17 * 3 for r in results)
    rows = (run / "labels" / f"{image.stem}.txt").read_text().splitlines()
    assert rows and all(len(row.split()) == 5 + 17 * 3 for row in rows)  # box and keypoints: a label row
