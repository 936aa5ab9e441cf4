"""save_yolo: layout, rows, notes on what YOLO cannot carry, COCO metadata kept in data.yaml."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from studio.annotations import Annotation, Category, Dataset, Sample
from studio.io.yolo import load_yolo, save_yolo
from studio.io.yolo_save import relative_name

KEYPOINTS = ("nose", "left_eye", "right_eye")


def png(path: Path, width: int, height: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((height, width, 3), 50, np.uint8)).save(path)
    return path


def coco_like(folder: Path) -> Dataset:
    """Non-contiguous ids, supercategories, extra fields, keypoints on one category only."""
    categories = [
        Category(id=1, name="person", supercategory="human", keypoints=KEYPOINTS,
                 skeleton=((1, 2), (1, 3)), extra={"color": "red"}),
        Category(id=7, name="car", supercategory="vehicle"),
        Category(id=3, name="dog", supercategory="animal", extra={"synonyms": ["hound", "pup"]}),
    ]
    kpts = np.asarray([[10, 20, 2], [0, 0, 0], [30, 25, 1]], np.float64)
    samples = [
        Sample("images/train/a.png", png(folder / "a.png", 100, 50), 100, 50, "train", [
            Annotation(1, (10.0, 5.0, 60.0, 45.0), kpts),
            Annotation(7, (0.0, 0.0, 100.0, 50.0), extra={"segmentation": [[0, 0, 100, 0, 100, 50]]}),
            Annotation(3, (5.0, 5.0, 20.0, 20.0), iscrowd=True),
            Annotation(3, (-4.0, 10.0, 120.0, 30.0)),
        ]),
        Sample("val/b.png", png(folder / "b.png", 40, 40), 40, 40, "val", []),
        Sample("deep/nested/c.png", png(folder / "c.png", 30, 20), 30, 20, "val", labeled=False,
               status="unlabeled"),
        Sample("x/d.png", png(folder / "d1.png", 30, 20), 30, 20, "train",
               [Annotation(7, (1.0, 1.0, 5.0, 5.0))]),
        Sample("y/d.png", png(folder / "d2.png", 30, 20), 30, 20, "train",
               [Annotation(7, (2.0, 2.0, 6.0, 6.0))]),
    ]
    return Dataset(categories, samples, kpt_shape=(3, 3), flip_idx=None,
                   extra={"info": {"year": 2024}, "download": "https://example.com/d.zip"})


def test_layout_rows_and_notes(tmp_path):
    dataset = coco_like(tmp_path / "src")
    notes = save_yolo(dataset, tmp_path / "out", images="copy")
    assert "skipped 1 crowd boxes (YOLO has no crowd flag)" in notes
    assert "dropped segmentation polygons of 1 objects (YOLO detect labels hold boxes only)" in notes
    assert any(note.startswith("clipped 1 boxes") for note in notes)
    assert any(note.startswith("renamed 1 images") for note in notes)
    out = tmp_path / "out"
    labels = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.txt"))
    assert labels == ["labels/train/a.txt", "labels/train/d.txt", "labels/train/y_d.txt", "labels/val/b.txt"]
    assert (out / "labels" / "val" / "b.txt").read_text() == ""  # labeled, no objects
    assert (out / "images" / "val" / "c.png").is_file()  # unlabeled: image without label file
    rows = (out / "labels" / "train" / "a.txt").read_text().splitlines()
    # class index = position by sorted id: person(1)=0, dog(3)=1, car(7)=2
    assert rows == [
        "0 0.350000 0.500000 0.500000 0.800000 0.100000 0.400000 2 0.000000 0.000000 0 0.300000 0.500000 1",
        "2 0.500000 0.500000 1.000000 1.000000 0.000000 0.000000 0 0.000000 0.000000 0 0.000000 0.000000 0",
        "1 0.500000 0.400000 1.000000 0.400000 0.000000 0.000000 0 0.000000 0.000000 0 0.000000 0.000000 0",
    ]
    assert not [p for p in out.rglob(".*")]  # no temp files left behind


def test_data_yaml_keeps_coco_metadata_and_extra_fields(tmp_path):
    dataset = coco_like(tmp_path / "src")
    save_yolo(dataset, tmp_path / "out", images="copy")
    data = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert data["names"] == {0: "person", 1: "dog", 2: "car"} and data["nc"] == 3
    assert data["kpt_shape"] == [3, 3] and data["flip_idx"] == [0, 1, 2]
    assert data["train"] == "images/train" and data["val"] == "images/val" and "test" not in data
    assert data["download"] == "https://example.com/d.zip" and data["info"] == {"year": 2024}
    back, problems = load_yolo(tmp_path / "out")
    assert not [p for p in problems if p.is_error], [str(p) for p in problems]
    assert back.categories == sorted(dataset.categories, key=lambda c: c.id)
    assert back.keypoint_names() == KEYPOINTS and back.skeleton() == ((1, 2), (1, 3))
    assert back.categories[1].keypoints == () and back.categories[1].extra == {"synonyms": ["hound", "pup"]}
    assert back.extra == dataset.extra
    a = next(s for s in back.samples if s.file_name == "images/train/a.png")
    np.testing.assert_allclose(a.boxes(), [[10, 5, 60, 45], [0, 0, 100, 50], [0, 10, 100, 30]], atol=1e-4)
    np.testing.assert_allclose(a.annotations[0].keypoints, [[10, 20, 2], [0, 0, 0], [30, 25, 1]], atol=1e-4)
    assert [c.id for c in back.categories if c.id in {a.category_id for a in a.annotations}] == [1, 3, 7]
    unlabeled = next(s for s in back.samples if s.file_name.endswith("c.png"))
    assert (unlabeled.labeled, unlabeled.status, unlabeled.split) == (False, "unlabeled", "val")


def test_coco_mapping_that_disagrees_with_names_falls_back(tmp_path):
    save_yolo(coco_like(tmp_path / "src"), tmp_path / "out", images="copy")
    data_yaml = tmp_path / "out" / "data.yaml"
    data_yaml.write_text(data_yaml.read_text().replace("1: dog", "1: wolf"))
    back, problems = load_yolo(tmp_path / "out")
    bad = [p for p in problems if p.kind == "BadDataYaml"]
    assert len(bad) == 1 and "category names (sorted by id) differ from names" in str(bad[0])
    assert [(c.id, c.name, c.supercategory) for c in back.categories] == [
        (1, "person", ""), (2, "wolf", ""), (3, "car", "")]


def test_images_link_copy_none(tmp_path):
    dataset = coco_like(tmp_path / "src")
    save_yolo(dataset, tmp_path / "linked", images="link")
    linked = tmp_path / "linked" / "images" / "train" / "a.png"
    assert os.path.samefile(linked, tmp_path / "src" / "a.png")
    save_yolo(dataset, tmp_path / "linked", images="link")  # again: in place, nothing breaks
    assert os.path.samefile(linked, tmp_path / "src" / "a.png")
    save_yolo(dataset, tmp_path / "copied", images="copy")
    copied = tmp_path / "copied" / "images" / "train" / "a.png"
    assert not os.path.samefile(copied, tmp_path / "src" / "a.png")
    assert copied.read_bytes() == (tmp_path / "src" / "a.png").read_bytes()
    save_yolo(dataset, tmp_path / "bare", images="none")
    assert not (tmp_path / "bare" / "images").exists() and (tmp_path / "bare" / "labels").is_dir()
    with pytest.raises(ValueError, match="choose one of link, copy, none"):
        save_yolo(dataset, tmp_path / "x", images="symlink")


def test_missing_images_and_unknown_sizes_are_noted(tmp_path):
    dataset = Dataset([Category(1, "a")], [
        Sample("gone.png", tmp_path / "gone.png", 10, 10, "train", [Annotation(1, (1.0, 1.0, 5.0, 5.0))]),
        Sample("nosize.png", None, 0, 0, "train", [Annotation(1, (1.0, 1.0, 5.0, 5.0))]),
        Sample("odd.png", None, 10, 10, "holdout", [Annotation(99, (1.0, 1.0, 5.0, 5.0))]),
    ])
    notes = save_yolo(dataset, tmp_path / "out", images="copy")
    assert "3 images were not found, so not placed under images/ (their labels were written)" in notes
    assert "wrote no label file for 1 images of unknown size (boxes cannot be normalised)" in notes
    assert "put 1 images of unknown splits into train" in notes
    assert "skipped 1 objects whose category id is not one of the dataset's categories" in notes
    label = tmp_path / "out" / "labels" / "train" / "gone.txt"
    assert label.read_text() == "0 0.300000 0.300000 0.400000 0.400000\n"
    assert not (tmp_path / "out" / "labels" / "train" / "nosize.txt").exists()


@pytest.mark.parametrize("file_name, split, expected", [
    ("images/train/a.jpg", "train", "a.jpg"),
    ("images/train/sub/a.jpg", "train", "sub/a.jpg"),
    ("images/train2017/a.jpg", "train", "a.jpg"),
    ("train/a.jpg", "train", "a.jpg"),
    ("val2017/x/a.jpg", "val", "x/a.jpg"),
    ("images/val/a.jpg", "train", "a.jpg"),
    ("train/images/a.jpg", "train", "a.jpg"),
    ("valid/images/a.jpg", "val", "a.jpg"),
    ("a.jpg", "test", "a.jpg"),
    ("C:\\data\\pics\\a.jpg", "train", "a.jpg"),
    ("../../outside/a.jpg", "train", "a.jpg"),
    ("train/../a.jpg", "train", "a.jpg"),
])
def test_relative_name(file_name, split, expected):
    assert relative_name(file_name, split) == expected


def test_awkward_names_and_unrepresentable_extra_fields(tmp_path):
    names = ["null", "yes", "1", "a: b", "#hash", "ünïcode", "- dash"]
    dataset = Dataset([Category(i + 1, n) for i, n in enumerate(names)],
                      [Sample("a.png", png(tmp_path / "a.png", 8, 8), 8, 8, "test", [])],
                      extra={"kept": [1, 2], "a_set": {1, 2}, "odd": Path("x")})
    notes = save_yolo(dataset, tmp_path / "out", images="link")
    assert notes == ["did not write extra field 'odd' to data.yaml (not representable in YAML)"]
    back, problems = load_yolo(tmp_path / "out")
    assert problems == [] and back.names == names and back.extra == {"kept": [1, 2], "a_set": {1, 2}}
    assert [s.split for s in back.samples] == ["test"]
