"""Anchor order matches the flattening of the outputs; DFL decoding and box <-> distance coding."""

from __future__ import annotations

import torch

from studio.models.ops.anchors import make_anchors
from studio.models.ops.dfl import bbox2dist, dfl_decode, dist2bbox
from studio.models.postprocess import flatten_outputs


def coordinate_maps(batch: int, sizes: list[tuple[int, int]]) -> list[torch.Tensor]:
    """Maps whose channels are (x index, y index, level) of each cell."""
    maps = []
    for level, (h, w) in enumerate(sizes):
        gy, gx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        m = torch.stack((gx, gy, torch.full_like(gx, level))).float()
        maps.append(m.expand(batch, 3, h, w))
    return maps


def test_make_anchors_matches_flatten_order() -> None:
    strides = (8, 16, 32)
    feats = coordinate_maps(2, [(6, 10), (3, 5), (2, 3)])  # non-square on purpose
    points, stride_t = make_anchors(feats, strides)
    flat = flatten_outputs(feats)  # (B, A, 3)
    assert points.shape == (60 + 15 + 6, 2) and stride_t.shape == (81, 1)
    level = flat[0, :, 2].long()
    expected_stride = torch.tensor(strides, dtype=torch.float32)[level]
    torch.testing.assert_close(stride_t[:, 0], expected_stride)
    torch.testing.assert_close(points, (flat[0, :, :2] + 0.5) * expected_stride[:, None])
    assert points[:3].tolist() == [[4.0, 4.0], [12.0, 4.0], [20.0, 4.0]]  # row-major: x runs fastest


def test_make_anchors_offset_dtype_device() -> None:
    feats = [torch.zeros(1, 1, 2, 2, dtype=torch.float64)]
    points, stride_t = make_anchors(feats, (4,), offset=0.0)
    assert points.dtype == torch.float64 and stride_t.dtype == torch.float64
    assert points.tolist() == [[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0]]


def test_dfl_decode_one_hot_gives_the_bin() -> None:
    reg_max = 16
    bins = torch.tensor([[0, 5, 15, 7], [3, 3, 9, 1]])  # (A=2, 4)
    logits = torch.nn.functional.one_hot(bins, reg_max).float() * 100  # (A, 4, reg_max)
    out = dfl_decode(logits.reshape(1, 2, 4 * reg_max), reg_max)
    assert out.shape == (1, 2, 4)
    torch.testing.assert_close(out[0], bins.float())


def test_dfl_decode_uniform_is_the_middle() -> None:
    out = dfl_decode(torch.zeros(3, 5, 4 * 8), 8)
    torch.testing.assert_close(out, torch.full((3, 5, 4), 3.5))


def test_bbox2dist_and_dist2bbox_invert_each_other() -> None:
    gen = torch.Generator().manual_seed(0)
    points = torch.rand(20, 2, generator=gen) * 10 + 5
    dist = torch.rand(3, 20, 4, generator=gen) * 4  # (B, A, 4), well inside [0, reg_max - 1)
    boxes = dist2bbox(dist, points)
    torch.testing.assert_close(bbox2dist(points, boxes, reg_max=16), dist)
    torch.testing.assert_close(dist2bbox(bbox2dist(points, boxes, None), points), boxes)


def test_bbox2dist_clamps_to_the_bin_range() -> None:
    points = torch.tensor([[10.0, 10.0]])
    boxes = torch.tensor([[12.0, 0.0, 40.0, 11.0]])  # left edge right of the point, right edge far away
    dist = bbox2dist(points, boxes, reg_max=16)
    assert dist.tolist()[0][0] == 0.0
    assert abs(dist[0, 2].item() - 14.99) < 1e-5
    assert bbox2dist(points, boxes, None)[0, 0].item() == -2.0
