"""A short training run on the real coco128 (make test-slow): it completes, pycocotools scores it on the
128 val2017 images, ONNX passes parity, and predict draws on real images."""

from __future__ import annotations

import csv
import json

import pytest

from studio.cli import main


@pytest.mark.slow
@pytest.mark.data
def test_coco128_trains_validates_exports_and_predicts(shared_data, tmp_path, capsys):
    data = shared_data / "coco128" / "data.yaml"
    code = main(["train", "detect", "--data", str(data), "--imgsz", "320", "--epochs", "2", "--batch", "16",
                 "--workers", "2", "--project", str(tmp_path), "--name", "c128", "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "parity: ok" in out and "person" in out
    run = tmp_path / "detect" / "c128"
    with open(run / "results.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 and all(0.0 <= float(r["metrics/mAP50-95(B)"]) <= 1.0 for r in rows)
    images = shared_data / "coco128" / "images" / "train2017"
    code = main(["predict", "--weights", str(run / "model.onnx"), "--source", str(images), "--conf", "0.001",
                 "--project", str(tmp_path), "--name", "pred"])
    assert code == 0
    pred = tmp_path / "detect" / "pred"
    listed = json.loads((pred / "images.json").read_text())
    assert len(listed) == len(list(images.glob("*.jpg")))
    assert len(list(pred.glob("*.jpg"))) == len(listed)
