"""``tern train detect --arch faster_rcnn`` as a user runs it, then val, predict (.pt and .onnx) and
export on that run: the same run folder, metrics by pycocotools, and an ONNX file whose detections match
the checkpoint's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from studio.cli import main
from studio.events import read_events
from studio.shapes import make_shapes


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rcnn")
    data = make_shapes(root / "shapes", num_images=4, size=96, val_images=2)
    code = main(["train", "detect", "--arch", "faster_rcnn", "--backbone", "resnet18", "--data", str(data),
                 "--imgsz", "64", "--max-size", "96", "--epochs", "2", "--batch", "2", "--workers", "0",
                 "--device", "cpu", "--quiet", "--project", str(root / "P"), "--name", "frcnn"])
    assert code == 0
    return root / "P" / "detect" / "frcnn"


def test_the_run_folder_is_complete_with_the_two_stage_losses(run, capsys):
    for name in ("config.yaml", "events.jsonl", "results.csv", "weights/last.pt", "weights/best.pt",
                 "model.onnx", "plots/results.png", "plots/pr_curve.png"):
        assert (run / name).is_file(), name
    header = (run / "results.csv").read_text().splitlines()[0]
    for column in ("train/rpn_cls_loss", "train/rpn_box_loss", "train/cls_loss", "train/box_loss",
                   "metrics/mAP50(B)", "metrics/mAP50-95(B)"):
        assert column in header
    events = [e for _, e in read_events(run / "events.jsonl")]
    assert events[-1].type == "finished" and events[-1].status == "ok"
    logs = " ".join(e.message for e in events if e.type == "log")
    assert re.search(r"ONNX parity: ok", logs), logs


def test_predict_with_the_checkpoint_and_the_onnx_file_agree(run, tmp_path):
    source = run.parents[2] / "shapes" / "images" / "val"
    outs = {}
    for weights in ("weights/best.pt", "model.onnx"):
        out = tmp_path / Path(weights).stem
        assert main(["predict", "--weights", str(run / weights), "--source", str(source), "--conf", "0.05",
                     "--project", str(out), "--name", "p", "--device", "cpu"]) == 0
        outs[weights] = json.loads(next(out.rglob("predictions.json")).read_text())
    pt, onnx = outs["weights/best.pt"], outs["model.onnx"]
    assert pt and len(pt) == len(onnx)
    free = list(onnx)
    for a in pt:  # pair each detection with an equal one (an untrained model's scores nearly tie)
        key = (a["image_id"], a["category_id"])
        match = next((b for b in free if (b["image_id"], b["category_id"]) == key
                      and abs(a["score"] - b["score"]) < 1e-3
                      and max(abs(x - y) for x, y in zip(a["bbox"], b["bbox"], strict=True)) < 0.05), None)
        if match is not None:
            free.remove(match)
    assert len(free) <= 0.05 * len(pt)  # at most a few near-ties of NMS kept differently


def test_val_and_export_on_the_run(run, capsys):
    data = run.parents[2] / "shapes" / "data.yaml"
    assert main(["val", "--weights", str(run / "weights" / "best.pt"), "--data", str(data),
                 "--project", str(run.parent / "v"), "--device", "cpu"]) == 0
    assert "mAP50" in capsys.readouterr().out
    assert main(["export", "--weights", str(run / "weights" / "best.pt")]) == 0
    out = capsys.readouterr().out
    assert (run / "weights" / "best.onnx").is_file() and "parity: ok" in out
