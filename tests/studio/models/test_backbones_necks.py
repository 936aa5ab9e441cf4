"""Backbones and necks: the strides, shapes and channel counts they promise, at every combination."""

from __future__ import annotations

import pytest
import torch

from studio.models.registry import BACKBONES, NECKS, SCALED_BACKBONES, SCALES

STRIDES = (8, 16, 32)


def params(module: torch.nn.Module) -> float:
    return sum(p.numel() for p in module.parameters()) / 1e6


def check_maps(maps: dict[int, torch.Tensor], channels: dict[int, int], batch: int, h: int, w: int) -> None:
    assert sorted(maps) == list(STRIDES) == sorted(channels)
    for s, x in maps.items():
        assert x.shape == (batch, channels[s], h // s, w // s), s
        assert torch.isfinite(x).all()


@pytest.mark.parametrize("name", sorted(SCALED_BACKBONES))
def test_backbone_gives_strides_8_16_32_with_the_channels_it_states(name):
    depth, width = SCALES["n"]
    backbone = BACKBONES[name](width, depth).eval()
    with torch.no_grad():
        check_maps(backbone(torch.rand(2, 3, 64, 96)), backbone.out_channels, 2, 64, 96)


@pytest.mark.parametrize("backbone", sorted(SCALED_BACKBONES))
@pytest.mark.parametrize("neck", sorted(NECKS))
def test_every_backbone_fits_every_neck(backbone, neck):
    depth, width = SCALES["n"]
    body = BACKBONES[backbone](width, depth)
    top = NECKS[neck](body.out_channels, width, depth)
    with torch.no_grad():
        check_maps(top(body.eval()(torch.rand(2, 3, 64, 96))), top.eval().out_channels, 2, 64, 96)


@pytest.mark.parametrize("neck", sorted(NECKS))
def test_neck_takes_any_channel_counts(neck):
    in_channels = {8: 24, 16: 40, 32: 72}
    module = NECKS[neck](in_channels, 0.5, 0.67).eval()
    feats = {s: torch.randn(1, c, 64 // s, 32 // s) for s, c in in_channels.items()}
    with torch.no_grad():
        check_maps(module(feats), module.out_channels, 1, 64, 32)


def test_width_and_depth_scale_the_backbones():
    for name in SCALED_BACKBONES:
        sizes = [params(BACKBONES[name](width, depth)) for depth, width in SCALES.values()]
        assert sizes == sorted(sizes) and sizes[-1] > 8 * sizes[0], (name, sizes)
        n = BACKBONES[name](*reversed(SCALES["n"]))
        assert n.out_channels == {8: 64, 16: 128, 32: 256}


def test_bifpn_layers_follow_depth_and_fusion_weights_are_normalised():
    in_channels = {8: 16, 16: 32, 32: 64}
    assert len(NECKS["bifpn"](in_channels, 0.25, 0.33).layers) == 1
    assert len(NECKS["bifpn"](in_channels, 0.25, 0.67).layers) == 2
    node = NECKS["bifpn"](in_channels, 0.25, 0.33).layers[0].top_down[0]
    with torch.no_grad():
        node.weight.copy_(torch.tensor([3.0, -1.0]))  # relu -> (3, 0): only the first input counts
    node.conv = torch.nn.Identity()
    a, b = torch.full((1, 1, 2, 2), 2.0), torch.full((1, 1, 2, 2), 7.0)
    torch.testing.assert_close(node([a, b]), a * 3 / (3 + 1e-4))
