"""Decoding raw outputs into boxes, the confidence/NMS postprocess, and ONNX export of the decode."""

from __future__ import annotations

import onnxruntime as ort
import pytest
import torch

from studio.models.postprocess import Postprocess, decode_outputs, flatten_outputs

REG_MAX, NC, STRIDES = 16, 3, (8, 16, 32)


def raw_outputs(batch: int, size: int, seed: int = 0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 4 * REG_MAX + NC, size // s, size // s, generator=gen) for s in STRIDES]


def test_flatten_outputs_shape_and_order() -> None:
    outs = raw_outputs(2, 64)
    flat = flatten_outputs(outs)
    assert flat.shape == (2, 64 + 16 + 4, 4 * REG_MAX + NC)
    torch.testing.assert_close(flat[1, 8 + 3], outs[0][1, :, 1, 3])  # level 0, row 1, column 3
    torch.testing.assert_close(flat[0, 64 + 5], outs[1][0, :, 1, 1])  # level 1 (4x4), row 1, column 1


def test_decode_outputs_known_box() -> None:
    outs = [torch.full((1, 4 * REG_MAX + NC, 64 // s, 64 // s), -50.0) for s in STRIDES]
    # level 1 (stride 16), cell (y=2, x=1): anchor point (24, 40); distances ltrb (1, 2, 3, 0) strides
    box = outs[1][0, : 4 * REG_MAX, 2, 1].view(4, REG_MAX)
    for side, k in enumerate((1, 2, 3, 0)):
        box[side, k] = 50.0
    outs[1][0, 4 * REG_MAX + 2, 2, 1] = 0.0  # class 2 logit 0 -> score 0.5
    decoded = decode_outputs(outs, STRIDES, REG_MAX)
    assert decoded.shape == (1, 84, 4 + NC)
    row = decoded[0, 64 + 2 * 4 + 1]
    torch.testing.assert_close(row[:4], torch.tensor([24.0 - 16, 40.0 - 32, 24.0 + 48, 40.0]))
    torch.testing.assert_close(row[4:], torch.tensor([0.0, 0.0, 0.5]), atol=1e-6, rtol=0)


def dets(rows: list[list[float]], nc: int = NC) -> torch.Tensor:
    """(A, 4 + nc) decoded rows from [x1, y1, x2, y2, score, class]."""
    out = torch.zeros(len(rows), 4 + nc)
    for i, (x1, y1, x2, y2, score, cls) in enumerate(rows):
        out[i, :4] = torch.tensor([x1, y1, x2, y2])
        out[i, 4 + int(cls)] = score
    return out


def test_postprocess_nms_per_class_and_agnostic() -> None:
    decoded = dets([[0, 0, 10, 10, 0.9, 0], [1, 0, 11, 10, 0.8, 0], [0, 1, 10, 11, 0.7, 1],
                    [50, 50, 60, 60, 0.1, 2]])[None]
    out = Postprocess(conf=0.25, iou=0.5)(decoded)
    assert len(out) == 1 and out[0].shape == (2, 6)
    torch.testing.assert_close(out[0][:, 4:], torch.tensor([[0.9, 0.0], [0.7, 1.0]]))
    agnostic = Postprocess(conf=0.25, iou=0.5, agnostic=True)(decoded)[0]
    assert agnostic.shape == (1, 6) and agnostic[0, 5].item() == 0
    low = Postprocess(conf=0.05, iou=0.5, max_det=2)(decoded)[0]
    assert low[:, 4].tolist() == pytest.approx([0.9, 0.7])


def test_postprocess_multi_label_and_max_nms() -> None:
    decoded = torch.zeros(1, 3, 4 + NC)
    decoded[0, :, :4] = torch.tensor([[0.0, 0, 10, 10], [100, 100, 110, 110], [200, 200, 210, 210]])
    decoded[0, 0, 4:] = torch.tensor([0.6, 0.5, 0.0001])
    decoded[0, 1, 4:] = torch.tensor([0.3, 0.0, 0.0])
    decoded[0, 2, 4:] = torch.tensor([0.0, 0.0, 0.4])
    multi = Postprocess(conf=0.001, multi_label=True)(decoded)[0]
    assert sorted(multi[:, 4].tolist()) == pytest.approx([0.3, 0.4, 0.5, 0.6])
    assert {tuple(r) for r in multi[:, [0, 5]].tolist()} == {(0, 0), (0, 1), (100, 0), (200, 2)}
    single = Postprocess(conf=0.001)(decoded)[0]
    assert single[:, 5].tolist() == [0, 2, 0]
    capped = Postprocess(conf=0.001, max_nms=2)(decoded)[0]
    assert capped[:, 4].tolist() == pytest.approx([0.6, 0.4])


def test_postprocess_empty_and_batch() -> None:
    out = Postprocess()(torch.zeros(3, 10, 4 + NC))
    assert [o.shape for o in out] == [(0, 6)] * 3


class DecodeWrapper(torch.nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return decode_outputs([a, b, c], STRIDES, REG_MAX)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's own note on the legacy exporter
def test_decode_outputs_exports_to_onnx_with_dynamic_shapes(tmp_path) -> None:
    path = tmp_path / "decode.onnx"
    names = ["p8", "p16", "p32"]
    axes = {n: {0: "batch", 2: f"h{n}", 3: f"w{n}"} for n in names} | {"decoded": {0: "batch", 1: "anchors"}}
    torch.onnx.export(DecodeWrapper(), tuple(raw_outputs(1, 64)), str(path), dynamo=False, opset_version=17,
                      input_names=names, output_names=["decoded"], dynamic_axes=axes)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    outs = raw_outputs(2, 96, seed=1)  # other batch and size than traced
    got = session.run(None, {n: o.numpy() for n, o in zip(names, outs, strict=True)})[0]
    torch.testing.assert_close(torch.from_numpy(got), decode_outputs(outs, STRIDES, REG_MAX), atol=1e-4,
                               rtol=1e-5)
