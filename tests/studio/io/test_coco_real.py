"""load_coco / save_coco on real public files in ../shared/data (skip without them; fail in CI)."""

from __future__ import annotations

import json

import pytest
from test_coco_gen import assert_same_coco

from studio.io.coco import load_coco, save_coco
from studio.io.problems import NotADataset, NumKeypointsMismatch, SkeletonOutOfRange, UnnamedKeypoints

POSE_SETS = {  # file -> (images, objects, keypoints per object)
    "coco/test_coco.json": (4, 14, 17),
    "coco/test_coco_wholebody.json": (4, 14, 17),
    "coco/test_keypoint_partition_metric.json": (4, 14, 133),
    "crowdpose/test_crowdpose.json": (2, 5, 14),
    "ochuman/test_ochuman.json": (3, 5, 17),
    "ap10k/test_ap10k.json": (2, 2, 17),
    "macaque/test_macaque.json": (2, 2, 17),
}
NOT_DATASETS = {
    "coco/test_coco_det_AP_H_56.json": "a detection-results list (image_id, category_id, bbox, score)",
    "crowdpose/test_crowdpose_det_AP_40.json": "a detection-results list (image_id, category_id, bbox, "
                                               "score)",
    "mpii/test_mpii.json": "an MPII-format keypoint list",
    "mpii/test_mpii_trb.json": "an MPII-TRB keypoint file",
}


def test_coco128_instances(shared_data):
    root = shared_data / "coco128"
    dataset, problems = load_coco(root / "annotations" / "instances_train2017.json", check_sizes=True)
    assert problems == []
    assert len(dataset.samples) == 128 and dataset.root == root / "images" / "train2017"
    assert all(s.path is not None and s.path.parent == dataset.root for s in dataset.samples)
    assert {s.split for s in dataset.samples} == {"train"}
    anns = [a for s in dataset.samples for a in s.annotations]
    assert len(anns) == 939 and sum(a.iscrowd for a in anns) == 10
    assert all(isinstance(a.extra["segmentation"], dict) for a in anns if a.iscrowd)  # crowd RLE kept
    ids = [c.id for c in dataset.categories]
    assert len(ids) == 80 and ids == sorted(ids) and ids[0] == 1 and ids[-1] == 90
    assert set(range(1, 91)) - set(ids) == {12, 26, 29, 30, 45, 66, 68, 69, 71, 83}
    assert dataset.categories[0].name == "person" and dataset.categories[0].supercategory == "person"
    assert dataset.kpt_shape is None and set(dataset.extra) == {"info", "licenses"}


def test_coco128_round_trips_exactly(shared_data, tmp_path):
    path = shared_data / "coco128" / "annotations" / "instances_train2017.json"
    dataset, _ = load_coco(path)
    assert save_coco(dataset, tmp_path / "out.json") == []
    assert_same_coco(json.loads((tmp_path / "out.json").read_text()), json.loads(path.read_text()))


@pytest.mark.parametrize("name", sorted(POSE_SETS))
def test_pose_sets_load_without_errors_and_round_trip(shared_data, tmp_path, name):
    path = shared_data / "pose" / name
    dataset, problems = load_coco(path, check_sizes=True, verify_images=True)
    assert not [p for p in problems if p.is_error], [str(p) for p in problems]
    assert {type(p) for p in problems} <= {NumKeypointsMismatch, SkeletonOutOfRange, UnnamedKeypoints}
    images, objects, k = POSE_SETS[name]
    assert len(dataset.samples) == images and all(s.path is not None for s in dataset.samples)
    assert sum(len(s.annotations) for s in dataset.samples) == objects
    assert dataset.kpt_shape == (k, 3)
    original = json.loads(path.read_text())
    save_coco(dataset, tmp_path / "out.json")
    written = json.loads((tmp_path / "out.json").read_text())
    for ann in original["annotations"]:  # what an export adds or recounts:
        ann["num_keypoints"] = sum(1 for v in ann["keypoints"][2::3] if v > 0)  # CrowdPose counts v == 2
        ann.setdefault("area", ann["bbox"][2] * ann["bbox"][3])
        ann.setdefault("segmentation", [])
    assert_same_coco(written, original)


def test_wholebody_extras_survive(shared_data):
    dataset, _ = load_coco(shared_data / "pose" / "coco" / "test_coco_wholebody.json")
    ann = dataset.samples[0].annotations[0]
    wholebody = {"face_kpts", "lefthand_kpts", "righthand_kpts", "foot_kpts", "face_box", "face_valid"}
    assert wholebody <= set(ann.extra)
    assert dataset.flip_idx == (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)


def test_crowdpose_quirks_are_warnings(shared_data):
    _, problems = load_coco(shared_data / "pose" / "crowdpose" / "test_crowdpose.json")
    assert sum(isinstance(p, NumKeypointsMismatch) for p in problems) == 4
    assert sum(isinstance(p, SkeletonOutOfRange) for p in problems) == 3  # pairs naming keypoints 15..17


@pytest.mark.parametrize("name", sorted(NOT_DATASETS))
def test_files_that_are_not_datasets(shared_data, name):
    dataset, problems = load_coco(shared_data / "pose" / name)
    assert [type(p) for p in problems] == [NotADataset] and dataset.samples == []
    assert NOT_DATASETS[name] in problems[0].message
