"""``run_predict`` on what users point it at: a folder with an undecodable image and a stray file (the
image is skipped and said so, the rest predicted), and a dataset whose splits reuse file names (every
image keeps its own annotated copy and label file). An untrained checkpoint is enough."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from studio.engine.checkpoint import save_checkpoint
from studio.errors import DatasetNotFoundError
from studio.events import read_events
from studio.jobs.predict_job import PredictOptions, run_predict
from studio.models.config import ModelConfig
from studio.models.registry import build_detector
from studio.shapes import make_shapes

CLASS_IDS = [3, 5, 9]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One torch thread: on a shared 2-core machine a second OpenMP thread spins waiting for a busy core."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    torch.manual_seed(0)
    cfg = ModelConfig(nc=3)
    path = tmp_path_factory.mktemp("predict") / "random.pt"
    save_checkpoint(path, {"model": build_detector(cfg).state_dict(), "model_config": cfg.to_dict(),
                           "names": ["circle", "square", "triangle"], "class_ids": CLASS_IDS, "imgsz": 64})
    return path


def _events(run):
    return [e for _, e in read_events(run / "events.jsonl")]


def test_a_folder_with_a_broken_image_predicts_the_rest_and_names_it(weights, tmp_path):
    shapes = make_shapes(tmp_path / "shapes", num_images=3, size=64).parent / "images" / "train"
    folder = tmp_path / "photos"
    shutil.copytree(shapes, folder)
    (folder / "shape_001.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (folder / "notes.txt").write_text("not an image")
    opts = PredictOptions(str(weights), str(folder), conf=0.001, save_txt=True, project=str(tmp_path / "P"))
    outcome = run_predict(opts)
    assert outcome.images == 2 and outcome.detections > 0
    assert len(outcome.skipped) == 1 and "shape_001.png" in outcome.skipped[0]
    images = json.loads((outcome.run / "images.json").read_text())
    assert [(i["id"], i["file_name"]) for i in images] == [(1, "shape_000.png"), (3, "shape_002.png")]
    results = json.loads((outcome.run / "predictions.json").read_text())
    assert {r["image_id"] for r in results} == {1, 3}
    assert {r["category_id"] for r in results} <= set(CLASS_IDS)
    assert sorted(p.name for p in outcome.run.glob("*.png")) == ["shape_000.png", "shape_002.png"]
    events = _events(outcome.run)
    assert any(e.type == "log" and e.level == "warning" and "shape_001.png" in e.message for e in events)
    assert events[-1].type == "finished" and events[-1].status == "ok"


def test_images_of_different_splits_with_one_name_keep_their_own_outputs(weights, tmp_path):
    data = make_shapes(tmp_path / "shapes", num_images=3, size=64, val_images=2)  # shape_000 in both
    opts = PredictOptions(str(weights), str(data), conf=0.001, save_txt=True, project=str(tmp_path / "P"))
    outcome = run_predict(opts)
    assert outcome.images == 5
    assert sorted(p.name for p in outcome.run.glob("*.png")) == [
        "shape_000.png", "shape_000_2.png", "shape_001.png", "shape_001_2.png", "shape_002.png"]
    labels = list((outcome.run / "labels").glob("*.txt"))
    assert len(labels) == 5
    rows = [line.split() for f in labels for line in f.read_text().splitlines()]
    assert rows and all(len(row) == 5 for row in rows)  # label rows (no score without save_conf)
    ids = [i["id"] for i in json.loads((outcome.run / "images.json").read_text())]
    assert ids == [1, 2, 3, 4, 5]


def test_a_failure_ends_with_a_failed_event(weights, tmp_path):
    opts = PredictOptions(str(weights), str(tmp_path / "nowhere"), project=str(tmp_path / "P"))
    with pytest.raises(DatasetNotFoundError, match="no such image, folder or dataset"):
        run_predict(opts)
    finished = _events(tmp_path / "P" / "detect" / "predict")[-1]
    assert finished.status == "failed" and "nowhere" in finished.error and finished.traceback
