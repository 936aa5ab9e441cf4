"""The denoisers: NAFNet's parts and structure, the UNet baseline, presets and the registry, any input size,
what a new NAFNet computes, and that a few steps of training lower the error."""

from __future__ import annotations

import json

import pytest
import torch
from torch.nn import functional as F

from studio.errors import ConfigError
from studio.models.denoise.layers import LayerNorm2d, SimpleGate, SimplifiedChannelAttention, pad_to_multiple
from studio.models.denoise.nafnet import NAFBlock, NAFNet
from studio.models.denoise.presets import DENOISERS, PRESETS, DenoiserConfig, build_denoiser
from studio.models.denoise.unet import UNet

TINY = {"nafnet": DenoiserConfig(width=8, enc_blocks=(1, 1), middle_blocks=1, dec_blocks=(1, 1)),
        "unet": DenoiserConfig(arch="unet", width=8, enc_blocks=(1, 1), middle_blocks=1, dec_blocks=(1, 1))}


def nafnet_params(in_ch: int, width: int, enc: tuple[int, ...], middle: int, dec: tuple[int, ...]) -> int:
    """NAFNet's parameter count by hand, layer by layer as NAFNet_arch.py builds it. A NAFBlock of c channels:
    2 LayerNorms 4c; conv1 c->2c 2c^2+2c; depthwise 3x3 on 2c 18c+2c; SCA 1x1 c->c c^2+c; conv3 c->c c^2+c;
    conv4 c->2c 2c^2+2c; conv5 c->c c^2+c; beta, gamma 2c: 7c^2 + 33c in all."""
    def block(c: int) -> int:
        return 7 * c * c + 33 * c

    total = (9 * in_ch * width + width) + (9 * width * in_ch + in_ch)   # intro, ending (3x3 convs)
    for level, (n_enc, n_dec) in enumerate(zip(enc, dec, strict=True)):
        c = width * 2 ** level
        total += n_enc * block(c) + (4 * c * 2 * c + 2 * c)  # encoder blocks, 2x2 stride-2 conv c -> 2c
        total += 2 * c * 2 * (2 * c) + n_dec * block(c)      # 1x1 conv 2c -> 4c (no bias), decoder blocks
    return total + middle * block(width * 2 ** len(enc))


def liven(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random beta / gamma, so NAFBlocks are not the identity they are when new."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, NAFBlock):
                m.beta.copy_(torch.randn(m.beta.shape, generator=gen) * 0.5)
                m.gamma.copy_(torch.randn(m.gamma.shape, generator=gen) * 0.5)
    return model


def test_layernorm2d_equals_layer_norm_over_channels():
    torch.manual_seed(0)
    ln = LayerNorm2d(6)
    with torch.no_grad():
        ln.weight.normal_()
        ln.bias.normal_()
    x = torch.randn(2, 6, 5, 7) * 3 + 1
    ours = ln(x)
    ref = F.layer_norm(x.permute(0, 2, 3, 1), (6,), ln.weight, ln.bias, eps=1e-6).permute(0, 3, 1, 2)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
    x.requires_grad_(True)
    (g_ours,) = torch.autograd.grad((ln(x) ** 2).sum(), x)
    ref = F.layer_norm(x.permute(0, 2, 3, 1), (6,), ln.weight, ln.bias, eps=1e-6).permute(0, 3, 1, 2)
    (g_ref,) = torch.autograd.grad((ref ** 2).sum(), x)
    torch.testing.assert_close(g_ours, g_ref, atol=1e-4, rtol=1e-4)


def test_simple_gate_and_channel_attention():
    x = torch.arange(2 * 4 * 3 * 3, dtype=torch.float32).reshape(2, 4, 3, 3)
    torch.testing.assert_close(SimpleGate()(x), x[:, :2] * x[:, 2:])
    sca = SimplifiedChannelAttention(4)
    expected = x * F.conv2d(x.mean((2, 3), keepdim=True), sca[1].weight, sca[1].bias)
    torch.testing.assert_close(sca(x), expected)
    assert [name for name, _ in sca.named_parameters()] == ["1.weight", "1.bias"]  # NAFNet's sca names


def test_pad_to_multiple_replicates_edges():
    x = torch.arange(15, dtype=torch.float32).reshape(1, 1, 3, 5)
    y = pad_to_multiple(x, 4)
    assert y.shape == (1, 1, 4, 8)
    torch.testing.assert_close(y[..., :3, :5], x)
    torch.testing.assert_close(y[..., 3, :5], x[..., 2, :])    # bottom row repeated
    torch.testing.assert_close(y[..., :3, 7], x[..., :, 4])    # right column repeated
    assert pad_to_multiple(y, 4) is y


def test_new_nafblock_is_identity():
    torch.manual_seed(0)
    x = torch.randn(2, 8, 9, 11)
    block = NAFBlock(8)
    assert not block.beta.any() and not block.gamma.any()
    assert torch.equal(block(x), x)


def test_new_nafnet_is_input_plus_a_linear_path():
    """Every new NAFBlock is the identity, so a new NAFNet computes x + ending(UNet of convs only): intro,
    the stride-2 downs, the 1x1 + PixelShuffle ups with the skips added, ending. With ending zeroed it
    returns its input exactly."""
    torch.manual_seed(0)
    model = NAFNet(4, 8, (1, 2), 1, (1, 1)).eval()
    x = torch.rand(2, 4, 16, 24)
    feats = model.intro(x)
    skips = []
    for down in model.downs:
        skips.append(feats)
        feats = down(feats)
    for up, skip in zip(model.ups, skips[::-1], strict=True):
        feats = up(feats) + skip
    with torch.no_grad():
        torch.testing.assert_close(model(x), x + model.ending(feats), atol=1e-5, rtol=1e-5)
        model.ending.weight.zero_()
        model.ending.bias.zero_()
        assert torch.equal(model(x), x)
        assert torch.equal(model(x[..., :13, :21]), x[..., :13, :21])  # padded, then cropped back


def test_new_unet_with_zero_ending_is_identity():
    model = build_denoiser(TINY["unet"]).eval()
    with torch.no_grad():
        model.ending.weight.zero_()
        model.ending.bias.zero_()
        x = torch.rand(1, 4, 19, 10)
        assert torch.equal(model(x), x)


@pytest.mark.parametrize("preset", ["small", "unet"])
@pytest.mark.parametrize("shape", [(1, 4, 1, 1), (2, 4, 17, 33), (1, 4, 50, 38), (1, 4, 32, 48)])
def test_any_size_keeps_shape(preset, shape):
    model = liven(build_denoiser(PRESETS[preset])).eval()
    with torch.no_grad():
        y = model(torch.rand(shape))
    assert y.shape == shape and torch.isfinite(y).all()


def test_width32_parameter_count():
    """NAFNet-width32 (the SIDD model): 29,159,715 parameters on 3-channel images by the layer-by-layer
    count, 29,160,292 on the 4 packed channels here (intro and ending see one more channel)."""
    cfg = PRESETS["width32"]
    assert (cfg.width, cfg.enc_blocks, cfg.middle_blocks, cfg.dec_blocks) == (32, (2, 2, 4, 8), 12,
                                                                             (2, 2, 2, 2))
    rgb = NAFNet(3, 32, (2, 2, 4, 8), 12, (2, 2, 2, 2))
    assert sum(p.numel() for p in rgb.parameters()) == nafnet_params(3, 32, (2, 2, 4, 8), 12, (2, 2, 2, 2))
    assert nafnet_params(3, 32, (2, 2, 4, 8), 12, (2, 2, 2, 2)) == 29_159_715
    packed = build_denoiser(cfg)
    assert sum(p.numel() for p in packed.parameters()) == nafnet_params(4, 32, (2, 2, 4, 8), 12, (2, 2, 2, 2))


def test_small_parameter_count_matches_formula():
    cfg = PRESETS["small"]
    model = build_denoiser(cfg)
    assert sum(p.numel() for p in model.parameters()) == nafnet_params(
        4, cfg.width, cfg.enc_blocks, cfg.middle_blocks, cfg.dec_blocks)


def test_nafnet_state_dict_names_follow_the_reference():
    names = set(NAFNet(3, 8, (1, 2), 1, (1, 1)).state_dict())
    for key in ("intro.weight", "ending.bias", "encoders.1.1.conv2.weight", "encoders.0.0.sca.1.weight",
                "encoders.0.0.norm1.weight", "downs.1.weight", "middle_blks.0.beta", "ups.0.0.weight",
                "decoders.1.0.gamma", "decoders.1.0.conv5.bias"):
        assert key in names


def test_registry_presets_and_config_round_trip():
    assert dict(DENOISERS) == {"nafnet": NAFNet, "unet": UNet}
    assert set(PRESETS) >= {"small", "width32", "unet"}
    for cfg in PRESETS.values():
        data = json.loads(json.dumps(cfg.to_dict()))
        assert DenoiserConfig.from_dict(data) == cfg
    assert isinstance(build_denoiser(PRESETS["unet"]), UNet)
    assert PRESETS["small"].multiple == 16


@pytest.mark.parametrize("kwargs", [{"arch": "dncnn"}, {"width": 0}, {"middle_blocks": -1},
                                    {"enc_blocks": (1, 1), "dec_blocks": (1,)}])
def test_bad_configs_raise(kwargs):
    with pytest.raises(ConfigError):
        DenoiserConfig(**kwargs)


def test_unknown_config_key_and_empty_unet_level_raise():
    with pytest.raises(ConfigError, match="unknown denoiser config keys: depth"):
        DenoiserConfig.from_dict({"depth": 3})
    with pytest.raises(ConfigError, match="at least one unit"):
        build_denoiser(DenoiserConfig(arch="unet", enc_blocks=(1, 0), dec_blocks=(1, 1)))


@pytest.mark.parametrize("arch", ["nafnet", "unet"])
def test_few_steps_lower_l1_on_a_fixed_pair(arch):
    torch.manual_seed(0)
    clean = F.interpolate(torch.rand(2, 4, 6, 6), size=(32, 32), mode="bilinear", align_corners=False)
    noisy = clean + 0.1 * torch.randn(clean.shape)
    model = build_denoiser(TINY[arch])
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    losses = []
    for _ in range(40):
        loss = (model(noisy) - clean).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
