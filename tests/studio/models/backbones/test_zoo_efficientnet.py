"""EfficientNet-B0..B3 and EfficientNetV2-S zoo entries: published parameter counts, the feature contract,
torchvision state-dict names, Fused-MBConv and stochastic depth."""

from __future__ import annotations

import pytest
import torch

from studio.models.backbones.efficientnet import (
    efficientnet_b0,
)
from studio.models.blocks.fused_mbconv import FusedMBConv
from studio.models.blocks.stochastic_depth import StochasticDepth, stochastic_depth


def test_stochastic_depth_grows_linearly_over_the_blocks() -> None:
    with torch.device("meta"):
        backbone = efficientnet_b0()
    probs = [m.p for m in backbone.modules() if isinstance(m, StochasticDepth)]
    assert len(probs) == 16 and probs[0] == 0.0
    assert probs[-1] == pytest.approx(0.2 * 15 / 16)


def test_stochastic_depth_drops_whole_samples_and_rescales() -> None:
    torch.manual_seed(0)
    x = torch.ones(64, 3, 2, 2)
    y = stochastic_depth(x, 0.5, "row", training=True)
    per_sample = y.flatten(1)
    assert set(per_sample.unique().tolist()) <= {0.0, 2.0}
    assert torch.all(per_sample == per_sample[:, :1])  # one draw per sample
    assert 0 < int((per_sample[:, 0] == 0).sum()) < 64
    assert torch.equal(stochastic_depth(x, 0.5, "row", training=False), x)
    assert torch.equal(stochastic_depth(x, 1.0, "batch", training=True), torch.zeros_like(x))


def test_fused_mbconv_layouts() -> None:
    expand = FusedMBConv(24, 48, 3, 2, expanded=96)
    assert [m[0].weight.shape for m in expand.block] == [(96, 24, 3, 3), (48, 96, 1, 1)]
    plain = FusedMBConv(24, 24, 3, 1, expanded=24).eval()
    assert len(plain.block) == 1 and plain.use_res_connect
    x = torch.rand(1, 24, 8, 8)
    with torch.no_grad():
        assert torch.allclose(plain(x), plain.block(x) + x)
        assert expand(x).shape == (1, 48, 4, 4)
