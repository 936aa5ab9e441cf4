"""The one-stage detector: build from a ModelConfig, output layout, fuse, size, head init, ONNX export."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from studio.errors import ConfigError
from studio.models.config import ModelConfig
from studio.models.registry import NECKS, SCALED_BACKBONES, SCALES, build_detector
from studio.models.rep import RepConv

COMBOS = [(b, n) for b in sorted(SCALED_BACKBONES) for n in sorted(NECKS)]  # the zoo: test_zoo_slow.py
# fused parameter counts (millions) of the n scale at nc=80 (bench/bench_model.py prints them all)
N_PARAMS_M = {"pan": (2.0, 3.5), "fpn": (1.2, 2.5), "bifpn": (1.1, 2.5)}


def randomize_bn(model: nn.Module, seed: int = 0) -> nn.Module:
    """Random affine parameters and running statistics in every BatchNorm, then eval mode."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(n, generator=gen) * 0.2)
                m.running_mean.copy_(torch.randn(n, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
    return model.eval()


def params_m(model: nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


@pytest.mark.parametrize(("backbone", "neck"), COMBOS)
def test_outputs_follow_the_layout_and_fuse_keeps_them(backbone, neck):
    torch.manual_seed(0)
    model = randomize_bn(build_detector(ModelConfig(backbone=backbone, neck=neck, nc=3)))
    assert (model.nc, model.reg_max, model.strides) == (3, 16, (8, 16, 32))
    x = torch.rand(2, 3, 64, 96)
    with torch.no_grad():
        before = model(x)
        assert [o.shape for o in before] == [(2, 4 * 16 + 3, 64 // s, 96 // s) for s in (8, 16, 32)]
        after = model.fuse()(x)
        for a, b in zip(after, before, strict=True):
            torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    low, high = N_PARAMS_M[neck]
    assert low < params_m(build_detector(ModelConfig(backbone=backbone, neck=neck))) < high


@pytest.mark.parametrize("nc", [1, 80])
def test_class_channels_follow_nc(nc):
    model = build_detector(ModelConfig(backbone="elan", neck="fpn", nc=nc)).eval()
    with torch.no_grad():
        out = model(torch.rand(2, 3, 64, 96))
    assert [o.shape for o in out] == [(2, 64 + nc, 64 // s, 96 // s) for s in (8, 16, 32)]


def test_fuse_is_idempotent_and_leaves_no_repvgg_branches():
    model = randomize_bn(build_detector(ModelConfig(backbone="repvgg", neck="pan", nc=2)))
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        once = model.fuse()(x)
        state = {k: v.clone() for k, v in model.state_dict().items()}
        twice = model.fuse()(x)
    for a, b in zip(once, twice, strict=True):
        assert torch.equal(a, b)
    assert state.keys() == model.state_dict().keys()
    reps = [m for m in model.modules() if isinstance(m, RepConv)]
    assert reps and all(m.rbr_1x1 is None and m.rbr_identity is None and m.rbr_dense is None for m in reps)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert all(m.kernel_size == (3, 3) for r in reps for m in r.modules() if isinstance(m, nn.Conv2d))
    assert all(m.bias is not None for m in convs)


@pytest.mark.parametrize(("scale", "backbone", "neck"), [("s", "repvgg", "bifpn"), ("m", "elan", "pan")])
def test_larger_scales_build_and_run(scale, backbone, neck):
    model = build_detector(ModelConfig(scale=scale, backbone=backbone, neck=neck, nc=5)).eval()
    with torch.no_grad():
        out = model(torch.rand(1, 3, 64, 64))
    assert [o.shape[1:] for o in out] == [(69, 64 // s, 64 // s) for s in (8, 16, 32)]
    assert params_m(model) > 2.5 * params_m(build_detector(ModelConfig(backbone=backbone, neck=neck, nc=5)))


def test_every_parameter_gets_a_gradient():
    model = build_detector(ModelConfig(backbone="elan", neck="bifpn", nc=2)).train()
    sum(o.sum() for o in model(torch.rand(2, 3, 64, 64))).backward()
    assert [n for n, p in model.named_parameters() if p.grad is None] == []


def test_head_biases_start_as_yolov8():
    model = build_detector(ModelConfig(nc=80))
    for box, cls, s in zip(model.head.box, model.head.cls, model.strides, strict=True):
        assert torch.all(box[-1].bias == 1.0)
        torch.testing.assert_close(cls[-1].bias, torch.full((80,), math.log(5 / 80 / (640 / s) ** 2)))


def test_model_config_round_trips_and_rejects_bad_names():
    cfg = ModelConfig(scale="s", backbone="repvgg", neck="bifpn", nc=7, reg_max=12)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    assert ModelConfig.from_dict({"nc": 3}) == ModelConfig(nc=3)
    with pytest.raises(ConfigError, match="choose one of elan, repvgg"):
        ModelConfig(backbone="resnet")
    with pytest.raises(ConfigError, match="choose one of pan, fpn, bifpn"):
        ModelConfig(neck="fpnn")
    with pytest.raises(ConfigError, match="choose one of n, s, m"):
        ModelConfig(scale="x")
    with pytest.raises(ConfigError, match="unknown model config keys: width"):
        ModelConfig.from_dict({"width": 1.0})
    with pytest.raises(ConfigError, match="nc"):
        ModelConfig(nc=0)
    assert list(SCALES) == ["n", "s", "m"]


def test_fused_detector_exports_to_onnx_with_the_same_outputs(tmp_path):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    model = randomize_bn(build_detector(ModelConfig(backbone="elan", neck="pan", nc=4))).fuse()
    x = torch.rand(1, 3, 64, 64)
    path = tmp_path / "model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.onnx's deprecation notes on the legacy exporter
        torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=17, input_names=["images"],
                          output_names=["p3", "p4", "p5"])
    onnx.checker.check_model(str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"images": x.numpy()})
    with torch.no_grad():
        want = model(x)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w.numpy(), atol=1e-4, rtol=1e-4)
