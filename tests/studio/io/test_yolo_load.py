"""load_yolo: layout resolution, conversion to pixels, and one test per kind of Problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.errors import DatasetNotFoundError
from studio.io import problems as P
from studio.io.yolo import label_path_for, load_yolo


def write_image(path: Path, width: int = 64, height: int = 48, orientation: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = Image.fromarray(np.full((height, width, 3), 80, np.uint8))
    if orientation is None:
        pixels.save(path)
    else:
        exif = Image.Exif()
        exif[0x0112] = orientation
        pixels.save(path, exif=exif)
    return path


def make_dataset(root: Path, rows: dict[str, str | None], yaml_text: str | None = None,
                 size: tuple[int, int] = (64, 48)) -> Path:
    """``rows``: 'split/name' -> label text (None: no label file); images are PNGs of ``size``."""
    for key, text in rows.items():
        split, name = key.split("/")
        write_image(root / "images" / split / f"{name}.png", *size)
        if text is not None:
            label = root / "labels" / split / f"{name}.txt"
            label.parent.mkdir(parents=True, exist_ok=True)
            label.write_text(text)
    if yaml_text is None:
        splits = sorted({k.split("/")[0] for k in rows})
        yaml_text = "".join(f"{s}: images/{s}\n" for s in splits) + "names: [ship, boat]\n"
    (root / "data.yaml").write_text(yaml_text)
    return root / "data.yaml"


def kinds(problems) -> list[str]:
    return [p.kind for p in problems]


# ----------------------------------------------------------------------------- layout and values
def test_boxes_become_xyxy_pixels_with_names_and_splits(tmp_path):
    yaml = make_dataset(tmp_path, {"train/a": "0 0.5 0.5 0.25 0.5\n1 0.25 0.25 0.125 0.125\n",
                                   "val/b": "", "val/c": None},
                        "path: .\ntrain: images/train\nval: images/val\nnames: {0: ship, 1: boat}\n"
                        "download: https://example.com/x.zip\nroboflow: {workspace: w}\n")
    dataset, problems = load_yolo(yaml)
    assert kinds(problems) == ["MissingLabelFile"]
    assert [(c.id, c.name, c.supercategory) for c in dataset.categories] == [(1, "ship", ""), (2, "boat", "")]
    a, b, c = dataset.samples
    assert (a.file_name, a.split, a.width, a.height, a.labeled, a.status) == (
        "images/train/a.png", "train", 64, 48, True, "done")
    assert a.path == tmp_path / "images" / "train" / "a.png" and a.path.is_absolute()
    np.testing.assert_allclose(a.boxes(), [[24, 12, 40, 36], [12, 9, 20, 15]])
    assert a.boxes().dtype == np.float64
    assert list(a.category_ids()) == [1, 2]
    assert (b.split, b.labeled, b.status, b.annotations) == ("val", True, "done", [])
    assert (c.labeled, c.status) == (False, "unlabeled")
    assert dataset.extra == {"download": "https://example.com/x.zip", "roboflow": {"workspace": "w"}}
    assert dataset.root == tmp_path and dataset.kpt_shape is None


def test_folder_path_and_relative_root(tmp_path):
    make_dataset(tmp_path / "data", {"train/a": "0 0.5 0.5 0.5 0.5\n"})
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "data.yaml").write_text("path: ../data\ntrain: images/train\nnames: [ship, boat]\n")
    dataset, problems = load_yolo(tmp_path / "cfg")
    assert problems == []
    assert dataset.root == tmp_path / "data"
    assert dataset.samples[0].file_name == "images/train/a.png"


def test_exif_rotated_images_use_the_oriented_size(tmp_path):
    write_image(tmp_path / "images" / "train" / "r.jpg", 60, 30, orientation=6)
    (tmp_path / "labels" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train" / "r.txt").write_text("0 0.5 0.5 1 1\n")
    (tmp_path / "data.yaml").write_text("train: images/train\nnames: [x]\n")
    dataset, problems = load_yolo(tmp_path)
    sample = dataset.samples[0]
    assert (sample.width, sample.height) == (30, 60) and problems == []
    np.testing.assert_allclose(sample.boxes(), [[0, 0, 30, 60]])


def test_list_files_and_lists_of_sources(tmp_path):
    for name in ("a", "b", "c"):
        write_image(tmp_path / "images" / "all" / f"{name}.png")
        (tmp_path / "labels" / "all").mkdir(parents=True, exist_ok=True)
        (tmp_path / "labels" / "all" / f"{name}.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    write_image(tmp_path / "extra" / "images" / "d.png")
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "train.txt").write_text(
        f"./images/all/a.png\nimages/all/b.png\n\n{tmp_path / 'images' / 'all' / 'c.png'}\n")
    (tmp_path / "data.yaml").write_text("train: [lists/train.txt, extra/images]\nnames: [x]\n")
    dataset, problems = load_yolo(tmp_path / "data.yaml")
    names = [s.file_name for s in dataset.samples]
    assert names == ["images/all/a.png", "images/all/b.png", "images/all/c.png", "extra/images/d.png"]
    assert [s.labeled for s in dataset.samples] == [True, True, True, False]
    assert kinds(problems) == ["MissingLabelFile"]


def test_roboflow_layout_with_parent_relative_splits(tmp_path):
    for split in ("train", "valid"):
        write_image(tmp_path / split / "images" / "a.png")
        (tmp_path / split / "labels").mkdir(parents=True)
        (tmp_path / split / "labels" / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (tmp_path / "data.yaml").write_text("train: ../train/images\nval: ../valid/images\nnc: 1\nnames: ['x']\n")
    dataset, problems = load_yolo(tmp_path)
    assert problems == []
    assert [(s.split, s.file_name) for s in dataset.samples] == [("train", "train/images/a.png"),
                                                                  ("val", "valid/images/a.png")]


def test_label_path_replaces_the_last_images_component():
    assert label_path_for("/d/images/x/images/train/a.b.jpg") == "/d/images/x/labels/train/a.b.txt"
    assert label_path_for("/d/pics/a.png") == "/d/pics/a.txt"


def test_same_images_under_two_splits_warn_once_and_stay_in_the_first(tmp_path):
    make_dataset(tmp_path, {"train/a": "0 0.5 0.5 0.5 0.5\n", "train/b": ""},
                 "train: images/train\nval: images/train\nnames: [x]\n")
    dataset, problems = load_yolo(tmp_path)
    assert [s.split for s in dataset.samples] == ["train", "train"]
    assert kinds(problems) == ["SplitsOverlap"] and not problems[0].is_error
    assert "2 images listed under val are also listed under train" in problems[0].message


def test_validation_key_single_image_source_and_byte_order_mark(tmp_path):
    yaml = make_dataset(tmp_path, {"train/a": "\ufeff0 0.5 0.5 0.5 0.5\r\n", "val/b": "1 0.5 0.5 0.5 0.5\n"},
                        "train: images/train/a.png\nvalidation: images/val\nnames: [x, y]\n")
    dataset, problems = load_yolo(yaml)
    assert problems == []
    assert [(s.split, s.file_name, len(s.annotations)) for s in dataset.samples] == [
        ("train", "images/train/a.png", 1), ("val", "images/val/b.png", 1)]


def test_a_split_that_is_neither_folder_nor_list_is_named(tmp_path):
    yaml = make_dataset(tmp_path, {"train/a": ""}, "train: images/train\nval: data.csv\nnames: [x]\n")
    (tmp_path / "data.csv").write_text("a,b\n")
    dataset, problems = load_yolo(yaml)
    assert kinds(problems) == ["BadDataYaml"] and problems[0].line == 2
    assert "is not a folder, an image or a .txt list" in str(problems[0])
    assert len(dataset.samples) == 1


# ----------------------------------------------------------------------------- pose
def test_pose_keypoints_in_pixels_with_visibility(tmp_path):
    rows = {"train/p": "0 0.5 0.5 0.5 0.5 0.25 0.5 2 0 0 0 0.75 0.25 1\n"}
    yaml = make_dataset(tmp_path, rows, "train: images/train\nnames: [person]\nkpt_shape: [3, 3]\n"
                                        "flip_idx: [2, 1, 0]\n")
    dataset, problems = load_yolo(yaml)
    assert problems == []
    assert dataset.kpt_shape == (3, 3) and dataset.flip_idx == (2, 1, 0)
    np.testing.assert_allclose(dataset.samples[0].annotations[0].keypoints,
                               [[16, 24, 2], [0, 0, 0], [48, 12, 1]])


def test_pose_with_two_values_per_keypoint_is_all_visible(tmp_path):
    yaml = make_dataset(tmp_path, {"train/p": "0 0.5 0.5 0.5 0.5 0.25 0.5 0.75 0.25\n"},
                        "train: images/train\nnames: [person]\nkpt_shape: [2, 2]\n")
    dataset, problems = load_yolo(yaml)
    assert problems == [] and dataset.kpt_shape == (2, 2)
    np.testing.assert_allclose(dataset.samples[0].annotations[0].keypoints, [[16, 24, 2], [48, 12, 2]])


# ----------------------------------------------------------------------------- row problems
DETECT_CASES = [
    ("0 0.5 0.5 0.2\n", "WrongColumnCount", ["row has 4 columns, expected 5"]),
    ("0 0.5 0.5 0.2 0.2 0.1 0.1 2\n", "WrongColumnCount", ["8 columns", "expected 5"]),
    ("0 0.5 abc 0.2 0.2\n", "NotANumber", ["'abc' is not a number"]),
    ("0 0.5 nan 0.2 0.2\n", "NotANumber", ["'nan' is not a number"]),
    ("0 0.5 inf 0.2 0.2\n", "NotANumber", ["'inf'"]),
    ("2 0.5 0.5 0.2 0.2\n", "ClassIndexOutOfRange", ["class index 2 is not one of 0..1", "2 classes"]),
    ("-1 0.5 0.5 0.2 0.2\n", "ClassIndexOutOfRange", ["class index -1"]),
    ("0.5 0.5 0.5 0.2 0.2\n", "ClassIndexOutOfRange", ["class index 0.5"]),
    ("ship 0.5 0.5 0.2 0.2\n", "ClassIndexOutOfRange", ["class index ship"]),
    ("0 1.5 0.5 0.2 0.2\n", "CoordinateOutOfRange", ["box (1.5, 0.5, 0.2, 0.2) lies outside [0, 1]"]),
    ("0 0.95 0.5 0.2 0.2\n", "CoordinateOutOfRange", ["box (0.95"]),
    ("0 0.5 0.5 1e300 0.2\n", "CoordinateOutOfRange", ["1e+300"]),
    ("0 0.5 0.5 0 0.2\n", "NonPositiveSize", ["zero or negative size (w=0, h=0.2)"]),
    ("0 0.5 0.5 0.2 -0.1\n", "NonPositiveSize", ["h=-0.1"]),
]


@pytest.mark.parametrize("row, kind, fragments", DETECT_CASES)
def test_each_bad_detect_row_is_named_with_file_and_line(tmp_path, row, kind, fragments):
    yaml = make_dataset(tmp_path, {"train/a": "0 0.5 0.5 0.2 0.2\n\n" + row})
    dataset, problems = load_yolo(yaml)
    assert kinds(problems) == [kind]
    text = str(problems[0])
    label = tmp_path / "labels" / "train" / "a.txt"
    assert text.startswith(f"{label}:3: error: ")
    for fragment in fragments:
        assert fragment in text
    assert len(dataset.samples[0].annotations) == 1  # the good row stays, the bad one is skipped


POSE_CASES = [
    ("0 0.5 0.5 0.2 0.2\n", "WrongColumnCount", ["5 columns, expected 5 + 2*3 = 11"]),
    ("0 0.5 0.5 0.2 0.2 0.5 0.5 2\n", "KeypointShapeMismatch", ["3 keypoint values but kpt_shape is [2, 3]"]),
    ("0 0.5 0.5 0.2 0.2 0.5 0.5 3 0.5 0.5 2\n", "InvalidVisibility", ["keypoint 0 has visibility 3"]),
    ("0 0.5 0.5 0.2 0.2 0.5 0.5 2 0.5 0.5 1.5\n", "InvalidVisibility", ["keypoint 1 has visibility 1.5"]),
    ("0 0.5 0.5 0.2 0.2 0.5 0.5 2 1.2 0.5 1\n", "CoordinateOutOfRange", ["keypoint 1 (1.2, 0.5)"]),
    ("0 0.5 0.5 0.2 0.2 0.5 0.5 2 inf 0 0\n", "NotANumber", ["'inf'"]),
]


@pytest.mark.parametrize("row, kind, fragments", POSE_CASES)
def test_each_bad_pose_row_is_named(tmp_path, row, kind, fragments):
    yaml = make_dataset(tmp_path, {"train/a": row},
                        "train: images/train\nnames: [person]\nkpt_shape: [2, 3]\nflip_idx: [1, 0]\n")
    _, problems = load_yolo(yaml)
    assert kinds(problems) == [kind]
    assert str(problems[0]).startswith(f"{tmp_path / 'labels' / 'train' / 'a.txt'}:1: error: ")
    for fragment in fragments:
        assert fragment in str(problems[0])


def test_unlabeled_keypoints_may_lie_anywhere(tmp_path):
    yaml = make_dataset(tmp_path, {"train/a": "0 0.5 0.5 0.2 0.2 0.5 0.5 2 7 -3 0\n"},
                        "train: images/train\nnames: [person]\nkpt_shape: [2, 3]\n")
    dataset, problems = load_yolo(yaml)
    assert problems == [] and dataset.samples[0].annotations[0].keypoints[1, 2] == 0


def test_duplicates_warn_and_are_kept(tmp_path):
    yaml = make_dataset(tmp_path, {"train/a": "0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n"})
    dataset, problems = load_yolo(yaml)
    assert kinds(problems) == ["DuplicateBox"] and not problems[0].is_error
    assert str(problems[0]).endswith(":3: warning: box duplicates the box on line 1; delete one of them")
    assert len(dataset.samples[0].annotations) == 3


def test_blank_lines_whitespace_and_tolerance_are_fine(tmp_path):
    rows = "\n  0   0.5 0.5 0.2 0.2  \r\n\t\n1 0.5000005 0.5 1.0000005 0.2\n\n"
    dataset, problems = load_yolo(make_dataset(tmp_path, {"train/a": rows}))
    assert problems == [] and len(dataset.samples[0].annotations) == 2


# ----------------------------------------------------------------------------- file problems
def test_orphan_labels_and_background_images(tmp_path):
    yaml = make_dataset(tmp_path, {"train/a": "0 0.5 0.5 0.2 0.2\n", "train/bg": None})
    (tmp_path / "labels" / "train" / "ghost.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (tmp_path / "labels" / "train" / "classes.txt").write_text("ship\nboat\n")
    _, problems = load_yolo(yaml)
    missing_label, orphan = sorted(problems, key=lambda p: p.kind, reverse=True)
    assert isinstance(missing_label, P.MissingLabelFile)
    assert str(missing_label) == (f"{tmp_path / 'images' / 'train' / 'bg.png'}: warning: image has no label "
                                  "file; it is used as a background image (no objects)")
    assert isinstance(orphan, P.MissingImage) and orphan.path == tmp_path / "labels" / "train" / "ghost.txt"
    assert "no image for these labels" in str(orphan) and "images/train/ghost.*" in str(orphan)


def test_unreadable_images_are_reported_and_skipped(tmp_path):
    yaml = make_dataset(tmp_path, {"train/a": "0 0.5 0.5 0.2 0.2\n"})
    (tmp_path / "images" / "train" / "broken.jpg").write_text("not a jpeg")
    jpeg = tmp_path / "images" / "train" / "cut.jpg"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (80, 90, 3), np.uint8)).save(jpeg)
    jpeg.write_bytes(jpeg.read_bytes()[:len(jpeg.read_bytes()) // 2])
    dataset, problems = load_yolo(yaml)
    unreadable = [p for p in problems if isinstance(p, P.UnreadableImage)]
    assert [(p.path.name, p.reason) for p in unreadable] == [("broken.jpg", "not an image")]
    assert [s.file_name for s in dataset.samples] == ["images/train/a.png", "images/train/cut.jpg"]
    _, verified = load_yolo(yaml, verify_images=True)
    cut = [p for p in verified if isinstance(p, P.UnreadableImage) and p.path.name == "cut.jpg"]
    assert len(cut) == 1 and "truncated file" in str(cut[0])


def test_list_file_naming_a_missing_image(tmp_path):
    write_image(tmp_path / "images" / "a.png")
    (tmp_path / "train.txt").write_text("images/a.png\nimages/gone.png\nnotes.md\n")
    (tmp_path / "data.yaml").write_text("train: train.txt\nnames: [x]\n")
    dataset, problems = load_yolo(tmp_path)
    assert len(dataset.samples) == 1
    by_kind = {p.kind: p for p in problems}
    assert by_kind["MissingImage"].path == tmp_path / "train.txt" and by_kind["MissingImage"].line == 2
    assert by_kind["BadDataYaml"].line == 3 and "notes.md is not an image file" in str(by_kind["BadDataYaml"])


# ----------------------------------------------------------------------------- data.yaml problems
@pytest.mark.parametrize("yaml_text, line, fragment", [
    ("train: images/train\nnames: [a, b\nnc: 2\n", 3, "YAML syntax error"),
    ("train: images/train\nnc: 3\nnames: [a, b]\n", 2, "nc: 3 disagrees with the 2 names"),
    ("train: images/train\nnc: 2\n", None, "data.yaml has no names"),
    ("train: images/train\nval: images/nowhere\nnames: [a, b]\n", 2, "images/nowhere"),
    ("names: [a, b]\n", None, "names no train/val/test"),
    ("train: images/train\nnames: {0: a, 2: c}\n", 2, "no entry for class indices [1]"),
    ("train: images/train\nnames: [a]\nkpt_shape: [3, 4]\n", 3, "kpt_shape: [3, 4] must be [K, 2] or [K, 3]"),
])
def test_bad_data_yaml_names_the_key_line(tmp_path, yaml_text, line, fragment):
    yaml = make_dataset(tmp_path, {"train/a": ""}, yaml_text)
    _, problems = load_yolo(yaml)
    bad = [p for p in problems if isinstance(p, P.BadDataYaml)]
    assert len(bad) == 1, [str(p) for p in problems]
    assert bad[0].line == line and fragment in str(bad[0]) and bad[0].path == yaml


def test_names_from_nc_when_names_are_missing(tmp_path):
    yaml = make_dataset(tmp_path, {"train/a": "1 0.5 0.5 0.2 0.2\n"}, "train: images/train\nnc: 2\n")
    dataset, _ = load_yolo(yaml)
    assert dataset.names == ["class_0", "class_1"] and len(dataset.samples[0].annotations) == 1


def test_flip_idx_must_be_a_permutation(tmp_path):
    yaml = make_dataset(tmp_path, {"train/a": ""},
                        "train: images/train\nnames: [p]\nkpt_shape: [3, 3]\nflip_idx: [0, 0, 1]\n")
    dataset, problems = load_yolo(yaml)
    assert kinds(problems) == ["FlipIdxNotPermutation"] and problems[0].line == 4
    assert "flip_idx [0, 0, 1] is not a permutation of 0..2" in str(problems[0])
    assert dataset.flip_idx is None and dataset.kpt_shape == (3, 3)


def test_paths_that_cannot_be_read_raise(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="no such file"):
        load_yolo(tmp_path / "absent")
    (tmp_path / "labels.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    with pytest.raises(DatasetNotFoundError, match=r"not a YOLO data\.yaml"):
        load_yolo(tmp_path / "labels.txt")
    with pytest.raises(DatasetNotFoundError, match=r"no data\.yaml"):
        load_yolo(tmp_path)
    (tmp_path / "data.yaml").write_text("- just\n- a list\n")
    with pytest.raises(DatasetNotFoundError, match=r"not a YOLO data\.yaml"):
        load_yolo(tmp_path)
    (tmp_path / "other.yaml").write_text("train: x\n")
    (tmp_path / "data.yaml").unlink()
    (tmp_path / "third.yml").write_text("train: x\n")
    with pytest.raises(DatasetNotFoundError, match="several yaml files"):
        load_yolo(tmp_path)


# ----------------------------------------------------------------------------- real data
@pytest.mark.data
def test_coco128(shared_data):
    dataset, problems = load_yolo(shared_data / "coco128")
    assert len(dataset.categories) == 80
    assert dataset.names[0] == "person" and dataset.names[79] == "toothbrush"
    train = [s for s in dataset.samples if s.split == "train"]
    assert sum(s.labeled for s in train) == 126
    assert sorted(Path(s.file_name).stem for s in train if not s.labeled) == ["000000000250", "000000000508"]
    assert sorted(kinds(problems)) == ["MissingImage"] * 2 + ["MissingLabelFile"] * 2
    orphans = sorted(p.path.name for p in problems if isinstance(p, P.MissingImage))
    assert orphans == ["000000000656.txt", "000000000659.txt"]
    assert all(-1e-3 <= a.box[0] < a.box[2] <= s.width + 1e-3 for s in dataset.samples for a in s.annotations)
    assert sum(len(s.annotations) for s in train) == 929  # the 126 matched label files
