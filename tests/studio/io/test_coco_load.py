"""load_coco: fields, formats, images-folder resolution, splits, sizes, files that are not datasets."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_coco_gen import KEYPOINT_NAMES, make_coco

from studio.errors import DatasetNotFoundError
from studio.io.coco import load_coco
from studio.io.problems import (
    ImageSizeMismatch,
    InvalidJson,
    MissingImage,
    NotADataset,
    PathEscapesDataset,
    UnreadableImage,
)
from studio.io.splits import hash_split


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _png(path: Path, size: tuple[int, int] = (40, 30)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (10, 20, 30)).save(path)
    return path


def _minimal(file_names: list[str], **image_fields) -> dict:
    return {"images": [{"id": i + 1, "file_name": name, "width": 40, "height": 30, **image_fields}
                       for i, name in enumerate(file_names)],
            "annotations": [], "categories": [{"id": 1, "name": "thing", "supercategory": ""}]}


def test_every_field_is_read_and_boxes_become_xyxy(tmp_path):
    json_path, data = make_coco(tmp_path, random.Random(0), num_images=6)
    dataset, problems = load_coco(json_path)
    assert problems == []
    assert [c.id for c in dataset.categories] == [3, 7, 12, 40]
    cat = dataset.categories[0]
    assert (cat.name, cat.supercategory, cat.keypoints) == ("cat", "animal", tuple(KEYPOINT_NAMES))
    assert cat.skeleton == ((1, 2), (1, 3), (2, 4), (3, 5), (1, 6)) and cat.extra == {"color": [255, 0, 0]}
    assert dataset.categories[2].extra == {"aliases": ["sign", "board"]}
    assert dataset.kpt_shape == (6, 3)
    assert dataset.flip_idx == (0, 2, 1, 4, 3, 5)  # left_eye <-> right_eye, left_hand <-> right_hand
    assert dataset.extra == {"info": data["info"], "licenses": data["licenses"],
                             "tern_custom": {"kept": True}}
    assert dataset.root == tmp_path
    anns = {a["id"]: a for a in data["annotations"]}
    for sample, image in zip(dataset.samples, data["images"], strict=True):
        assert (sample.id, sample.file_name, sample.width, sample.height) == (
            image["id"], image["file_name"], image["width"], image["height"])
        assert sample.path == tmp_path / image["file_name"] and sample.labeled and sample.status == "done"
        own = ("id", "file_name", "width", "height")
        assert sample.extra == {k: v for k, v in image.items() if k not in own}
        assert sample.split == hash_split(image["file_name"])  # "instances.json" names no split
        for ann in sample.annotations:
            raw = anns[ann.id]
            x, y, w, h = raw["bbox"]
            assert ann.box == (x, y, x + w, y + h) and all(type(v) is float for v in ann.box)
            assert ann.iscrowd is bool(raw["iscrowd"]) and ann.category_id == raw["category_id"]
            own = ("id", "image_id", "category_id", "bbox", "iscrowd", "keypoints")
            assert ann.extra == {k: v for k, v in raw.items() if k not in own}
            if "keypoints" in raw:
                assert ann.keypoints.dtype == np.float64 and ann.keypoints.shape == (6, 3)
                np.testing.assert_array_equal(ann.keypoints.ravel(), raw["keypoints"])
            else:
                assert ann.keypoints is None
    assert sum(len(s.annotations) for s in dataset.samples) == len(data["annotations"])


def test_images_found_beside_the_json_or_by_the_split_rules(tmp_path):
    beside = _write(tmp_path / "a" / "labels.json", _minimal(["x.png"]))
    _png(tmp_path / "a" / "x.png")
    dataset, problems = load_coco(beside)
    assert problems == [] and dataset.root == tmp_path / "a"
    assert dataset.samples[0].path == tmp_path / "a/x.png"

    coco = _write(tmp_path / "b" / "annotations" / "instances_val2017.json", _minimal(["x.png"]))
    _png(tmp_path / "b" / "images" / "val2017" / "x.png")
    dataset, problems = load_coco(coco)
    assert problems == [] and dataset.root == tmp_path / "b/images/val2017"
    assert dataset.samples[0].path == tmp_path / "b/images/val2017/x.png"
    assert dataset.samples[0].split == "val"

    flat = _write(tmp_path / "c" / "annotations" / "person_keypoints_train2017.json", _minimal(["x.png"]))
    _png(tmp_path / "c" / "train2017" / "x.png")
    dataset, problems = load_coco(flat)
    assert problems == [] and dataset.samples[0].path == tmp_path / "c/train2017/x.png"
    assert dataset.samples[0].split == "train"


def test_images_dir_argument_wins_and_subfolders_resolve(tmp_path):
    json_path = _write(tmp_path / "labels.json", _minimal(["sub/x.png", "y.png"]))
    _png(tmp_path / "y.png")  # beside the json, but images_dir says where to look
    _png(tmp_path / "elsewhere" / "sub" / "x.png")
    _png(tmp_path / "elsewhere" / "y.png")
    dataset, problems = load_coco(json_path, images_dir=tmp_path / "elsewhere")
    assert problems == []
    expected = [tmp_path / "elsewhere/sub/x.png", tmp_path / "elsewhere/y.png"]
    assert [s.path for s in dataset.samples] == expected


def test_a_missing_image_is_a_problem_on_that_entry_only(tmp_path):
    json_path = _write(tmp_path / "labels.json", _minimal(["x.png", "gone.png", "y.png"]))
    _png(tmp_path / "x.png")
    _png(tmp_path / "y.png")
    dataset, problems = load_coco(json_path)
    assert [type(p) for p in problems] == [MissingImage]
    assert problems[0].expected == tmp_path / "gone.png" and "gone.png" in problems[0].message
    assert problems[0].path == json_path
    assert [s.path is None for s in dataset.samples] == [False, True, False]
    assert [s.file_name for s in dataset.samples] == ["x.png", "gone.png", "y.png"]


def test_file_names_that_escape_the_images_folder(tmp_path):
    _png(tmp_path / "outside.png")
    json_path = _write(tmp_path / "d" / "labels.json",
                       _minimal(["../outside.png", str(tmp_path / "outside.png"), "a/../../outside.png"]))
    dataset, problems = load_coco(json_path)
    assert [type(p) for p in problems] == [PathEscapesDataset] * 3
    assert "'../outside.png' points outside the dataset folder" in problems[0].message
    assert all(s.path is None for s in dataset.samples) and len(dataset.samples) == 3


def test_split_argument_json_name_and_hash(tmp_path):
    names = [f"im{i}.png" for i in range(40)]
    json_path = _write(tmp_path / "labels.json", _minimal(names))
    dataset, _ = load_coco(json_path, split="test")
    assert {s.split for s in dataset.samples} == {"test"}
    dataset, _ = load_coco(json_path)
    assert [s.split for s in dataset.samples] == [hash_split(n) for n in names]
    assert {s.split for s in dataset.samples} == {"train", "val"}
    val_path = _write(tmp_path / "x_val.json", _minimal(names))
    assert {s.split for s in load_coco(val_path)[0].samples} == {"val"}
    with pytest.raises(ValueError, match="split='validation'"):
        load_coco(val_path, split="validation")


def test_missing_sizes_are_read_from_the_image_and_checked_on_request(tmp_path):
    data = _minimal(["a.png", "b.png"])
    del data["images"][0]["width"], data["images"][0]["height"]
    data["images"][1]["width"] = 41  # the file is 40 wide
    json_path = _write(tmp_path / "labels.json", data)
    _png(tmp_path / "a.png", (50, 20))
    _png(tmp_path / "b.png", (40, 30))
    dataset, problems = load_coco(json_path)
    assert problems == []
    assert [(s.width, s.height) for s in dataset.samples] == [(50, 20), (41, 30)]
    dataset, problems = load_coco(json_path, check_sizes=True)
    assert [type(p) for p in problems] == [ImageSizeMismatch]
    assert problems[0].path == tmp_path / "b.png"
    assert "declared size 41x30 differs from the image's 40x30" in problems[0].message


def test_verify_images_reports_a_truncated_file(tmp_path):
    json_path = _write(tmp_path / "labels.json", _minimal(["a.png", "b.png"]))
    _png(tmp_path / "a.png")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)).save(tmp_path / "b.png")
    data = (tmp_path / "b.png").read_bytes()
    (tmp_path / "b.png").write_bytes(data[: len(data) // 2])
    assert load_coco(json_path)[1] == []  # the header alone is fine
    _, problems = load_coco(json_path, verify_images=True)
    assert [type(p) for p in problems] == [UnreadableImage]
    assert problems[0].path == tmp_path / "b.png" and "cannot be read" in problems[0].message


def test_unreadable_paths_raise_dataset_not_found(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="no such file"):
        load_coco(tmp_path / "nope.json")
    with pytest.raises(DatasetNotFoundError, match="is a folder"):
        load_coco(tmp_path)
    locked = _write(tmp_path / "locked.json", _minimal([]))
    os.chmod(locked, 0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(DatasetNotFoundError, match="permission denied"):
            load_coco(locked)
    finally:
        os.chmod(locked, 0o644)


def test_syntax_errors_name_their_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "images": [],\n  "annotations": [\n    {"id": 1,,}\n  ]\n}\n')
    dataset, problems = load_coco(path)
    assert [type(p) for p in problems] == [InvalidJson] and problems[0].line == 4
    assert str(problems[0]).startswith(f"{path}:4: error: not valid JSON")
    assert dataset.samples == []
    path.write_bytes(b'{"images": [], "annotations": [], "categories": [{"id": 1, "name": "\xff"}]}')
    assert "not UTF-8" in load_coco(path)[1][0].message
    path.write_text("")
    assert load_coco(path)[1][0].line == 1


@pytest.mark.parametrize("data, expected", [
    ([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9}], "a detection-results list"),
    ([{"image_id": 1, "category_id": 1, "keypoints": [1, 2, 1], "score": 0.9}], "a keypoint-results list"),
    ([{"joints": [[1, 2]], "joints_vis": [1], "center": [3, 4], "scale": 1.0, "image": "a.jpg"}],
     "an MPII-format keypoint list"),
    ({"images": [], "annotations": [{"id": 1, "center": [1, 2], "scale": 1.0, "keypoints": [1, 2, 1]}]},
     "an MPII-TRB keypoint file"),
    ({"info": {}, "annotations": []}, "it has no 'images' list (top-level keys: info, annotations)"),
    ({"images": [{"id": 1}], "categories": []}, "it has no 'annotations'"),
    ({"images": {}, "annotations": []}, "its 'images' is a JSON object, not a list of image objects"),
    ({"shapes": [], "imagePath": "a.jpg"}, "a LabelMe annotation file"),
    ([], "an empty JSON list"),
    ([1, 2, 3], "a JSON list of 3 elements"),
    ("text", "it is a JSON string"),
    (12, "it is a JSON number"),
    (None, "it is JSON null"),
])
def test_files_that_are_not_datasets_say_what_they_are(tmp_path, data, expected):
    dataset, problems = load_coco(_write(tmp_path / "x.json", data))
    assert [type(p) for p in problems] == [NotADataset]
    assert expected in problems[0].message and problems[0].message.startswith("this is not a COCO dataset")
    assert dataset.samples == [] and dataset.categories == []
