"""Faster R-CNN-FPN on the real coco128 data (../shared/data; fails in CI via TERN_REQUIRE_DATA=1): a
short run completes, is evaluated by pycocotools on all 128 images, and predict draws its boxes."""

from __future__ import annotations

import re

import pytest
import torch

from studio.cli import main


@pytest.mark.data
def test_a_short_faster_rcnn_run_on_coco128_completes_and_evaluates(shared_data, tmp_path, capsys):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        code = main(["train", "detect", "--arch", "faster_rcnn", "--model", "n", "--backbone", "resnet18",
                     "--data",
                     str(shared_data / "coco128"), "--imgsz", "256", "--max-size", "320", "--epochs", "1",
                     "--max-steps", "2", "--batch", "2", "--workers", "0", "--device", "cpu", "--quiet",
                     "--no-export", "--project", str(tmp_path), "--name", "c128"])
    finally:
        torch.set_num_threads(threads)
    assert code == 0
    run = tmp_path / "detect" / "c128"
    out = capsys.readouterr().out  # the end-of-run validation of last.pt on the 128 images
    assert re.search(r"last.pt: mAP50 \d\.\d{3}  mAP50-95 \d\.\d{3}", out), out
    assert (run / "plots" / "val_predictions.png").is_file()
    image = next((shared_data / "coco128" / "images" / "train2017").glob("*.jpg"))
    assert main(["predict", "--weights", str(run / "weights" / "last.pt"), "--source", str(image),
                 "--conf", "0.0", "--project", str(tmp_path), "--name", "p", "--device", "cpu"]) == 0
    assert (tmp_path / "detect" / "p" / image.name).is_file()
