"""Every kind of COCO problem: what its message says (what is wrong, which entry), its severity, and
whether the entry is kept (images) or skipped (annotations)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.io.coco import load_coco
from studio.io.problems import (
    CoordinateOutOfRange,
    DuplicateCocoId,
    InvalidCocoId,
    InvalidEntry,
    InvalidField,
    KeypointCountMismatch,
    MissingField,
    NonPositiveSize,
    NumKeypointsMismatch,
    SkeletonOutOfRange,
    UnknownReference,
    UnnamedKeypoints,
)

BASE = {
    "images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 80},
               {"id": 2, "file_name": "b.png", "width": 100, "height": 80}],
    "categories": [{"id": 1, "name": "person", "supercategory": "human",
                    "keypoints": ["left_hand", "right_hand", "nose"], "skeleton": [[1, 3], [2, 3]]},
                   {"id": 5, "name": "box", "supercategory": "thing"}],
    "annotations": [
        {"id": 10, "image_id": 1, "category_id": 5, "bbox": [10, 10, 20, 20], "iscrowd": 0},
        {"id": 11, "image_id": 2, "category_id": 1, "bbox": [5, 5, 50, 50], "iscrowd": 0,
         "keypoints": [10, 10, 2, 20, 20, 1, 0, 0, 0], "num_keypoints": 2},
        {"id": 12, "image_id": 2, "category_id": 1, "bbox": [6, 6, 40, 40], "iscrowd": 0,
         "keypoints": [11, 11, 2, 21, 21, 2, 30, 30, 2], "num_keypoints": 3},
    ],
}


def _load(tmp_path: Path, mutate: Callable[[dict], None]):
    data = copy.deepcopy(BASE)
    mutate(data)
    for name in ("a.png", "b.png"):
        Image.new("RGB", (100, 80)).save(tmp_path / name)
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(data))
    dataset, problems = load_coco(path)
    return dataset, problems, path


def _ann(index: int, **fields) -> Callable[[dict], None]:
    def mutate(data: dict) -> None:
        for key, value in fields.items():
            if value is ...:
                del data["annotations"][index][key]
            else:
                data["annotations"][index][key] = value
    return mutate


def _set(section: str, index: int, key: str, value: object) -> Callable[[dict], None]:
    def mutate(data: dict) -> None:
        if value is ...:
            del data[section][index][key]
        else:
            data[section][index][key] = value
    return mutate


def _count(dataset) -> int:
    return sum(len(s.annotations) for s in dataset.samples)


CASES = [
    # name, mutation, problem kind, texts in its message, annotations left (of 3)
    ("ann id 0", _ann(0, id=0), InvalidCocoId, ["annotation (index 0) id 0 is invalid", "positive"], 2),
    ("ann id string", _ann(0, id="10"), InvalidCocoId, ["annotation (index 0) id '10' is invalid"], 2),
    ("ann id bool", _ann(1, id=True), InvalidCocoId, ["annotation (index 1) id True is invalid"], 2),
    ("ann id float", _ann(0, id=10.0), InvalidCocoId, ["id 10.0 is invalid"], 2),
    ("ann id missing", _ann(0, id=...), MissingField, ["annotation (index 0) has no 'id'"], 2),
    ("ann id repeated", _ann(1, id=10), DuplicateCocoId, ["annotation id 10 is used more than once"], 2),
    ("unknown image", _ann(0, image_id=99), UnknownReference,
     ["annotation id 10 (index 0) refers to image_id 99, which does not exist"], 2),
    ("unknown category", _ann(0, category_id=77), UnknownReference,
     ["annotation id 10 (index 0) refers to category_id 77"], 2),
    ("no image_id", _ann(0, image_id=...), MissingField, ["annotation id 10 (index 0) has no 'image_id'"], 2),
    ("no bbox", _ann(0, bbox=...), MissingField, ["annotation id 10 (index 0) has no 'bbox'"], 2),
    ("bbox of 3", _ann(0, bbox=[1, 2, 3]), InvalidField,
     ["annotation id 10 (index 0) has 'bbox' = [1, 2, 3], expected [x, y, width, height]"], 2),
    ("bbox string", _ann(0, bbox=["1", 2, 3, 4]), InvalidField, ["'bbox' = ['1', 2, 3, 4]"], 2),
    ("bbox nan", _ann(0, bbox=[1, float("nan"), 3, 4]), InvalidField,
     ["'bbox' = [1, nan, 3, 4]", "finite"], 2),
    ("zero width", _ann(0, bbox=[1, 2, 0, 4]), NonPositiveSize,
     ["annotation id 10 (index 0): box has zero or negative size (w=0, h=4)"], 2),
    ("outside", _ann(0, bbox=[90, 10, 20, 20]), CoordinateOutOfRange,
     ["annotation id 10 (index 0) bbox [x, y, width, height] (90, 10, 20, 20) lies outside the 100x80 "
      "image"], 2),
    ("num_keypoints", _ann(1, num_keypoints=3), NumKeypointsMismatch,
     ["annotation id 11 (index 1) says num_keypoints=3 but 2 keypoints have visibility > 0"], 3),
    ("keypoint count", _ann(1, keypoints=[1, 2, 2]), KeypointCountMismatch,
     ["annotation id 11 (index 1) has 3 keypoint values, expected 9"], 2),
    ("keypoint strings", _ann(1, keypoints=["a"] * 9), InvalidField, ["'keypoints' = ['a', 'a'"], 2),
    ("keypoints not a list", _ann(1, keypoints={"x": 1}), InvalidField,
     ["annotation id 11 (index 1) has 'keypoints' = {'x': 1}, expected a list"], 2),
    ("iscrowd 2", _ann(0, iscrowd=2), InvalidField, ["'iscrowd' = 2, expected 0 or 1"], 2),
    ("not an object", lambda d: d["annotations"].insert(0, "junk"), InvalidEntry,
     ["annotations[0] is a JSON string, not an object"], 3),
    ("image not an object", lambda d: d["images"].append(5), InvalidEntry, ["images[2] is a JSON number"], 3),
    ("image id -3", _set("images", 0, "id", -3), InvalidCocoId, ["image (index 0) id -3 is invalid"], 2),
    ("image id repeated", _set("images", 1, "id", 1), DuplicateCocoId,
     ["image id 1 is used more than once"], 1),
    ("image width string", _set("images", 0, "width", "100"), InvalidField,
     ["image id 1 (index 0) has 'width' = '100', expected a positive integer"], 3),
    ("no file_name", _set("images", 0, "file_name", ...), MissingField,
     ["image id 1 (index 0) has no 'file_name'"], 3),
    ("category id 0", _set("categories", 1, "id", 0), InvalidCocoId,
     ["category (index 1) id 0 is invalid"], 2),
    ("category id repeated", _set("categories", 1, "id", 1), DuplicateCocoId,
     ["category id 1 is used more than once"], 2),
    ("category without name", _set("categories", 1, "name", ...), MissingField,
     ["category id 5 (index 1) has no 'name'"], 3),
    ("bad skeleton", _set("categories", 0, "skeleton", [[1, "2"]]), InvalidField,
     ["category id 1 (index 0) has 'skeleton' = [[1, '2']]"], 3),
    ("skeleton out of range", _set("categories", 0, "skeleton", [[1, 4]]), SkeletonOutOfRange,
     ["category id 1 (index 0) skeleton pair [1, 4] refers to a keypoint outside 1..3"], 3),
    ("keypoint names not strings", _set("categories", 0, "keypoints", [1, 2, 3]), InvalidField,
     ["category id 1 (index 0) has 'keypoints' = [1, 2, 3], expected a list of keypoint names"], 3),
    ("no categories", lambda d: d.pop("categories"), MissingField, ["the file has no 'categories'"], 0),
]


@pytest.mark.parametrize("name, mutate, kind, texts, left", CASES, ids=[c[0] for c in CASES])
def test_problem_messages_name_what_and_where(tmp_path, name, mutate, kind, texts, left):
    dataset, problems, path = _load(tmp_path, mutate)
    found = [p for p in problems if isinstance(p, kind)]
    assert found, [str(p) for p in problems]
    for text in texts:
        assert text in found[0].message, found[0].message
    assert found[0].path == path and str(found[0]).startswith(f"{path}: {found[0].severity}: ")
    assert _count(dataset) == left


def test_base_dataset_is_clean(tmp_path):
    dataset, problems, _ = _load(tmp_path, lambda d: None)
    assert problems == [] and _count(dataset) == 3 and dataset.kpt_shape == (3, 3)
    assert dataset.flip_idx == (1, 0, 2)


def test_warnings_keep_their_objects_and_errors_skip_them(tmp_path):
    _, problems, _ = _load(tmp_path, _ann(1, num_keypoints=3))
    assert [p.severity for p in problems] == ["warning"]
    _, problems, _ = _load(tmp_path, _ann(0, bbox=[1, 2, 0, 4]))
    assert [p.severity for p in problems] == ["error"]


def test_a_bad_image_keeps_its_entry_without_an_id(tmp_path):
    dataset, problems, _ = _load(tmp_path, _set("images", 0, "id", 0))
    assert [s.id for s in dataset.samples] == [None, 2]
    assert [type(p) for p in problems] == [InvalidCocoId, UnknownReference]  # annotation 10 lost its image
    dataset, problems, _ = _load(tmp_path, _set("images", 1, "id", 1))
    assert [s.id for s in dataset.samples] == [1, None]
    assert [len(s.annotations) for s in dataset.samples] == [1, 0]  # image_id 1 means the first one
    assert [type(p) for p in problems] == [DuplicateCocoId, UnknownReference, UnknownReference]


def test_an_image_size_that_is_not_a_number_is_read_from_the_file(tmp_path):
    dataset, _, _ = _load(tmp_path, _set("images", 0, "width", "100"))
    assert (dataset.samples[0].width, dataset.samples[0].height) == (100, 80)


def test_an_image_without_size_and_without_file(tmp_path):
    def mutate(data: dict) -> None:
        del data["images"][0]["width"]
        data["images"][0]["file_name"] = "gone.png"
    dataset, problems, _ = _load(tmp_path, mutate)
    missing = [p for p in problems if isinstance(p, MissingField)]
    assert len(missing) == 1 and "image id 1 'gone.png' has no 'width'" in missing[0].message
    assert dataset.samples[0].width == 0 and len(dataset.samples[0].annotations) == 1  # no range check


def test_a_box_within_one_pixel_of_the_image_is_fine(tmp_path):
    dataset, problems, _ = _load(tmp_path, _ann(0, bbox=[-0.9, -0.5, 100.8, 80.4]))
    assert problems == [] and _count(dataset) == 3


def test_keypoints_without_a_box_give_the_box_of_the_visible_ones(tmp_path):
    dataset, problems, _ = _load(tmp_path, _ann(1, bbox=...))
    assert problems == []
    ann = next(a for a in dataset.samples[1].annotations if a.id == 11)
    assert ann.box == (10.0, 10.0, 20.0, 20.0)  # the third keypoint has v = 0


def test_consistent_unnamed_keypoints_are_read_with_a_warning(tmp_path):
    def mutate(data: dict) -> None:  # both person objects carry 4 keypoints under 3 names
        for ann in data["annotations"][1:]:
            ann["keypoints"] = [*ann["keypoints"], 1, 1, 2]
            ann["num_keypoints"] += 1
    dataset, problems, _ = _load(tmp_path, mutate)
    assert [type(p) for p in problems] == [UnnamedKeypoints]
    assert problems[0].severity == "warning"
    assert "category id 1 'person' names 3 keypoints but each of its objects has 4" in problems[0].message
    assert dataset.kpt_shape == (4, 3) and dataset.flip_idx is None and _count(dataset) == 3
    np.testing.assert_array_equal(dataset.samples[1].annotations[0].keypoints[3], [1, 1, 2])


def test_keypoints_on_a_category_that_names_none(tmp_path):
    dataset, problems, _ = _load(tmp_path, _ann(0, keypoints=[15, 15, 2]))
    assert [type(p) for p in problems] == [UnnamedKeypoints]
    assert "category id 5 'box' names 0 keypoints" in problems[0].message
    assert dataset.samples[0].annotations[0].keypoints.shape == (1, 3)


def test_empty_keypoints_mean_none(tmp_path):
    dataset, problems, _ = _load(tmp_path, _ann(1, keypoints=[], num_keypoints=0))
    assert problems == []
    ann = next(a for a in dataset.samples[1].annotations if a.id == 11)
    assert ann.keypoints is None and ann.extra["keypoints"] == []
