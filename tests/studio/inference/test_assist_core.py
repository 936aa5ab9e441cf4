"""Model-assisted labeling, headless (studio.inference.assist): class names matched to a project's
categories, detections filtered into suggestions, which images count as unlabeled, which weights a run
folder means, and a real tiny ONNX detector pre-labeling an image file; denoisers are refused."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
import torch

from studio.annotations import Annotation, Category, Dataset, Sample
from studio.engine.checkpoint import DENOISER_HINT, save_checkpoint
from studio.errors import CheckpointError, ConfigError
from studio.export.onnx import export_onnx
from studio.inference.assist import (
    ClassMap,
    Suggestion,
    drop_existing,
    is_unlabeled,
    keypoints_kept,
    map_classes,
    newest_run,
    open_model,
    predict_suggestions,
    resolve_weights,
    to_suggestions,
    unlabeled_images,
)
from studio.models.config import ModelConfig
from studio.models.registry import build_detector
from studio.store.project import Project
from tests.model_helpers import liven

CATS = [Category(1, "ship"), Category(2, "Boat"), Category(5, "boat")]  # two differ only in case


def test_names_match_categories_ignoring_case_and_spaces():
    found = map_classes(["SHIP", " boat ", "buoy", "person"], CATS)
    assert found.ids == (1, 2, None, None)  # the first of "Boat" / "boat" wins
    assert found.missing == ("buoy", "person")
    text = found.message(["SHIP", " boat ", "buoy", "person"])
    assert "no class named buoy, person" in text and "add them to the project, or skip" in text
    assert "Matched by name: SHIP,  boat " in text
    complete = map_classes(["ship"], CATS)
    assert complete.missing == () and "all exist in the project" in complete.message(["ship"])
    assert "No class matched" in map_classes(["cat"], CATS).message(["cat"])


def _dets(rows: list[list[float]]) -> np.ndarray:
    return np.asarray(rows, dtype=np.float32).reshape(-1, 6)


def test_suggestions_keep_mapped_classes_above_conf_clipped_best_first():
    class_map = ClassMap((1, None, 2), ("buoy",))
    dets = _dets([[10, 10, 50, 40, 0.30, 0],     # kept
                  [-5, 20, 30, 130, 0.90, 2],    # kept, clipped to the 100 x 120 image
                  [10, 10, 50, 40, 0.95, 1],     # a class the project lacks: dropped
                  [20, 20, 60, 60, 0.10, 0],     # under conf: dropped
                  [99.5, 5, 140, 30, 0.80, 0],   # under a pixel wide once clipped: dropped
                  [5, 5, 9, 9, 0.25, 2]])        # exactly at conf: kept
    found = to_suggestions(dets, class_map, 0.25, (100, 120))
    assert [(s.category_id, round(s.score, 2)) for s in found] == [(2, 0.9), (1, 0.3), (2, 0.25)]
    assert found[0].box == (0.0, 20.0, 30.0, 120.0) and found[0].keypoints is None
    assert to_suggestions(dets, class_map, 0.5, (100, 120))[0].score == pytest.approx(0.9)
    assert to_suggestions(np.zeros((0, 6), np.float32), class_map, 0.1, (100, 120)) == []


def test_pose_detections_give_keypoints_visible_where_confident():
    row = [10, 10, 60, 60, 0.9, 0, 20, 30, 0.8, 200, 40, 0.6, 30, 30, 0.2]  # K = 3; one x past the image
    dets = np.asarray([row], dtype=np.float32)
    (s,) = to_suggestions(dets, ClassMap((1,), ()), 0.25, (100, 100), num_keypoints=3)
    assert s.keypoints.tolist() == [[20, 30, 2], [100, 40, 2], [0, 0, 0]]
    (boxes_only,) = to_suggestions(dets, ClassMap((1,), ()), 0.25, (100, 100), num_keypoints=0)
    assert boxes_only.keypoints is None
    assert keypoints_kept(3, (3, 3)) == 3 and keypoints_kept(3, (17, 3)) == 0
    assert keypoints_kept(3, None) == 0 and keypoints_kept(0, (3, 3)) == 0


def test_unlabeled_means_no_objects_and_not_done(tmp_path):
    specs = {"a_labeled.jpg": ("done", [Annotation(1, (1, 1, 9, 9))]),
             "b_empty_done.jpg": ("done", []),
             "c_new.jpg": ("unlabeled", []),
             "d_started.jpg": ("in_progress", []),
             "e_objects_in_progress.jpg": ("in_progress", [Annotation(1, (1, 1, 9, 9))])}
    samples = [Sample(name, tmp_path / name, 20, 20, "train", anns, status=status)
               for name, (status, anns) in specs.items()]
    with Project.create(tmp_path / "p.tern", Dataset(CATS[:2], samples)) as project:
        rows = unlabeled_images(project, page=2)  # several pages
        assert [r.file_name for r in rows] == ["c_new.jpg", "d_started.jpg"]
        assert all(is_unlabeled(r) for r in rows)
        first = project.page(0, 1)[0]
        assert not is_unlabeled(first)
        new_id = rows[0].id
        project.add_box(new_id, 1, (2, 2, 8, 8))
        assert [r.file_name for r in unlabeled_images(project)] == ["d_started.jpg"]


def test_a_run_folder_means_its_best_weights_else_its_onnx(tmp_path):
    run = tmp_path / "runs" / "detect" / "train"
    (run / "weights").mkdir(parents=True)
    with pytest.raises(CheckpointError, match=r"no weights/best\.pt and no model\.onnx"):
        resolve_weights(run)
    (run / "model.onnx").write_bytes(b"x")
    assert resolve_weights(run) == run / "model.onnx"
    (run / "weights" / "best.pt").write_bytes(b"x")
    assert resolve_weights(run) == run / "weights" / "best.pt"
    assert resolve_weights(run / "model.onnx") == run / "model.onnx"
    with pytest.raises(CheckpointError, match="no such"):
        resolve_weights(tmp_path / "nowhere")
    later = tmp_path / "runs" / "pose" / "train"
    later.mkdir(parents=True)
    (later / "model.onnx").write_bytes(b"x")
    os.utime(later / "model.onnx", (2e9, 2e9))
    (tmp_path / "runs" / "denoise" / "train").mkdir(parents=True)
    assert newest_run(tmp_path / "runs") == later
    assert newest_run(tmp_path / "empty") is None and newest_run(None) is None


def test_a_random_onnx_detector_prelabels_an_image_file(tmp_path):
    torch.manual_seed(0)
    model = liven(build_detector(ModelConfig(nc=2)))
    onnx = export_onnx(model, tmp_path / "model.onnx", 64, names=["SHIP", "buoy"], class_ids=[1, 2])
    opened = open_model(tmp_path, conf=0.05, device="cpu")  # the folder: its model.onnx
    assert opened.path == onnx and opened.names == ("SHIP", "buoy") and opened.num_keypoints == 0
    image = np.random.default_rng(0).integers(0, 256, (90, 120, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "sea.png"), image)
    class_map = map_classes(opened.names, CATS)
    found = predict_suggestions(opened, tmp_path / "sea.png", class_map, 0.05)
    assert found, "a livened detector finds something at conf 0.05"
    scores = [s.score for s in found]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 0.05
    assert {s.category_id for s in found} <= {1}  # buoy is not in the project: never suggested
    for s in found:
        x1, y1, x2, y2 = s.box
        assert 0 <= x1 < x2 <= 120 and 0 <= y1 < y2 <= 90


def test_denoisers_and_foreign_files_are_refused(tmp_path):
    save_checkpoint(tmp_path / "denoiser.pt", {"task": "denoise", "model": {}})
    with pytest.raises(ConfigError) as refused:
        open_model(tmp_path / "denoiser.pt", device="cpu")
    assert DENOISER_HINT in str(refused.value) and "denoiser.pt" in str(refused.value)
    assert "pre-labeling needs a detect or pose model" in str(refused.value)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CheckpointError, match="not a weights file"):
        open_model(tmp_path / "notes.txt")


def test_suggestions_repeating_an_existing_object_of_the_same_class_are_dropped():
    found = [Suggestion(1, (10, 10, 50, 50), 0.9), Suggestion(2, (10, 10, 50, 50), 0.8),
             Suggestion(1, (60, 60, 90, 90), 0.7)]
    existing = [(1, (11, 11, 51, 49))]  # IoU ~0.9 with the first, same class
    kept = drop_existing(found, existing)
    assert kept == found[1:]  # another class at the same place stays, and a box elsewhere
    assert drop_existing(found, []) == found
    assert drop_existing(found, [(1, (10, 10, 30, 30))]) == found  # IoU 0.25: a different object
