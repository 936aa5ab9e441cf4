"""The generated stick-figure pose dataset: it reads back as a pose dataset whose keypoints sit on the
discs drawn for them, and it depends only on the seed."""

from __future__ import annotations

import numpy as np
from PIL import Image

from studio.data.keypoints import flip_keypoints_lr
from studio.data.records import records_from_dataset
from studio.engine.data_source import load_training_data
from studio.io.dataset import load_dataset
from studio.pose_shapes import FLIP_IDX, KEYPOINT_COLOURS, KEYPOINT_NAMES, SKELETON, make_stick_figures


def _pixel(img: np.ndarray, x: float, y: float) -> tuple[int, ...]:
    return tuple(int(v) for v in img[int(y), int(x)])


def test_stick_figures_round_trip_as_a_pose_dataset(tmp_path):
    yaml_path = make_stick_figures(tmp_path, num_images=5, size=128, seed=4, max_objects=3, val_images=2)
    dataset, problems = load_dataset(yaml_path)
    assert not [p for p in problems if p.is_error]
    assert dataset.kpt_shape == (7, 3) and dataset.flip_idx == FLIP_IDX
    assert dataset.keypoint_names() == KEYPOINT_NAMES and dataset.skeleton() == SKELETON
    assert dataset.names == ["person"]
    records = records_from_dataset(dataset, None)
    assert [s.split for s in dataset.samples].count("val") == 2
    objects = 0
    for rec in records:
        img = np.asarray(Image.open(rec.path).convert("RGB"))
        assert img.shape == (128, 128, 3)
        assert rec.keypoints.shape == (len(rec), 7, 3) and (rec.keypoints[..., 2] == 2).all()
        for box, kpts in zip(rec.boxes, rec.keypoints, strict=True):
            objects += 1
            for k, (x, y, _) in enumerate(kpts):
                assert _pixel(img, x, y) == KEYPOINT_COLOURS[k], (rec.path, KEYPOINT_NAMES[k])
            assert (kpts[:, :2] > box[:2]).all() and (kpts[:, :2] < box[2:]).all()
            assert 0.35 * 128 <= box[3] - box[1] <= 128 and (box >= 0).all() and (box <= 128).all()
            # facing the camera: the figure's left side is on the image's right
            left, right = kpts[[1, 3, 5], 0], kpts[[2, 4, 6], 0]
            assert (left > right).all() and (left > kpts[0, 0]).all() and (right < kpts[0, 0]).all()
        for i in range(len(rec)):  # figures never overlap
            for j in range(i + 1, len(rec)):
                a, b = rec.boxes[i], rec.boxes[j]
                assert a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]
    assert objects >= len(records)


def test_a_mirrored_figure_is_a_figure_with_its_sides_swapped(tmp_path):
    dataset, _ = load_dataset(make_stick_figures(tmp_path, num_images=3, size=96, seed=1))
    for rec in records_from_dataset(dataset, "train"):
        img = np.asarray(Image.open(rec.path).convert("RGB"))[:, ::-1]
        rows = np.concatenate([np.zeros((len(rec), 5), np.float32), rec.keypoints.reshape(len(rec), -1)], 1)
        mirrored = flip_keypoints_lr(rows, 96, FLIP_IDX)[:, 5:].reshape(len(rec), 7, 3)
        for kpts in mirrored:
            for k, (x, y, _) in enumerate(kpts):
                assert _pixel(img, x, y) == KEYPOINT_COLOURS[k]
            assert kpts[1, 0] > kpts[2, 0]


def test_stick_figures_depend_only_on_the_seed(tmp_path):
    first = make_stick_figures(tmp_path / "a", num_images=3, size=96, seed=7).parent
    second = make_stick_figures(tmp_path / "b", num_images=3, size=96, seed=7).parent
    other = make_stick_figures(tmp_path / "c", num_images=3, size=96, seed=8).parent
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(files) == 7  # data.yaml, 3 images, 3 label files
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    labels = sorted(str(p) for p in files if p.suffix == ".txt")
    assert any((first / p).read_bytes() != (other / p).read_bytes() for p in labels)


def test_without_val_images_the_train_images_validate(tmp_path):
    data = load_training_data(str(make_stick_figures(tmp_path, num_images=3, size=96, seed=2)))
    assert [r.path for r in data.val] == [r.path for r in data.train] and len(data.train) == 3
    assert data.pose is not None and data.pose.flip_idx == FLIP_IDX
