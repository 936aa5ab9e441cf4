"""The two-stage detector's items (aspect kept, short side to min_size, long side capped) and padding
batches of different sizes top-left."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.data.augment import AugmentConfig
from studio.data.collate import collate, pad_stack
from studio.data.letterbox import scale_boxes_back
from studio.data.resize_dataset import ResizeDetectionDataset, keep_ratio_scale
from studio.engine.data_source import load_training_data
from studio.errors import ConfigError
from studio.shapes import make_shapes


def test_keep_ratio_scale_caps_the_long_side():
    assert keep_ratio_scale(480, 640, 800, 1333) == pytest.approx(800 / 480)
    assert keep_ratio_scale(300, 1200, 800, 1333) == pytest.approx(1333 / 1200)  # 800/300 would pass 1333


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    data = make_shapes(tmp_path_factory.mktemp("shapes") / "s", num_images=4, size=160)
    return load_training_data(str(data), "", 0.2).train


def test_items_keep_the_aspect_and_boxes_map_back(records):
    ds = ResizeDetectionDataset(records, 96, 120, None)
    for i, rec in enumerate(records):
        item = ds[i]
        h, w = item["image"].shape[1:]
        assert min(h, w) == 96 or max(h, w) == 120
        boxes = item["targets"][:, 1:].numpy()
        back = scale_boxes_back(boxes.copy(), item["ratio"], item["pad"], item["orig_size"])
        assert np.allclose(back, rec.boxes[~rec.crowd], atol=1.0)


def test_training_flips_move_the_boxes_with_the_pixels(records):
    ds = ResizeDetectionDataset(records, 96, 160, AugmentConfig(fliplr=1.0))
    plain = ResizeDetectionDataset(records, 96, 160, AugmentConfig(fliplr=0.0))  # same interpolation
    item, ref = ds[0], plain[0]
    assert torch.equal(item["image"], ref["image"].flip(-1))
    w = ref["image"].shape[2]
    assert torch.allclose(item["targets"][:, 1], w - ref["targets"][:, 3])


def test_pad_stack_pads_to_a_multiple_of_32_top_left():
    a, b = torch.ones(3, 40, 70, dtype=torch.uint8), torch.full((3, 64, 30), 2, dtype=torch.uint8)
    out = pad_stack([a, b])
    assert out.shape == (2, 3, 64, 96)
    assert torch.equal(out[0, :, :40, :70], a) and out[0, :, 40:].sum() == 0 and out[0, :, :, 70:].sum() == 0
    assert torch.equal(out[1, :, :64, :30], b)
    assert pad_stack([a]).shape == (1, 3, 64, 96)  # one odd-sized image is padded too
    square = torch.zeros(3, 64, 64, dtype=torch.uint8)
    assert pad_stack([square, square]).shape == (2, 3, 64, 64)


def test_collate_of_resized_items(records):
    ds = ResizeDetectionDataset(records, 96, 200, None)
    batch = collate([ds[0], ds[1]])
    assert batch["images"].shape[2] % 32 == 0 and batch["images"].shape[3] % 32 == 0
    assert batch["pads"] == [(0, 0), (0, 0)]


def test_bad_sizes_are_a_config_error(records):
    with pytest.raises(ConfigError, match="short side"):
        ResizeDetectionDataset(records, 200, 100, None)
