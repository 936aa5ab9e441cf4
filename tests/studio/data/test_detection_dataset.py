from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import assert_boxes_follow_pixels

from studio.data.augment import AugmentConfig
from studio.data.detection import DetectionDataset
from studio.data.letterbox import scale_boxes_back
from studio.errors import ConfigError, DatasetFormatError

S = 64
NO_COLOUR = {"hsv_h": 0.0, "hsv_s": 0.0, "hsv_v": 0.0}


@pytest.fixture
def records(scene):
    """Four scenes; class index = colour; the second object of scene 3 is a crowd region."""
    return [
        scene(48, 80, [(4, 6, 30, 30), (50, 10, 76, 40)], [0, 1], image_id=1),
        scene(80, 60, [(10, 10, 50, 40)], [2], image_id=2),
        scene(64, 64, [(0, 20, 40, 64), (45, 0, 60, 15)], [3, 4], image_id=3, crowd=[False, True]),
        scene(100, 50, [(5, 5, 45, 95)], [5], image_id=4),
    ]


def _hwc(item) -> np.ndarray:
    return item["image"].permute(1, 2, 0).numpy()


def test_validation_items_are_letterboxed_with_their_boxes(records):
    ds = DetectionDataset(records, S, None)
    assert len(ds) == 4
    item = ds[0]
    assert item["image"].shape == (3, S, S) and item["image"].dtype == torch.uint8
    assert item["targets"].dtype == torch.float32 and item["targets"].shape == (2, 5)
    assert (item["image_id"], item["orig_size"], item["ratio"], item["pad"]) == (1, (48, 80), 0.8, (0, 13))
    for key, rec in enumerate(records):
        item = ds[key]
        targets = item["targets"].numpy()
        assert_boxes_follow_pixels(_hwc(item), targets, tol=1.5)
        kept = ~rec.crowd
        back = scale_boxes_back(targets[:, 1:], item["ratio"], item["pad"], item["orig_size"])
        np.testing.assert_allclose(back, rec.boxes[kept], atol=1.0)
        assert targets[:, 0].tolist() == rec.classes[kept].tolist()  # crowd dropped
    assert ds[6]["image_id"] == 3  # a key of epoch 1 is the same image


def test_training_boxes_follow_pixels(records):
    ds = DetectionDataset(records, S, AugmentConfig(flipud=0.5, **NO_COLOUR), seed=1, epochs=100)
    for key in range(16):  # mosaics and single images, zoomed, moved and flipped
        item = ds[key]
        assert item["image"].shape == (3, S, S)
        assert_boxes_follow_pixels(_hwc(item), item["targets"].numpy(), tol=2.0)
        assert 4 not in item["targets"][:, 0].tolist()  # the crowd object never becomes a target


@pytest.mark.parametrize("mosaic", [1.0, 0.0])
def test_rotated_training_boxes_enclose_their_pixels(records, mosaic):
    cfg = AugmentConfig(mosaic=mosaic, degrees=8.0, shear=2.0, **NO_COLOUR)
    ds = DetectionDataset(records, S, cfg, seed=2, epochs=100)
    for key in range(12):
        item = ds[key]
        assert_boxes_follow_pixels(_hwc(item), item["targets"].numpy(), tol=2.5, enclose=True)


def _same(a, b) -> bool:
    return torch.equal(a["image"], b["image"]) and torch.equal(a["targets"], b["targets"])


def test_items_are_a_function_of_seed_and_key(records):
    cfg = AugmentConfig(degrees=3.0)
    one = DetectionDataset(records, S, cfg, seed=3, epochs=10)
    two = DetectionDataset(records, S, cfg, seed=3, epochs=10)
    cached = DetectionDataset(records, S, cfg, seed=3, epochs=10, cache=True)
    keys = [17, 0, 5, 39, 5]
    for key in keys:
        assert _same(one[key], two[key]) and _same(one[key], cached[key])
    other = DetectionDataset(records, S, cfg, seed=4, epochs=10)
    assert not all(_same(one[k], other[k]) for k in keys)
    assert not _same(one[1], one[5])  # same image, next epoch: a new augmentation


def test_cache_holds_resized_images_and_serves_validation_items_unchanged(records):
    plain, cached = DetectionDataset(records, S, None), DetectionDataset(records, S, None, cache=True)
    assert cached.cache is not None and cached.cache.nbytes == sum(
        round(r.height * S / max(r.width, r.height)) * round(r.width * S / max(r.width, r.height)) * 3
        for r in records)
    for key in range(4):
        assert _same(plain[key], cached[key])


def test_close_mosaic_turns_mosaic_off_in_the_last_epochs(records):
    cfg = AugmentConfig(close_mosaic=2, scale=0.0, translate=0.0, **NO_COLOUR)
    ds = DetectionDataset(records, S, cfg, seed=0, epochs=5)
    assert [ds.mosaic_active(e) for e in range(5)] == [True, True, True, False, False]
    assert DetectionDataset(records, S, cfg, epochs=None).mosaic_active(1000)
    assert not DetectionDataset(records, S, None, epochs=5).mosaic_active(0)
    own = [set(r.classes[~r.crowd].tolist()) for r in records]
    mixed = [set(ds[0 * 4 + i]["targets"][:, 0].int().tolist()) - own[i] for i in range(4)]
    assert any(mixed), "mosaic items carry objects of other images"
    for epoch in (3, 4):
        for i in range(4):
            assert set(ds[epoch * 4 + i]["targets"][:, 0].int().tolist()) <= own[i]


def test_declared_size_differs_from_the_file_boxes_are_rescaled(records):
    rec = records[0]
    big = replace(rec, width=rec.width * 2, height=rec.height * 2, boxes=rec.boxes * 2)
    a, b = DetectionDataset([rec], S, None)[0], DetectionDataset([big], S, None)[0]
    torch.testing.assert_close(a["targets"], b["targets"])
    assert b["orig_size"] == (48, 80)


def test_an_undecodable_image_is_a_format_error_naming_it(records, tmp_path: Path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 this is not a jpeg")
    broken = replace(records[0], path=str(bad))
    ds = DetectionDataset([records[1], broken], S, AugmentConfig(mosaic=0.0))
    ds[0]
    with pytest.raises(DatasetFormatError, match="cannot decode this image") as info:
        ds[1]
    assert info.value.path == bad and "tern data check" in str(info.value)
    with pytest.raises(DatasetFormatError, match=r"broken\.jpg"):
        DetectionDataset([records[1], broken], S, None, cache=True)
    missing = replace(records[0], path=str(tmp_path / "gone.png"))
    with pytest.raises(DatasetFormatError, match=r"gone\.png"):
        DetectionDataset([missing], S, None)[0]


def test_bad_settings_are_config_errors(records):
    with pytest.raises(ConfigError, match="multiple of 32"):
        DetectionDataset(records, 100, None)
    with pytest.raises(IndexError):
        DetectionDataset(records, S, None)[-1]
