"""ONNX export of the denoisers: parity with torch at several sizes and batch 2 (one file, dynamic axes),
metadata, OnnxDenoiser's checks, and tiled onnxruntime inference equal to tiled torch."""

from __future__ import annotations

import json
import warnings

import numpy as np
import onnx
import pytest
import torch

from studio.errors import CheckpointError, ExportError
from studio.export.onnx import read_metadata
from studio.export.onnx_denoise import OnnxDenoiser, check_denoiser_parity, export_denoiser
from studio.inference.tiles import tiled_apply
from studio.models.denoise.nafnet import NAFBlock
from studio.models.denoise.presets import PRESETS, DenoiserConfig, build_denoiser

CPU = ["CPUExecutionProvider"]


def model_for(preset: str) -> torch.nn.Module:
    """The preset with random NAFBlock beta / gamma (new blocks are identities), in training mode."""
    torch.manual_seed(0)
    model = build_denoiser(PRESETS[preset])
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, NAFBlock):
                m.beta.normal_(0, 0.5)
                m.gamma.normal_(0, 0.5)
    return model


@pytest.fixture(scope="module", params=["small", "unet"])
def exported(request, tmp_path_factory):
    model = model_for(request.param)
    path = tmp_path_factory.mktemp("onnx") / f"{request.param}.onnx"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_denoiser(model, path, metadata={"preset": request.param,
                                               "config": PRESETS[request.param].to_dict()})
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning | UserWarning)]
    return request.param, model, path


def test_parity_at_two_sizes_and_batch_two(exported):
    _, model, path = exported
    assert check_denoiser_parity(model, path) < 1e-4
    assert check_denoiser_parity(model, path, sizes=((1, 37, 53), (3, 1, 18))) < 1e-4  # padded inside
    assert model.training  # the caller's model is left as it was


def test_graph_names_axes_and_metadata(exported):
    preset, _, path = exported
    proto = onnx.load(str(path))
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert (inp.name, out.name) == ("packed", "denoised")
    for value in (inp, out):
        dims = value.type.tensor_type.shape.dim
        assert [d.dim_param for d in dims] == ["batch", "", "height", "width"] and dims[1].dim_value == 4
    meta = read_metadata(path)
    assert (meta["task"], meta["preset"], meta["half"]) == ("denoise", preset, "false")
    assert (meta["in_channels"], meta["multiple"]) == ("4", "16")
    assert DenoiserConfig.from_dict(json.loads(meta["config"])) == PRESETS[preset]


def test_tiled_onnx_equals_tiled_torch(exported):
    _, model, path = exported
    denoiser = OnnxDenoiser(path, threads=2, providers=CPU)
    x = torch.rand(1, 4, 80, 100, generator=torch.Generator().manual_seed(1))
    model = model.eval()
    ours = tiled_apply(denoiser, x.numpy(), tile=48, overlap=16)
    theirs = tiled_apply(model, x, tile=48, overlap=16).numpy()
    model.train()
    assert ours.shape == (1, 4, 80, 100) and ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 1e-4


def test_onnx_denoiser_refuses_wrong_input(exported):
    _, _, path = exported
    with pytest.raises(ValueError, match=r"\(B, 4, H, W\)"):
        OnnxDenoiser(path, providers=CPU)(np.zeros((1, 3, 8, 8), np.float32))


def test_onnx_denoiser_refuses_other_files(exported, tmp_path):
    _, _, path = exported
    proto = onnx.load(str(path))
    for entry in proto.metadata_props:
        if entry.key == "task":
            entry.value = "detect"
    other = tmp_path / "detector.onnx"
    onnx.save(proto, str(other))
    with pytest.raises(CheckpointError, match="not a Tern denoiser export"):
        OnnxDenoiser(other, providers=CPU)
    with pytest.raises(CheckpointError, match="no such ONNX file"):
        OnnxDenoiser(tmp_path / "missing.onnx", providers=CPU)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only refusal")
def test_half_needs_cuda(tmp_path):
    with pytest.raises(ExportError, match="CUDA"):
        export_denoiser(build_denoiser(PRESETS["small"]), tmp_path / "half.onnx", half=True)
