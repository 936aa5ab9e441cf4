"""Tiled inference: where tiles go, the blending window, exact results for a pointwise function, float
rounding only for a local conv stack, images smaller than a tile, numpy and torch inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from studio.errors import ConfigError
from studio.inference.tiles import ramp_window, tile_starts, tiled_apply


def pointwise(a):
    return a * a * 0.37 - a / 3 + 0.1


def test_tile_starts_shift_the_last_tile_inside():
    assert tile_starts(600, 256, 32) == [0, 224, 344]
    assert tile_starts(256, 256, 32) == [0]
    assert tile_starts(100, 256, 32) == [0]
    assert tile_starts(257, 256, 32) == [0, 1]
    assert tile_starts(448, 256, 32) == [0, 192]


@pytest.mark.parametrize("overlap", [0, 1, 4, 16, 31])
def test_windows_are_a_partition_of_unity_for_regular_steps(overlap):
    tile, n = 64, 4
    step = tile - overlap
    total = np.zeros(step * (n - 1) + tile)
    for i in range(n):
        total[i * step:i * step + tile] += ramp_window(tile, overlap, i > 0, i < n - 1)
    np.testing.assert_allclose(total, 1.0, atol=1e-12)


def test_window_edges():
    w = ramp_window(64, 16, before=True, after=False)
    assert (w[:4] == 0).all() and (w[12:] == 1).all() and np.all(np.diff(w[:12]) >= 0)
    assert (ramp_window(64, 16, before=False, after=False) == 1).all()


@pytest.mark.parametrize("shape", [(1, 4, 70, 45), (2, 3, 33, 100), (1, 4, 33, 33), (1, 4, 20, 100)])
def test_pointwise_tiled_equals_untiled_exactly(shape):
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    out = tiled_apply(pointwise, x, tile=32, overlap=8)
    assert out.dtype == np.float32 and np.array_equal(out, pointwise(x))
    t = torch.from_numpy(x)
    out_t = tiled_apply(pointwise, t, tile=32, overlap=8)
    assert out_t.dtype == torch.float32 and torch.equal(out_t, pointwise(t))


def test_output_channels_may_differ():
    x = torch.rand(1, 4, 50, 70)
    out = tiled_apply(lambda a: a.sum(1, keepdim=True), x, tile=32, overlap=8)
    torch.testing.assert_close(out, x.sum(1, keepdim=True))


def test_local_conv_stack_matches_untiled_to_rounding():
    """Two 3x3 convs reach 2 pixels, inside overlap // 4 = 4: only float rounding differs."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(8, 4, 3, padding=1))
    net.eval()
    x = torch.rand(1, 4, 90, 77)
    with torch.no_grad():
        full = net(x)
    tiled = tiled_apply(net, x, tile=32, overlap=16)
    torch.testing.assert_close(tiled, full, atol=1e-5, rtol=0)


def test_image_no_larger_than_a_tile_runs_once_untiled():
    calls = []

    def fn(a):
        calls.append(a.shape)
        return pointwise(a)

    x = torch.rand(1, 4, 30, 17)
    assert torch.equal(tiled_apply(fn, x, tile=32, overlap=8), pointwise(x))
    assert calls == [(1, 4, 30, 17)]


def test_every_tile_is_full_size_and_inside():
    calls = []

    def fn(a):
        calls.append(tuple(a.shape[-2:]))
        return a

    tiled_apply(fn, np.zeros((1, 4, 70, 45), np.float32), tile=32, overlap=8)
    assert set(calls) == {(32, 32)}
    assert len(calls) == len(tile_starts(70, 32, 8)) * len(tile_starts(45, 32, 8))


def test_torch_runs_without_grad():
    net = nn.Conv2d(4, 4, 3, padding=1)
    out = tiled_apply(net, torch.rand(1, 4, 40, 40), tile=32, overlap=8)
    assert not out.requires_grad


@pytest.mark.parametrize("tile, overlap", [(32, 17), (32, -1), (0, 0)])
def test_bad_tiling_raises(tile, overlap):
    with pytest.raises(ConfigError):
        tiled_apply(pointwise, np.zeros((1, 4, 64, 64), np.float32), tile=tile, overlap=overlap)
