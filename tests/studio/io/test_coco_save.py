"""save_coco and save_coco_splits: lossless round trips, id numbering, the split folder layout."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np
import pytest
from test_coco_gen import assert_same_coco, assert_same_json, make_coco

from studio.annotations import Annotation, Category, Dataset, Sample
from studio.io.coco import load_coco, save_coco, save_coco_splits


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("seed", range(5))
def test_round_trip_keeps_every_field(tmp_path, seed):
    json_path, original = make_coco(tmp_path / "src", random.Random(seed), num_images=6)
    dataset, problems = load_coco(json_path)
    assert problems == []
    assert save_coco(dataset, tmp_path / "out.json") == []
    assert_same_coco(_read(tmp_path / "out.json"), original)
    assert list(_read(tmp_path / "out.json"))[-3:] == ["images", "annotations", "categories"]


def test_written_json_is_compact_utf8_and_leaves_no_temp_files(tmp_path):
    json_path, _ = make_coco(tmp_path / "src", random.Random(1), num_images=3)
    dataset, _ = load_coco(json_path)
    save_coco(dataset, tmp_path / "out" / "x.json")
    text = (tmp_path / "out" / "x.json").read_text(encoding="utf-8")
    assert "café sign" in text and ", " not in text and ": " not in text.replace("00:00:00", "")
    assert os.listdir(tmp_path / "out") == ["x.json"]


def _dataset(samples: list[Sample], keypoints: bool = False) -> Dataset:
    names = ("left_eye", "right_eye") if keypoints else ()
    cats = [Category(id=4, name="a", supercategory="s", keypoints=names, skeleton=((1, 2),) if names else ()),
            Category(id=9, name="b")]
    return Dataset(categories=cats, samples=samples, kpt_shape=(2, 3) if keypoints else None)


def _sample(name: str, anns: list[Annotation], sample_id: int | None = None) -> Sample:
    return Sample(file_name=name, path=None, width=100, height=50, id=sample_id, annotations=anns)


def test_new_ids_are_numbered_after_the_largest_kept_one(tmp_path):
    samples = [_sample("a.png", [Annotation(4, (1.0, 2.0, 3.0, 4.0), id=7), Annotation(9, (1, 1, 2, 2))], 5),
               _sample("b.png", [Annotation(9, (0.5, 0.5, 9.5, 4.5), id=7)], None),
               _sample("c.png", [], 5)]
    notes = save_coco(_dataset(samples), tmp_path / "out.json")
    data = _read(tmp_path / "out.json")
    assert [i["id"] for i in data["images"]] == [5, 6, 7]
    assert [a["id"] for a in data["annotations"]] == [7, 8, 9]
    assert [a["image_id"] for a in data["annotations"]] == [5, 5, 6]
    assert notes == ["gave new ids to 1 images whose id was repeated",
                     "gave new ids to 1 objects whose id was repeated"]


def test_ids_start_at_one_and_boxes_are_exact_xywh(tmp_path):
    box = (0.1, 0.2, 0.1 + 0.7, 0.2 + 0.3)
    samples = [_sample("a.png", [Annotation(4, box, iscrowd=True)])]
    save_coco(_dataset(samples), tmp_path / "out.json")
    data = _read(tmp_path / "out.json")
    ann = data["annotations"][0]
    assert data["images"][0] == {"id": 1, "file_name": "a.png", "width": 100, "height": 50}
    assert ann["id"] == 1 and ann["iscrowd"] == 1 and ann["segmentation"] == []
    assert ann["bbox"] == [0.1, 0.2, box[2] - 0.1, box[3] - 0.2]  # exact float differences, no rounding
    assert ann["area"] == (box[2] - 0.1) * (box[3] - 0.2)
    assert data["categories"] == [{"id": 4, "name": "a", "supercategory": "s"},
                                  {"id": 9, "name": "b", "supercategory": ""}]


def test_keypoints_are_flat_with_int_visibility_and_a_recounted_num_keypoints(tmp_path):
    kpts = np.array([[1.5, 2.5, 2.0], [0.0, 0.0, 0.0]])
    ann = Annotation(4, (1.0, 1.0, 5.0, 5.0), keypoints=kpts, extra={"num_keypoints": 7, "area": 3.0})
    save_coco(_dataset([_sample("a.png", [ann])], keypoints=True), tmp_path / "out.json")
    data = _read(tmp_path / "out.json")
    written = data["annotations"][0]
    assert written["keypoints"] == [1.5, 2.5, 2, 0.0, 0.0, 0] and type(written["keypoints"][2]) is int
    assert written["num_keypoints"] == 1 and written["area"] == 3.0
    assert data["categories"][0]["keypoints"] == ["left_eye", "right_eye"]
    assert data["categories"][0]["skeleton"] == [[1, 2]]


def test_a_fractional_visibility_is_written_as_is(tmp_path):
    kpts = np.array([[1.0, 2.0, 0.25], [3.0, 4.0, 1.0]])
    ann = Annotation(4, (1.0, 1.0, 5.0, 5.0), keypoints=kpts)
    save_coco(_dataset([_sample("a.png", [ann])], keypoints=True), tmp_path / "out.json")
    written = _read(tmp_path / "out.json")["annotations"][0]
    assert written["keypoints"] == [1.0, 2.0, 0.25, 3.0, 4.0, 1] and written["num_keypoints"] == 2


def test_samples_argument_writes_a_subset_and_unknown_categories_are_noted(tmp_path):
    samples = [_sample("a.png", [Annotation(4, (1, 1, 2, 2))], 3),
               _sample("b.png", [Annotation(99, (1, 1, 2, 2)), Annotation(9, (1, 1, 3, 3))], 4)]
    notes = save_coco(_dataset(samples), tmp_path / "out.json", samples=samples[1:])
    data = _read(tmp_path / "out.json")
    assert [i["id"] for i in data["images"]] == [4]
    assert [a["category_id"] for a in data["annotations"]] == [9]
    assert notes == ["skipped 1 objects whose category id is not one of the dataset's categories"]


def test_extra_fields_do_not_override_own_fields(tmp_path):
    ann = Annotation(4, (1.0, 1.0, 5.0, 5.0), id=3, extra={"bbox": [0, 0, 1, 1], "id": 99, "note": "x"})
    sample = _sample("a.png", [ann], 2)
    sample.extra = {"file_name": "other.png", "license": 1}
    dataset = _dataset([sample])
    dataset.extra = {"info": {"v": 1}, "images": "ignored"}
    save_coco(dataset, tmp_path / "out.json")
    data = _read(tmp_path / "out.json")
    assert list(data) == ["info", "images", "annotations", "categories"]
    assert data["images"][0]["file_name"] == "a.png" and data["images"][0]["license"] == 1
    assert data["annotations"][0]["bbox"] == [1.0, 1.0, 4.0, 4.0] and data["annotations"][0]["id"] == 3
    assert data["annotations"][0]["note"] == "x"


@pytest.mark.parametrize("mode", ["link", "copy", "none"])
def test_save_splits_lays_out_a_folder_load_coco_reads_back(tmp_path, mode):
    json_path, original = make_coco(tmp_path / "src", random.Random(7), num_images=8, images_subdir="pics")
    dataset, problems = load_coco(json_path, images_dir=tmp_path / "src" / "pics")
    assert problems == []
    for i, sample in enumerate(dataset.samples):
        sample.split = ("train", "val", "test")[i % 3]
    notes = save_coco_splits(dataset, tmp_path / "out", images=mode)
    assert notes == []
    assert sorted(os.listdir(tmp_path / "out" / "annotations")) == [
        "person_keypoints_test.json", "person_keypoints_train.json", "person_keypoints_val.json"]
    merged = {"images": [], "annotations": []}
    for split in ("train", "val", "test"):
        path = tmp_path / "out" / "annotations" / f"person_keypoints_{split}.json"
        back, problems = load_coco(path)
        if mode == "none":
            assert problems and all(p.kind == "MissingImage" for p in problems)
            continue
        assert problems == [] and back.root == tmp_path / "out" / "images" / split
        assert {s.split for s in back.samples} == {split}
        for sample in back.samples:
            assert sample.path.read_bytes() == (tmp_path / "src" / "pics" / sample.file_name).read_bytes()
            if mode == "link":
                assert os.path.samefile(sample.path, tmp_path / "src" / "pics" / sample.file_name)
        data = _read(path)
        merged["images"] += data["images"]
        merged["annotations"] += data["annotations"]
        assert_same_json(data["categories"], original["categories"])
    if mode != "none":
        rest = {k: v for k, v in original.items() if k not in ("images", "annotations", "categories")}
        assert_same_coco({**rest, **merged, "categories": original["categories"]}, original)


def test_save_splits_renames_collisions_and_notes_missing_images(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.png").write_bytes(b"first")
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "a.png").write_bytes(b"second")
    samples = [_sample("x/a.png", [], 1), _sample("y/a.png", [], 2), _sample("gone.png", [], 3)]
    samples[0].path, samples[1].path = tmp_path / "x" / "a.png", tmp_path / "y" / "a.png"
    samples[2].split = "holdout"
    notes = save_coco_splits(_dataset(samples), tmp_path / "out", images="copy")
    data = _read(tmp_path / "out" / "annotations" / "instances_train.json")
    assert [i["file_name"] for i in data["images"]] == ["a.png", "a_2.png", "gone.png"]
    assert (tmp_path / "out" / "images" / "train" / "a_2.png").read_bytes() == b"second"
    assert notes == ["1 images were not found, so not placed under images/<split>/ (their entries were "
                     "written)",
                     "renamed 1 images whose names collided in the layout images/<split>/<name>",
                     "put 1 images of unknown splits into train"]


def test_save_splits_rejects_an_unknown_image_mode(tmp_path):
    with pytest.raises(ValueError, match="images='move'"):
        save_coco_splits(_dataset([]), tmp_path, images="move")
