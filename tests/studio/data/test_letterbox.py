from __future__ import annotations

import numpy as np
import torch
from conftest import COLOURS, draw, region

from studio.data.letterbox import letterbox, scale_boxes_back


def test_letterbox_fits_centres_and_pads_with_grey():
    img = draw(50, 100, [(10, 10, 40, 30)], [0])
    out, ratio, pad = letterbox(img, 64)
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    assert ratio == 0.64 and pad == (0, 16)
    assert (out[:16] == 114).all() and (out[48:] == 114).all()
    assert (out[16:48] != 114).any()


def test_letterbox_grows_small_images_and_pads_odd_sizes_left_top_first():
    out, ratio, pad = letterbox(np.zeros((10, 9, 3), np.uint8), 32)
    assert ratio == 3.2 and pad == (1, 0)  # 9 * 3.2 = 28.8 -> 29 wide: 3 px of padding, 1 left and 2 right
    assert (out[:, :1] == 114).all() and (out[:, 1:30] == 0).all() and (out[:, 30:] == 114).all()


def test_letterbox_keeps_its_input_and_square_inputs_of_the_size_unchanged():
    img = draw(64, 64, [(5, 5, 20, 20)], [1])
    before = img.copy()
    out, ratio, pad = letterbox(img, 64)
    assert ratio == 1.0 and pad == (0, 0)
    np.testing.assert_array_equal(out, before)
    np.testing.assert_array_equal(img, before)


def test_boxes_follow_pixels_through_letterbox():
    boxes = [(10, 8, 60, 30), (70, 2, 95, 45), (0, 35, 20, 50)]
    img = draw(50, 100, boxes, [0, 1, 2])
    out, ratio, (padw, padh) = letterbox(img, 64)
    for (x1, y1, x2, y2), cls in zip(boxes, [0, 1, 2], strict=True):
        expected = np.array([x1 * ratio + padw, y1 * ratio + padh, x2 * ratio + padw, y2 * ratio + padh])
        np.testing.assert_allclose(region(out, cls), expected, atol=1.5)


def test_scale_boxes_back_inverts_the_letterbox_and_clips():
    orig = (50, 100)
    ratio, pad = 0.64, (0, 16)
    boxes = np.array([[10, 8, 60, 30], [0, 0, 100, 50]], np.float32)
    forward = boxes * ratio + np.array([pad[0], pad[1], pad[0], pad[1]], np.float32)
    back = scale_boxes_back(forward, ratio, pad, orig)
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, boxes, atol=1e-4)
    outside = np.array([[-5, 10, 70, 60]], np.float32)  # beyond the image on the left and the bottom
    np.testing.assert_allclose(scale_boxes_back(outside, ratio, pad, orig), [[0, 0, 100, 50]], atol=1e-4)
    np.testing.assert_array_equal(forward, boxes * ratio + np.array([0, 16, 0, 16], np.float32))  # untouched


def test_scale_boxes_back_accepts_tensors():
    t = torch.tensor([[0.0, 16.0, 64.0, 48.0]])
    back = scale_boxes_back(t, 0.64, (0, 16), (50, 100))
    assert isinstance(back, torch.Tensor)
    torch.testing.assert_close(back, torch.tensor([[0.0, 0.0, 100.0, 50.0]]))
    assert t[0, 1] == 16.0


def test_colours_are_distinct_enough_for_the_pixel_checks():
    d = np.abs(COLOURS[:, None] - COLOURS[None]).max(-1)
    assert (d + np.eye(len(COLOURS), dtype=np.int64) * 999 > 80).all()
