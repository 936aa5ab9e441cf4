"""DetectionDataset items and batches of a pose dataset: (n, 5 + 3K) targets whose keypoints sit on the
markers drawn at them, through validation letterboxing and training augmentation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from conftest import assert_keypoints_on_markers

from studio.data.augment import AugmentConfig
from studio.data.collate import collate
from studio.data.detection import DetectionDataset
from studio.data.letterbox import scale_boxes_back, scale_keypoints_back
from studio.errors import ConfigError

S = 64
FLIP = (0, 2, 1)  # nose, left_eye, right_eye: a person's left eye is on the image's right
NO_COLOUR = {"hsv_h": 0.0, "hsv_s": 0.0, "hsv_v": 0.0}


@pytest.fixture
def records(pose_scene):
    """Three scenes, K = 3 (markers COLOURS[k]); a v = 0 keypoint in scene 2, a crowd object in scene 3."""
    return [
        pose_scene(48, 80, [(4, 4, 36, 44), (42, 4, 78, 46)],
                   [[(18.5, 10.5, 2), (28.5, 28.5, 2), (10.5, 28.5, 1)],
                    [(60.5, 12.5, 2), (70.5, 32.5, 2), (50.5, 32.5, 2)]], image_id=1),
        pose_scene(80, 60, [(8, 8, 52, 72)], [[(30.5, 16.5, 2), (44.5, 40.5, 2), (0, 0, 0)]], image_id=2),
        pose_scene(64, 64, [(6, 10, 58, 58), (0, 0, 5, 5)],
                   [[(32.5, 20.5, 1), (48.5, 44.5, 2), (16.5, 44.5, 2)],
                    [(2.5, 2.5, 2), (0, 0, 0), (0, 0, 0)]], image_id=3, crowd=[False, True]),
    ]


def _hwc(item) -> np.ndarray:
    return item["image"].permute(1, 2, 0).numpy()


def _kpts(targets) -> np.ndarray:
    t = np.asarray(targets)
    return t[:, 5:].reshape(len(t), -1, 3)


def test_validation_items_carry_letterboxed_keypoints_that_map_back(records):
    ds = DetectionDataset(records, S, None, flip_idx=FLIP)
    assert ds.num_keypoints == 3
    for key, rec in enumerate(records):
        item = ds[key]
        targets = item["targets"].numpy()
        assert targets.shape == (int((~rec.crowd).sum()), 14)
        assert assert_keypoints_on_markers(_hwc(item), targets, margin=3.0, tol=1.0) >= 2
        back = scale_keypoints_back(_kpts(targets), item["ratio"], item["pad"], item["orig_size"])
        own = rec.keypoints[~rec.crowd]
        labeled = own[..., 2] > 0
        np.testing.assert_allclose(back[labeled], own[labeled], atol=1.0)  # (resized sides are rounded)
        np.testing.assert_array_equal(_kpts(targets)[~labeled], 0.0)  # v = 0 stays (0, 0, 0)
        np.testing.assert_allclose(scale_boxes_back(targets[:, 1:5], item["ratio"], item["pad"],
                                                    item["orig_size"]), rec.boxes[~rec.crowd], atol=1.0)
    first = ds[0]["targets"].numpy()  # 80 x 48 -> 64 x 38 (38.4 rounded), padded 13 px on top
    np.testing.assert_allclose(_kpts(first)[0, 0], (18.5 * 64 / 80, 10.5 * 38 / 48 + 13, 2), atol=1e-4)


def test_training_keypoints_follow_pixels_and_stay_labeled_or_zero(records):
    cfg = AugmentConfig(fliplr=0.0, flipud=0.5, degrees=10.0, shear=3.0, **NO_COLOUR)
    ds = DetectionDataset(records, S, cfg, seed=1, epochs=100, flip_idx=FLIP)
    checked = 0
    for key in range(24):  # mosaics and single images, zoomed, turned, sheared, moved, flipped up-down
        targets = ds[key]["targets"].numpy()
        assert targets.shape[1] == 14
        checked += assert_keypoints_on_markers(_hwc(ds[key]), targets, tol=1.0)
        kpts = _kpts(targets)
        assert set(np.unique(kpts[..., 2])) <= {0.0, 1.0, 2.0}
        np.testing.assert_array_equal(kpts[kpts[..., 2] == 0], 0.0)  # v = 0 never carries a position
        inside = kpts[kpts[..., 2] > 0][:, :2]
        assert ((inside >= 0) & (inside < S)).all()
        assert not np.isin(4, targets[:, 0])  # no crowd object, no crowd keypoints
    assert checked >= 30


def test_left_right_flips_swap_the_sides_so_a_left_eye_stays_left(records):
    always = AugmentConfig(mosaic=0.0, fliplr=1.0, scale=0.0, translate=0.0, **NO_COLOUR)
    ds = DetectionDataset(records, S, always, seed=0, flip_idx=FLIP)
    for key in range(3):
        item = ds[key]
        # flipped: keypoint k shows the marker of the keypoint it came from, old[FLIP[k]]
        assert assert_keypoints_on_markers(_hwc(item), item["targets"].numpy(), order=FLIP, tol=1.0) >= 2
    half = AugmentConfig(fliplr=0.5, degrees=5.0, **NO_COLOUR)
    swapped = [DetectionDataset(records, S, half, seed=2, epochs=100, flip_idx=flip) for flip in (FLIP, None)]
    sides = []
    for ds in swapped:
        left_of_right = []
        for key in range(24):
            kpts = _kpts(ds[key]["targets"])
            both = (kpts[:, 1, 2] > 0) & (kpts[:, 2, 2] > 0)
            left_of_right += (kpts[both, 1, 0] > kpts[both, 2, 0]).tolist()
        sides.append(left_of_right)
    assert all(sides[0]) and len(sides[0]) >= 10  # with flip_idx: the left eye is always on the right
    assert not all(sides[1])  # without it, flipped people have their left eye on the left


def test_without_flip_idx_a_flip_keeps_the_keypoint_order(records):
    always = AugmentConfig(mosaic=0.0, fliplr=1.0, scale=0.0, translate=0.0, **NO_COLOUR)
    item = DetectionDataset(records, S, always, seed=0)[0]
    assert assert_keypoints_on_markers(_hwc(item), item["targets"].numpy(), tol=1.0) >= 2


def test_detection_records_give_five_columns_and_the_same_items(records):
    plain = [replace(r, keypoints=None) for r in records]
    cfg = AugmentConfig(degrees=5.0, **NO_COLOUR)
    pose = DetectionDataset(records, S, cfg, seed=3, epochs=10, flip_idx=FLIP)
    det = DetectionDataset(plain, S, cfg, seed=3, epochs=10)
    assert det.num_keypoints == 0
    for key in (0, 4, 7, 11):
        a, b = pose[key], det[key]
        assert b["targets"].shape[1] == 5
        assert torch.equal(a["image"], b["image"])
        assert torch.equal(a["targets"][:, :5], b["targets"])
    val = DetectionDataset(plain, S, None)[2]
    assert val["targets"].shape == (1, 5)


def test_declared_size_rescales_keypoints_like_boxes(records):
    rec = records[0]
    big = replace(rec, width=rec.width * 2, height=rec.height * 2, boxes=rec.boxes * 2,
                  keypoints=rec.keypoints * np.array([2, 2, 1], np.float32))
    a, b = DetectionDataset([rec], S, None)[0], DetectionDataset([big], S, None)[0]
    torch.testing.assert_close(a["targets"], b["targets"])


def test_keypoints_on_or_past_the_image_edge_are_dropped_on_load(records):
    rec = records[1]
    kpts = rec.keypoints.copy()
    kpts[0, 0] = (60.0, 16.5, 2)  # x = width: outside [0, W)
    kpts[0, 1] = (44.5, -1.0, 1)
    targets = DetectionDataset([replace(rec, keypoints=kpts)], S, None)[0]["targets"].numpy()
    np.testing.assert_array_equal(_kpts(targets)[0, :2], 0.0)


def test_a_pose_dataset_record_without_keypoints_gets_unlabeled_ones(records):
    mixed = [records[0], replace(records[1], keypoints=None)]
    targets = DetectionDataset(mixed, S, None)[1]["targets"].numpy()
    assert targets.shape == (1, 14)
    np.testing.assert_array_equal(targets[:, 5:], 0.0)


def test_collate_keeps_the_keypoint_columns(records):
    ds = DetectionDataset(records, S, None, flip_idx=FLIP)
    items = [ds[0], ds[1], ds[2]]
    batch = collate(items)
    assert batch["targets"].shape == (4, 15)
    assert batch["targets"][:, 0].tolist() == [0.0, 0.0, 1.0, 2.0]
    torch.testing.assert_close(batch["targets"][:2, 1:], items[0]["targets"])
    torch.testing.assert_close(batch["targets"][3, 1:], items[2]["targets"][0])


def test_bad_keypoint_settings_are_config_errors(records):
    with pytest.raises(ConfigError, match=r"not a permutation of 0\.\.2"):
        DetectionDataset(records, S, None, flip_idx=(0, 1, 1))
    with pytest.raises(ConfigError, match="not a permutation"):
        DetectionDataset(records, S, None, flip_idx=(0, 1))
    other = replace(records[1], keypoints=np.zeros((1, 5, 3), np.float32))
    with pytest.raises(ConfigError, match="different keypoint counts"):
        DetectionDataset([records[0], other], S, None)
