"""Keypoints through the augmentation steps: each keypoint is drawn as a small marker of its own colour,
the image is augmented, and the keypoint must land on its marker's centre (or be (0, 0, 0) once off the
image); detection rows (K = 0) come out exactly as without keypoints."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from conftest import COLOURS, assert_keypoints_on_markers, draw_markers, pose_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.data.affine import affine_matrix, random_affine
from studio.data.augment import flips
from studio.data.keypoints import (
    flip_keypoints_lr,
    num_keypoints,
    scale_keypoints,
    shift_keypoints,
    transform_keypoints,
    zero_outside,
)
from studio.data.letterbox import letterbox, scale_keypoints_back
from studio.data.mosaic import mosaic4

H, W = 64, 80
FLIP = (0, 2, 1)  # nose, left_eye, right_eye
BOXES = [(8, 6, 34, 40), (44, 10, 74, 56)]
# keypoints on pixel centres; the second object's right eye is not labeled
KPTS = np.array([[(20.5, 12.5, 2), (28.5, 22.5, 2), (12.5, 22.5, 1)],
                 [(58.5, 18.5, 2), (68.5, 32.5, 2), (0, 0, 0)]], np.float32)


def _scene() -> tuple[np.ndarray, np.ndarray]:
    return draw_markers(H, W, KPTS), pose_rows(BOXES, [0, 1], KPTS)


def _kpts(rows: np.ndarray) -> np.ndarray:
    return rows[:, 5:].reshape(len(rows), -1, 3)


def test_keypoint_functions_leave_detection_rows_and_their_input_alone():
    det = pose_rows(BOXES, [0, 1], np.zeros((2, 0, 3)))
    assert det.shape == (2, 5) and num_keypoints(det) == 0
    m = np.array([[0.0, -1.0, 10.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    for out in (shift_keypoints(det, 3, 4), scale_keypoints(det, 2, 3), transform_keypoints(det, m),
                flip_keypoints_lr(det, W, None), zero_outside(det, 10, 10)):
        np.testing.assert_array_equal(out, det)
        assert not np.shares_memory(out, det)
    _, rows = _scene()
    before = rows.copy()
    for out in (shift_keypoints(rows, 5, 5), transform_keypoints(rows, m), zero_outside(rows, 1, 1),
                flip_keypoints_lr(rows, W, FLIP)):
        assert not np.shares_memory(out, rows)
    np.testing.assert_array_equal(rows, before)


def test_keypoint_arithmetic_by_hand():
    _, rows = _scene()
    moved = _kpts(shift_keypoints(rows, 3.0, -2.0))
    np.testing.assert_allclose(moved[0, 0], (23.5, 10.5, 2))
    np.testing.assert_array_equal(moved[1, 2], (0, 0, 0))  # unlabeled: not moved
    np.testing.assert_allclose(_kpts(scale_keypoints(rows, 2.0, 0.5))[1, 1], (137.0, 16.25, 2))
    m = np.array([[0.0, -1.0, 10.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # rotate 90 degrees, move right
    turned = _kpts(transform_keypoints(rows, m))
    np.testing.assert_allclose(turned[0, 1], (10 - 22.5, 28.5, 2))
    np.testing.assert_array_equal(turned[1, 2], (0, 0, 0))
    np.testing.assert_array_equal(rows[:, :5], transform_keypoints(rows, m)[:, :5])  # boxes untouched


def test_keypoints_outside_the_image_and_unlabeled_ones_become_zero():
    rows = pose_rows([(0, 0, 10, 10)], [0], np.array(
        [[(-0.1, 5, 2), (10, 5, 2), (9.75, 9.75, 1), (5, 10, 2), (5, 5, 0), (0, 0, 2)]], np.float32))
    np.testing.assert_array_equal(_kpts(zero_outside(rows, 10, 10))[0], [
        (0, 0, 0), (0, 0, 0), (9.75, 9.75, 1), (0, 0, 0), (0, 0, 0), (0, 0, 2)])


def test_left_right_flip_mirrors_and_swaps_the_sides():
    img, rows = _scene()
    out, moved = flips(img, rows, np.random.default_rng(0), lr=1.0, ud=0.0, flip_idx=FLIP)
    np.testing.assert_allclose(_kpts(moved), [
        [(80 - 20.5, 12.5, 2), (80 - 12.5, 22.5, 1), (80 - 28.5, 22.5, 2)],  # left eye = old right eye
        [(80 - 58.5, 18.5, 2), (0, 0, 0), (80 - 68.5, 32.5, 2)]])  # an unlabeled point stays (0, 0, 0)
    np.testing.assert_array_equal(moved[:, 1:5], [[46, 6, 72, 40], [6, 10, 36, 56]])
    assert assert_keypoints_on_markers(out, moved, order=FLIP, tol=0.0) == 5
    # and the flipped person's left eye is on the image's right again, as a person facing the camera
    assert moved[0, 5 + 3] > moved[0, 5 + 6]


def test_left_right_flip_without_flip_idx_keeps_the_order():
    img, rows = _scene()
    out, moved = flips(img, rows, np.random.default_rng(0), lr=1.0, ud=0.0)
    np.testing.assert_allclose(_kpts(moved)[0], [(59.5, 12.5, 2), (51.5, 22.5, 2), (67.5, 22.5, 1)])
    assert assert_keypoints_on_markers(out, moved, tol=0.0) == 5


def test_up_down_flip_mirrors_y_and_keeps_the_order():
    img, rows = _scene()
    out, moved = flips(img, rows, np.random.default_rng(0), lr=0.0, ud=1.0, flip_idx=FLIP)
    np.testing.assert_allclose(_kpts(moved), [
        [(20.5, 64 - 12.5, 2), (28.5, 64 - 22.5, 2), (12.5, 64 - 22.5, 1)],
        [(58.5, 64 - 18.5, 2), (68.5, 64 - 32.5, 2), (0, 0, 0)]])
    assert assert_keypoints_on_markers(out, moved, tol=0.0) == 5


@pytest.mark.parametrize(("lr", "ud"), [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.0, 0.0)])
def test_flips_leave_detection_rows_as_they_were(lr, ud):
    img, rows = _scene()
    out, moved = flips(img, rows, np.random.default_rng(1), lr=lr, ud=ud, flip_idx=FLIP)
    plain_img, plain = flips(img, rows[:, :5], np.random.default_rng(1), lr=lr, ud=ud)
    np.testing.assert_array_equal(out, plain_img)
    np.testing.assert_array_equal(moved[:, :5], plain)


def _affine_expected(rows: np.ndarray, m: np.ndarray, size: int) -> np.ndarray:
    """(n, K, 3): labeled keypoints mapped by m, (0, 0, 0) when off the size x size output."""
    kpts = _kpts(rows).astype(np.float64)
    xy = np.concatenate([kpts[..., :2], np.ones((*kpts.shape[:2], 1))], -1) @ m.T
    out = np.concatenate([xy[..., :2], kpts[..., 2:]], -1).astype(np.float32)
    inside = (out[..., 0] >= 0) & (out[..., 0] < size) & (out[..., 1] >= 0) & (out[..., 1] < size)
    out[~inside | (kpts[..., 2] <= 0)] = 0.0
    return out


def _check_affine(seed: int, degrees: float, shear: float, scale: float, translate: float) -> int:
    img, rows = _scene()
    kw = {"out_size": 64, "degrees": degrees, "shear": shear, "scale": scale, "translate": translate}
    out, moved = random_affine(img, rows, np.random.default_rng(seed), **kw)
    m, _ = affine_matrix(H, W, 64, np.random.default_rng(seed), degrees=degrees, translate=translate,
                         scale=scale, shear=shear)
    plain_img, plain = random_affine(img, rows[:, :5], np.random.default_rng(seed), **kw)
    np.testing.assert_array_equal(out, plain_img)
    np.testing.assert_array_equal(moved[:, :5], plain)  # the boxes are those of a detection run
    expected = _affine_expected(rows, m, 64)
    for row in moved:  # a kept box carries its own keypoints; a dropped one takes them along
        np.testing.assert_allclose(row[5:].reshape(-1, 3), expected[int(row[0])], atol=1e-3)
    return assert_keypoints_on_markers(out, moved, tol=1.0)


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), degrees=st.floats(0, 30), shear=st.floats(0, 10),
       scale=st.floats(0, 0.5), translate=st.floats(0, 0.3))
def test_keypoints_follow_pixels_through_random_affine(seed, degrees, shear, scale, translate):
    _check_affine(seed, degrees, shear, scale, translate)


def test_rotated_and_sheared_keypoints_land_on_their_markers():
    checked = [_check_affine(seed, degrees=25.0, shear=8.0, scale=0.3, translate=0.05) for seed in range(6)]
    assert min(checked) >= 1 and sum(checked) >= 15


def test_random_affine_pushes_keypoints_out_and_drops_them_with_their_box():
    # no zoom, turn or move: the 80 px wide input is centred on the 64 px output, x -> x - 8
    boxes = [(2, 4, 30, 40), (74, 10, 79, 50), (40, 20, 78, 60)]
    kpts = np.array([[(4.5, 10.5, 2), (20.5, 20.5, 2), (0, 0, 0)],
                     [(76.5, 20.5, 2), (75.5, 30.5, 2), (77.5, 45.5, 1)],
                     [(70.5, 30.5, 2), (75.5, 40.5, 2), (50.5, 50.5, 1)]], np.float32)
    img, rows = draw_markers(H, W, kpts), pose_rows(boxes, [0, 1, 2], kpts)
    out, moved = random_affine(img, rows, np.random.default_rng(0), out_size=64, translate=0.0, scale=0.0)
    assert moved[:, 0].tolist() == [0, 2]  # object 1's box left the image: its keypoints went with it
    np.testing.assert_allclose(_kpts(moved), [
        [(0, 0, 0), (12.5, 20.5, 2), (0, 0, 0)],  # -3.5: pushed out; an unlabeled one stays (0, 0, 0)
        [(62.5, 30.5, 2), (0, 0, 0), (42.5, 50.5, 1)]])  # 67.5 is past the edge
    np.testing.assert_allclose(moved[:, 1:5], [[0, 4, 22, 40], [32, 20, 64, 60]])
    assert assert_keypoints_on_markers(out, moved, tol=0.0) == 2


def _mosaic_scenes() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Four images (long side 64) with two or three keypoints per object, markers inside each image."""
    shapes = [(48, 64), (64, 48), (64, 64), (32, 64)]
    objects = [
        ([(4, 4, 40, 40)], [[(10.5, 10.5, 2), (30.5, 20.5, 2), (20.5, 34.5, 1)]]),
        ([(3, 5, 44, 30), (5, 34, 40, 60)], [[(8.5, 10.5, 2), (38.5, 12.5, 2), (0, 0, 0)],
                                              [(12.5, 40.5, 2), (0, 0, 0), (30.5, 55.5, 2)]]),
        ([(10, 10, 60, 60)], [[(15.5, 50.5, 2), (55.5, 15.5, 2), (35.5, 35.5, 2)]]),
        ([(2, 2, 30, 29), (34, 3, 62, 28)], [[(6.5, 6.5, 2), (24.5, 8.5, 2), (16.5, 24.5, 2)],
                                              [(40.5, 22.5, 1), (56.5, 6.5, 2), (48.5, 14.5, 2)]]),
    ]
    images, labels = [], []
    for (h, w), (boxes, kpts) in zip(shapes, objects, strict=True):
        kpts = np.asarray(kpts, np.float32)
        images.append(draw_markers(h, w, kpts))
        labels.append(pose_rows(boxes, list(range(len(boxes))), kpts))
    return images, labels


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32 - 1))
def test_keypoints_follow_pixels_through_mosaic(seed):
    images, labels = _mosaic_scenes()
    canvas, moved = mosaic4(images, labels, 64, np.random.default_rng(seed))
    plain_canvas, plain = mosaic4(images, [lab[:, :5] for lab in labels], 64, np.random.default_rng(seed))
    np.testing.assert_array_equal(canvas, plain_canvas)
    np.testing.assert_array_equal(moved[:, :5], plain)
    kpts = _kpts(moved)
    # every labeled keypoint lies on its own colour, inside its (clipped) box; the canvas is not resampled
    for row, obj in zip(moved, kpts, strict=True):
        for k, (x, y, v) in enumerate(obj):
            if v > 0:
                assert (canvas[int(y), int(x)] == COLOURS[k]).all(), (k, x, y)
                assert row[1] <= x <= row[3] and row[2] <= y <= row[4]
    assert_keypoints_on_markers(canvas, moved, margin=3.0, tol=0.0)
    # and every marker the canvas shows whole is a keypoint's (none was lost)
    for k in range(3):
        mask = (canvas == COLOURS[k]).all(-1).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
        for x, y, w, h, area in stats[1:count]:
            if area == 25 and x > 0 and y > 0 and x + w < 128 and y + h < 128:
                centre = np.array([x + 2.5, y + 2.5])
                assert np.abs(kpts[:, k, :2] - centre).max(-1).min() < 1e-4, (k, centre)
    assert set(np.unique(kpts[..., 2])) <= {0.0, 1.0, 2.0}


def test_mosaic_then_affine_keeps_keypoints_on_their_markers():
    images, labels = _mosaic_scenes()
    checked = 0
    for seed in range(6):
        canvas, moved = mosaic4(images, labels, 64, np.random.default_rng(seed))
        out, warped = random_affine(canvas, moved, np.random.default_rng(seed + 100), out_size=64,
                                    scale=0.5, degrees=10.0)
        checked += assert_keypoints_on_markers(out, warped, tol=1.0)
        assert not ((_kpts(warped)[..., 2] == 0) & (_kpts(warped)[..., :2] != 0).any(-1)).any()
    assert checked >= 6


def test_keypoints_follow_pixels_through_letterbox_and_back():
    kpts = np.array([[(10.5, 8.5, 2), (60.5, 30.5, 1), (0, 0, 0)],
                     [(95.5, 45.5, 2), (70.5, 2.5, 2), (5.5, 40.5, 2)]], np.float32)
    img = draw_markers(50, 100, kpts, half=3)
    out, ratio, (padw, padh) = letterbox(img, 64)
    moved = shift_keypoints(scale_keypoints(pose_rows([(0, 0, 1, 1)] * 2, [0, 1], kpts), ratio, ratio),
                            padw, padh)
    assert assert_keypoints_on_markers(out, moved, margin=3.0, tol=1.0) >= 4
    back = scale_keypoints_back(_kpts(moved), ratio, (padw, padh), (50, 100))
    labeled = kpts[..., 2] > 0
    np.testing.assert_allclose(back[labeled], kpts[labeled], atol=1e-4)


def test_scale_keypoints_back_clips_xy_and_keeps_the_third_column():
    ratio, pad, orig = 0.64, (0, 16), (50, 100)
    kpts = np.array([[[32.0, 32.0, 0.5], [-3.0, 60.0, 0.25]]], np.float32)
    back = scale_keypoints_back(kpts, ratio, pad, orig)
    assert back.dtype == np.float32 and back.shape == (1, 2, 3)
    np.testing.assert_allclose(back, [[[50.0, 25.0, 0.5], [0.0, 50.0, 0.25]]], atol=1e-4)
    np.testing.assert_array_equal(kpts[0, 0], [32.0, 32.0, 0.5])  # input untouched
    two = scale_keypoints_back(kpts[..., :2], ratio, pad, orig)
    np.testing.assert_allclose(two, back[..., :2])
    t = torch.tensor(kpts)
    tb = scale_keypoints_back(t, ratio, pad, orig)
    assert isinstance(tb, torch.Tensor) and torch.equal(t, torch.tensor(kpts))
    torch.testing.assert_close(tb, torch.tensor(back))
