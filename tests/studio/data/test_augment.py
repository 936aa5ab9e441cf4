from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_boxes_follow_pixels, draw, region

from studio.data.affine import box_candidates, random_affine, transform_boxes
from studio.data.augment import AugmentConfig, flips, hsv
from studio.data.mosaic import mosaic4
from studio.errors import ConfigError

BOXES = [(6, 5, 30, 22), (40, 10, 58, 40), (12, 30, 26, 46)]


def _labels(boxes, classes) -> np.ndarray:
    return np.array([[c, *b] for b, c in zip(boxes, classes, strict=True)], np.float32).reshape(-1, 5)


@pytest.mark.parametrize(("lr", "ud"), [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0)])
def test_boxes_follow_pixels_through_flips(lr, ud):
    img, labels = draw(48, 64, BOXES, [0, 1, 2]), _labels(BOXES, [0, 1, 2])
    out, moved = flips(img, labels, np.random.default_rng(0), lr=lr, ud=ud)
    assert out.flags.c_contiguous and not np.shares_memory(out, img)
    assert_boxes_follow_pixels(out, moved, tol=0.0)
    if lr:
        np.testing.assert_array_equal(moved[0, 1:], [64 - 30, *moved[0, [2]], 64 - 6, *moved[0, [4]]])


def test_flips_with_zero_probability_change_nothing():
    img, labels = draw(48, 64, BOXES, [0, 1, 2]), _labels(BOXES, [0, 1, 2])
    out, moved = flips(img, labels, np.random.default_rng(0), lr=0.0, ud=0.0)
    np.testing.assert_array_equal(out, img)
    np.testing.assert_array_equal(moved, labels)


@pytest.mark.parametrize("seed", range(6))
def test_boxes_follow_pixels_through_random_affine(seed):
    img, labels = draw(48, 64, BOXES, [0, 1, 2]), _labels(BOXES, [0, 1, 2])
    out, moved = random_affine(img, labels, np.random.default_rng(seed), out_size=64, degrees=10.0,
                               translate=0.1, scale=0.4, shear=4.0)
    assert out.shape == (64, 64, 3)
    assert len(moved) >= 1
    assert_boxes_follow_pixels(out, moved, tol=2.5)


def test_random_affine_identity_keeps_image_and_boxes():
    img, labels = draw(64, 64, BOXES, [0, 1, 2]), _labels(BOXES, [0, 1, 2])
    out, moved = random_affine(img, labels, np.random.default_rng(3), out_size=64, translate=0.0, scale=0.0)
    np.testing.assert_array_equal(out, img)
    np.testing.assert_allclose(moved, labels, atol=1e-4)


@pytest.mark.parametrize("seed", range(8))
def test_random_affine_drops_boxes_pushed_out_of_the_image(seed):
    boxes = [(0, 0, 6, 40), (20, 20, 44, 44)]
    img, labels = draw(64, 64, boxes, [0, 1]), _labels(boxes, [0, 1])
    out, moved = random_affine(img, labels, np.random.default_rng(seed), out_size=64, translate=0.1875,
                               scale=0.0)
    draws = np.random.default_rng(seed).uniform(size=5)  # angle, zoom, 2 shears, then the x translation
    shift = (0.5 - 0.1875 + 0.375 * draws[4]) * 64 - 32
    assert (0 in moved[:, 0]) == (6 + shift > 2)  # the thin box is kept while wider than 2 px
    assert 1 in moved[:, 0]
    assert_boxes_follow_pixels(out, moved, tol=1.0)


def test_transform_boxes_encloses_rotated_corners():
    m = np.array([[0.0, -1.0, 10.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # rotate 90 degrees, move 10 right
    out = transform_boxes(np.array([[1.0, 2.0, 4.0, 8.0]], np.float32), m)
    np.testing.assert_allclose(out, [[2.0, 1.0, 8.0, 4.0]])
    assert transform_boxes(np.zeros((0, 4), np.float32), m).shape == (0, 4)


def test_box_candidates_known_values():
    before = np.array([[0, 0, 10, 10]] * 4, np.float32)
    after = np.array([[0, 0, 10, 10], [0, 0, 2, 10], [0, 0, 3, 3], [0, 0, 3, 9]], np.float32)
    # kept; too narrow (2 px); 9% of its area left; 27% left and 3 px wide: kept
    np.testing.assert_array_equal(box_candidates(before, after), [True, False, False, True])
    long = np.array([[0, 0, 500, 4]], np.float32)
    assert not box_candidates(long, np.array([[0, 0, 500, 4.5]], np.float32), ar_thr=100)[0]


@pytest.mark.parametrize("seed", range(5))
def test_boxes_follow_pixels_through_mosaic(seed):
    scenes = [([(2, 3, 20, 25)], [0]), ([(5, 5, 30, 18), (34, 2, 60, 30)], [1, 2]),
              ([(10, 10, 40, 40)], [3]), ([(0, 0, 16, 16), (40, 20, 64, 48)], [4, 5])]
    shapes = [(48, 64), (32, 64), (64, 48), (48, 64)]
    images = [draw(h, w, b, c) for (h, w), (b, c) in zip(shapes, scenes, strict=True)]
    labels = [_labels(b, c) for b, c in scenes]
    canvas, moved = mosaic4(images, labels, 64, np.random.default_rng(seed))
    assert canvas.shape == (128, 128, 3)
    assert_boxes_follow_pixels(canvas, moved, tol=0.0)
    visible = {c for c in range(6) if region(canvas, c) is not None}
    assert visible == {int(c) for c in moved[:, 0]}
    # and after the warp to 64 x 64 that follows it in training
    out, warped = random_affine(canvas, moved, np.random.default_rng(seed + 100), out_size=64, scale=0.5)
    assert out.shape == (64, 64, 3)
    assert_boxes_follow_pixels(out, warped, tol=2.5)


def test_hsv_with_zero_gains_returns_the_image():
    img = draw(8, 8, [(0, 0, 4, 4)], [0])
    assert hsv(img, np.random.default_rng(0), hgain=0, sgain=0, vgain=0) is img


def test_hsv_keeps_greys_without_value_gain_and_scales_value():
    img = np.full((4, 4, 3), 114, np.uint8)
    out = hsv(img, np.random.default_rng(1), hgain=0.5, sgain=0.9, vgain=0.0)
    np.testing.assert_array_equal(out, img)
    colour = np.zeros((4, 4, 3), np.uint8)
    colour[:] = (200, 100, 50)
    out = hsv(colour, np.random.default_rng(2), hgain=0.0, sgain=0.0, vgain=0.4)
    r = np.random.default_rng(2).uniform(-1, 1, 3)[2] * 0.4 + 1
    assert abs(int(out.max()) - min(int(200 * r), 255)) <= 1
    assert out.max() != 200
    np.testing.assert_array_equal(colour[0, 0], (200, 100, 50))  # input untouched


def test_hsv_is_deterministic_per_rng():
    img = draw(16, 16, [(0, 0, 8, 8), (8, 8, 16, 16)], [0, 1])
    a = hsv(img, np.random.default_rng(5), hgain=0.015, sgain=0.7, vgain=0.4)
    b = hsv(img, np.random.default_rng(5), hgain=0.015, sgain=0.7, vgain=0.4)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("changes", [{"mosaic": 1.5}, {"fliplr": -0.1}, {"scale": 1.0}, {"degrees": -1},
                                     {"close_mosaic": -1}])
def test_augment_config_rejects_values_that_cannot_work(changes):
    with pytest.raises(ConfigError, match=next(iter(changes))):
        AugmentConfig(**changes)


def test_augment_config_defaults_are_yolov8s():
    cfg = AugmentConfig()
    assert (cfg.mosaic, cfg.translate, cfg.scale, cfg.fliplr, cfg.close_mosaic) == (1.0, 0.1, 0.5, 0.5, 10)
    assert AugmentConfig(**cfg.to_dict()) == cfg
