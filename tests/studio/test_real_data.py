"""Checks on real public data in ../shared/data (skip without it; fail in CI via TERN_REQUIRE_DATA=1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.io.coco import load_coco
from studio.io.dataset import load_dataset
from studio.io.problems import MissingImage, MissingLabelFile, NotADataset
from studio.io.yolo import load_yolo, save_yolo

POSE_SETS = ["coco/test_coco.json", "crowdpose/test_crowdpose.json", "ochuman/test_ochuman.json",
             "ap10k/test_ap10k.json", "macaque/test_macaque.json"]
NOT_DATASETS = {
    "coco/test_coco_det_AP_H_56.json": "results",
    "crowdpose/test_crowdpose_det_AP_40.json": "results",
    "mpii/test_mpii.json": "MPII",
    "mpii/test_mpii_trb.json": "MPII",
}


def _rows(path: Path) -> np.ndarray:
    rows = [[float(v) for v in line.split()] for line in path.read_text().splitlines() if line.strip()]
    return np.asarray(sorted(rows), dtype=np.float64).reshape(-1, 5)


def test_coco128_json_to_yolo_reproduces_the_shipped_rows(shared_data, tmp_path):
    root = shared_data / "coco128"
    dataset, problems = load_coco(root / "annotations" / "instances_train2017.json")
    assert not [p for p in problems if p.is_error]
    assert len(dataset.samples) == 128 and len(dataset.categories) == 80
    notes = save_yolo(dataset, tmp_path, images="none")
    assert any("crowd" in note for note in notes)
    shipped = {p.stem: p for p in (root / "labels" / "train2017").glob("*.txt")}
    ours = {p.stem: p for p in (tmp_path / "labels").rglob("*.txt")}
    common = sorted(shipped.keys() & ours.keys())
    assert len(common) == 126
    for stem in common:
        np.testing.assert_allclose(_rows(ours[stem]), _rows(shipped[stem]), atol=1e-4, err_msg=stem)
    for stem in sorted(ours.keys() - shipped.keys()):  # the two background images
        assert _rows(ours[stem]).shape == (0, 5), stem


def test_coco128_yolo_to_coco_within_half_a_pixel(shared_data):
    root = shared_data / "coco128"
    yolo, problems = load_yolo(root / "data.yaml")
    orphans = [p for p in problems if isinstance(p, MissingImage)]
    assert sorted(Path(p.path).stem for p in orphans) == ["000000000656", "000000000659"]
    background = [p for p in problems if isinstance(p, MissingLabelFile) and "train2017" in str(p.path)]
    assert sorted(Path(p.path).stem for p in background) == ["000000000250", "000000000508"]
    coco, _ = load_coco(root / "annotations" / "instances_train2017.json")
    index = coco.class_index()
    by_name = {Path(s.file_name).name: s for s in yolo.samples if s.split == "train"}
    yolo_index = yolo.class_index()
    compared = 0
    for sample in coco.samples:
        expected = sorted((index[a.category_id], *a.box) for a in sample.annotations if not a.iscrowd)
        got = sorted((yolo_index[a.category_id], *a.box) for a in by_name[sample.file_name].annotations)
        assert len(got) == len(expected), sample.file_name
        got_rows = np.asarray(got).reshape(-1, 5)
        for row in expected:  # each COCO box has a YOLO box of its class within 0.5 px
            same = got_rows[got_rows[:, 0] == row[0], 1:]
            assert np.abs(same - np.asarray(row[1:])).max(axis=1).min() <= 0.5, (sample.file_name, row)
        compared += len(expected)
    assert compared == 929


@pytest.mark.parametrize("name", POSE_SETS)
def test_pose_sets_survive_yolo_and_back(shared_data, tmp_path, name):
    dataset, problems = load_coco(shared_data / "pose" / name)
    assert not [p for p in problems if p.is_error], [str(p) for p in problems]
    assert dataset.kpt_shape is not None
    save_yolo(dataset, tmp_path, images="copy")
    back, back_problems = load_yolo(tmp_path)
    assert not [p for p in back_problems if p.is_error], [str(p) for p in back_problems]
    assert back.keypoint_names() == dataset.keypoint_names()
    assert back.skeleton() == dataset.skeleton()
    by_name = {Path(s.file_name).name: s for s in back.samples}
    for sample in dataset.samples:
        kept = [a for a in sample.annotations if not a.iscrowd]
        other = by_name[Path(sample.file_name).name].annotations
        assert len(other) == len(kept)
        for a, b in zip(sorted(kept, key=lambda a: a.box), sorted(other, key=lambda a: a.box), strict=True):
            visible = a.keypoints[:, 2] > 0
            np.testing.assert_allclose(b.keypoints[visible, :2], a.keypoints[visible, :2], atol=1e-3)
            np.testing.assert_array_equal(b.keypoints[:, 2], a.keypoints[:, 2])


@pytest.mark.parametrize("name, what", sorted(NOT_DATASETS.items()))
def test_files_that_are_not_coco_datasets_are_named(shared_data, name, what):
    _, problems = load_dataset(shared_data / "pose" / name)
    rejected = [p for p in problems if isinstance(p, NotADataset)]
    assert rejected, [str(p) for p in problems]
    assert what.lower() in rejected[0].message.lower()


def test_coco128_coco_to_yolo_to_coco_keeps_categories_sizes_and_boxes(shared_data, tmp_path):
    from studio.cli import main

    src = shared_data / "coco128" / "annotations" / "instances_train2017.json"
    assert main(["data", "convert", str(src), str(tmp_path / "yolo"), "--to", "yolo"]) == 0
    assert main(["data", "convert", str(tmp_path / "yolo"), str(tmp_path / "coco"), "--to", "coco"]) == 0
    original, _ = load_coco(src)
    back, problems = load_dataset(tmp_path / "coco")
    assert not [p for p in problems if p.is_error]
    assert [(c.id, c.name, c.supercategory) for c in back.categories] == \
        [(c.id, c.name, c.supercategory) for c in original.categories]
    by_name = {Path(s.file_name).name: s for s in back.samples}
    for sample in original.samples:
        other = by_name[Path(sample.file_name).name]
        assert (other.width, other.height) == (sample.width, sample.height)
        kept = sorted((a.category_id, *a.box) for a in sample.annotations if not a.iscrowd)
        got = sorted((a.category_id, *a.box) for a in other.annotations)
        assert len(got) == len(kept)
        scale = np.asarray([1, sample.width, sample.height, sample.width, sample.height])
        for row in kept:
            diffs = np.abs((np.asarray(got) - np.asarray(row)) / scale)
            same_class = diffs[:, 0] == 0
            assert diffs[same_class, 1:].max(axis=1).min() <= 1e-6, (sample.file_name, row)
