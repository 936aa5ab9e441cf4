"""YOLO load -> save_yolo -> files: rows survive within 1e-6; garbage never raises (hypothesis)."""

from __future__ import annotations

import math
import random
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from studio.io.yolo import load_yolo, save_yolo
from studio.io.yolo_labels import LabelSpec, parse_labels


def write_png(path: Path, width: int, height: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((height, width, 3), 120, np.uint8)).save(path)


def random_row(rng: random.Random, num_classes: int, kpt_shape: tuple[int, int] | None) -> str:
    w, h = rng.uniform(0.001, 1.0), rng.uniform(0.001, 1.0)
    values = [rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2), w, h]
    parts = [str(rng.randrange(num_classes))] + [f"{v:.6f}" for v in values]
    if kpt_shape:
        for _ in range(kpt_shape[0]):
            v = rng.choice([0, 1, 2]) if kpt_shape[1] == 3 else 2
            xy = "0.000000 0.000000" if v == 0 else f"{rng.random():.6f} {rng.random():.6f}"
            parts.append(xy + (f" {v}" if kpt_shape[1] == 3 else ""))
    return " ".join(parts)


def write_random_dataset(root: Path, seed: int, kpt_shape: tuple[int, int] | None) -> None:
    rng = random.Random(seed)
    names = [f"class{i}" for i in range(rng.randint(1, 6))]
    for split in ("train", "val"):
        for index in range(rng.randint(1, 6)):
            write_png(root / "images" / split / f"img{index}.png", rng.randint(1, 97), rng.randint(1, 97))
            if rng.random() < 0.15:
                continue  # background image: no label file
            rows = [random_row(rng, len(names), kpt_shape) for _ in range(rng.randint(0, 7))]
            label = root / "labels" / split / f"img{index}.txt"
            label.parent.mkdir(parents=True, exist_ok=True)
            label.write_text("".join(r + "\n" for r in rows))
    yaml = "train: images/train\nval: images/val\nnames: [" + ", ".join(names) + "]\n"
    if kpt_shape:
        k = kpt_shape[0]
        yaml += f"kpt_shape: [{k}, {kpt_shape[1]}]\nflip_idx: {list(reversed(range(k)))}\n"
    (root / "data.yaml").write_text(yaml)


def read_rows(label: Path) -> list[list[float]]:
    return [[float(v) for v in line.split()] for line in label.read_text().splitlines() if line.strip()]


def assert_same_label_files(source: Path, copy: Path, two_dims: bool = False) -> None:
    ours = sorted(p.relative_to(copy).as_posix() for p in (copy / "labels").rglob("*.txt"))
    theirs = sorted(p.relative_to(source).as_posix() for p in (source / "labels").rglob("*.txt"))
    assert ours == theirs
    for name in theirs:
        expected, got = read_rows(source / name), read_rows(copy / name)
        assert len(got) == len(expected), name
        for row_expected, row_got in zip(expected, got, strict=True):
            if two_dims:  # [K, 2] rows come back as [K, 3] with v = 2
                head, kpts = row_expected[:5], np.asarray(row_expected[5:]).reshape(-1, 2)
                row_expected = head + np.c_[kpts, np.full(len(kpts), 2.0)].ravel().tolist()
            assert row_got[0] == row_expected[0], name
            np.testing.assert_allclose(row_got, row_expected, atol=1e-6, rtol=0, err_msg=name)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kpt_shape", [None, (5, 3), (17, 3)])
def test_random_dataset_round_trips_row_by_row(tmp_path, seed, kpt_shape):
    write_random_dataset(tmp_path / "src", seed, kpt_shape)
    dataset, problems = load_yolo(tmp_path / "src")
    assert not [p for p in problems if p.is_error], [str(p) for p in problems]
    assert save_yolo(dataset, tmp_path / "out", images="copy") == []
    assert_same_label_files(tmp_path / "src", tmp_path / "out")
    for image in (tmp_path / "src" / "images").rglob("*.png"):
        copied = tmp_path / "out" / image.relative_to(tmp_path / "src")
        assert copied.read_bytes() == image.read_bytes()
    again, again_problems = load_yolo(tmp_path / "out")
    assert [str(p) for p in again_problems] == [str(p).replace(str(tmp_path / "src"), str(tmp_path / "out"))
                                                for p in problems]
    assert again.names == dataset.names and again.flip_idx == dataset.flip_idx
    assert again.kpt_shape == dataset.kpt_shape
    assert [(s.file_name, s.split, s.width, s.height, s.labeled) for s in again.samples] == [
        (s.file_name, s.split, s.width, s.height, s.labeled) for s in dataset.samples]


def test_two_value_keypoints_are_written_as_three(tmp_path):
    write_random_dataset(tmp_path / "src", 7, (4, 2))
    dataset, _ = load_yolo(tmp_path / "src")
    save_yolo(dataset, tmp_path / "out", images="none")
    assert_same_label_files(tmp_path / "src", tmp_path / "out", two_dims=True)
    assert "kpt_shape: [4, 3]" in (tmp_path / "out" / "data.yaml").read_text()


# ----------------------------------------------------------------------------- hypothesis
unit = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def valid_rows(draw, num_classes: int, kpt_shape: tuple[int, int] | None) -> str:
    w, h = draw(st.floats(1e-3, 1.0)), draw(st.floats(1e-3, 1.0))
    cx = w / 2 + draw(unit) * (1 - w)
    cy = h / 2 + draw(unit) * (1 - h)
    parts = [str(draw(st.integers(0, num_classes - 1)))] + [repr(v) for v in (cx, cy, w, h)]
    for _ in range(kpt_shape[0] if kpt_shape else 0):
        v = draw(st.sampled_from([0, 1, 2]))
        parts += ["0", "0", "0"] if v == 0 else [repr(draw(unit)), repr(draw(unit)), str(v)]
    return " ".join(parts)


@st.composite
def valid_datasets(draw):
    kpt_shape = draw(st.sampled_from([None, (1, 3), (3, 3)]))
    num_classes = draw(st.integers(1, 4))
    images = draw(st.lists(st.tuples(st.integers(1, 50), st.integers(1, 50),
                                     st.lists(valid_rows(num_classes, kpt_shape), max_size=5)),
                           min_size=1, max_size=4))
    return num_classes, kpt_shape, images


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_datasets())
def test_property_valid_datasets_round_trip(spec):
    num_classes, kpt_shape, images = spec
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for index, (width, height, rows) in enumerate(images):
            write_png(root / "src" / "images" / "train" / f"{index}.png", width, height)
            label = root / "src" / "labels" / "train" / f"{index}.txt"
            label.parent.mkdir(parents=True, exist_ok=True)
            label.write_text("\n".join(rows))
        yaml = "train: images/train\nnames: [" + ", ".join(f"c{i}" for i in range(num_classes)) + "]\n"
        if kpt_shape:
            yaml += f"kpt_shape: [{kpt_shape[0]}, 3]\n"
        (root / "src" / "data.yaml").write_text(yaml)
        dataset, problems = load_yolo(root / "src")
        assert not [p for p in problems if p.is_error], [str(p) for p in problems]
        assert sum(len(s.annotations) for s in dataset.samples) == sum(len(r) for *_, r in images)
        save_yolo(dataset, root / "out", images="none")
        assert_same_label_files(root / "src", root / "out")


number_text = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["nan", "-inf", "1e999", "-0", "0x10", "1_0", "", "-", ".", "1e", "١"]),
)
garbage_line = st.one_of(
    st.text(max_size=60),
    st.lists(number_text, max_size=14).map(" ".join),
    st.tuples(st.integers(-3, 5), st.lists(unit.map(repr), min_size=4, max_size=4))
    .map(lambda t: " ".join([str(t[0]), *t[1]])),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(garbage_line, max_size=12), st.sampled_from([None, (2, 3), (2, 2)]))
def test_property_garbage_rows_become_problems_never_exceptions(lines, kpt_shape):
    text = "\n".join(lines)
    spec = LabelSpec(category_ids=(1, 2, 5), kpt_shape=kpt_shape)
    annotations, problems = parse_labels(text, Path("labels/x.txt"), spec, 640, 480)
    rows = [line for line in text.splitlines() if line.split()]
    assert len(annotations) + sum(p.is_error for p in problems) == len(rows)
    for problem in problems:
        assert str(problem).startswith("labels/x.txt:") and problem.message
    for ann in annotations:
        assert ann.category_id in (1, 2, 5)
        assert all(math.isfinite(v) for v in ann.box) and -1e-3 <= ann.box[0] < ann.box[2] <= 640 + 1e-3
        assert ann.keypoints is None or np.isfinite(ann.keypoints).all()


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_property_binary_label_files_never_raise(data):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_png(root / "images" / "train" / "a.png", 8, 8)
        (root / "labels" / "train").mkdir(parents=True)
        (root / "labels" / "train" / "a.txt").write_bytes(data)
        (root / "data.yaml").write_text("train: images/train\nnames: [a]\nkpt_shape: [1, 3]\n")
        dataset, _ = load_yolo(root)
        assert len(dataset.samples) == 1 and dataset.samples[0].labeled
