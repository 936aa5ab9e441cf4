from __future__ import annotations

import numpy as np
import torch

from studio.data.augment import AugmentConfig
from studio.data.collate import collate
from studio.data.detection import DetectionDataset
from studio.data.loader import build_loader
from studio.data.sampler import EpochSampler


def _records(scene):
    return [scene(40 + 8 * i, 48, [(2 + i, 3, 20 + i, 25), (24, 10, 44, 30)], [i % 6, (i + 1) % 6],
                  image_id=i + 1) for i in range(5)]


def test_collate_stacks_images_and_numbers_targets_by_image():
    image = torch.zeros(3, 32, 32, dtype=torch.uint8)
    items = [{"image": image, "targets": torch.tensor([[1.0, 0, 0, 4, 4]]),
              "image_id": 7, "orig_size": (10, 20), "ratio": 1.6, "pad": (0, 8)},
             {"image": image + 1, "targets": torch.zeros((0, 5)),
              "image_id": 8, "orig_size": (20, 20), "ratio": 1.6, "pad": (0, 0)},
             {"image": image + 2, "targets": torch.tensor([[2.0, 1, 1, 5, 5]] * 2),
              "image_id": 9, "orig_size": (20, 10), "ratio": 1.6, "pad": (8, 0)}]
    batch = collate(items)
    assert batch["images"].shape == (3, 3, 32, 32) and batch["images"].dtype == torch.uint8
    assert batch["images"][:, 0, 0, 0].tolist() == [0, 1, 2]
    assert batch["targets"].dtype == torch.float32
    assert batch["targets"][:, :2].tolist() == [[0, 1], [2, 2], [2, 2]]
    assert batch["image_ids"] == [7, 8, 9] and batch["pads"] == [(0, 8), (0, 0), (8, 0)]
    assert batch["orig_sizes"] == [(10, 20), (20, 20), (20, 10)] and batch["ratios"] == [1.6] * 3
    assert collate(items[1:2])["targets"].shape == (0, 6)


def _batches(loader) -> list[dict]:
    return list(loader)


def test_spawn_workers_yield_the_same_batches_as_the_main_process(scene):
    records = _records(scene)
    cfg = AugmentConfig(degrees=5.0)
    serial = DetectionDataset(records, 32, cfg, seed=3, epochs=4)
    cached = DetectionDataset(records, 32, cfg, seed=3, epochs=4, cache=True)  # shared with the workers
    sampler = EpochSampler(len(records), shuffle=True, seed=3, epoch=1)
    expected = _batches(build_loader(serial, sampler, 2, 0))
    got = _batches(build_loader(cached, sampler, 2, 2))
    assert [len(b["image_ids"]) for b in got] == [2, 2, 1]  # drop_last False
    for a, b in zip(expected, got, strict=True):
        assert torch.equal(a["images"], b["images"]) and torch.equal(a["targets"], b["targets"])
        assert a["image_ids"] == b["image_ids"] and a["pads"] == b["pads"]
    keys = list(sampler)
    np.testing.assert_array_equal(got[0]["images"][1].numpy(), serial[keys[1]]["image"].numpy())


def test_validation_loader_keeps_dataset_order(scene):
    records = _records(scene)
    loader = build_loader(DetectionDataset(records, 32, None), EpochSampler(5, shuffle=False, seed=0), 4, 0)
    assert [b["image_ids"] for b in loader] == [[1, 2, 3, 4], [5]]
    assert loader.pin_memory == torch.cuda.is_available()
