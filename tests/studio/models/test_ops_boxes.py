"""IoU family vs a brute-force Python reference, known values, format conversions, points in boxes."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.models.ops.boxes import (
    bbox_iou,
    box_area,
    box_iou,
    cxcywh_to_xyxy,
    points_in_boxes,
    xyxy_to_cxcywh,
)


def ref_iou(a: list[float], b: list[float], kind: str) -> float:
    """The textbook definitions, one pair at a time in Python floats (no eps)."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    wa, ha, wb, hb = a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1]
    union = wa * ha + wb * hb - inter
    iou = inter / union
    cw = max(a[2], b[2]) - min(a[0], b[0])
    ch = max(a[3], b[3]) - min(a[1], b[1])
    if kind == "iou":
        return iou
    if kind == "giou":
        return iou - (cw * ch - union) / (cw * ch)
    rho2 = ((a[0] + a[2]) / 2 - (b[0] + b[2]) / 2) ** 2 + ((a[1] + a[3]) / 2 - (b[1] + b[3]) / 2) ** 2
    v = 4 / math.pi**2 * (math.atan(wb / hb) - math.atan(wa / ha)) ** 2
    alpha = v / ((1 - iou) + v) if v > 0 else 0.0
    return iou - rho2 / (cw**2 + ch**2) - alpha * v


def random_boxes(n: int, gen: torch.Generator) -> torch.Tensor:
    xy = torch.rand(n, 2, generator=gen, dtype=torch.float64) * 50
    wh = torch.rand(n, 2, generator=gen, dtype=torch.float64) * 30 + 1
    return torch.cat((xy, xy + wh), 1)


@pytest.mark.parametrize("kind", ["iou", "giou", "ciou"])
def test_bbox_iou_matches_reference(kind: str) -> None:
    gen = torch.Generator().manual_seed(1)
    a, b = random_boxes(300, gen), random_boxes(300, gen)
    b[:50] = a[:50] + torch.rand(50, 4, generator=gen, dtype=torch.float64)  # heavy overlap too
    got = bbox_iou(a, b, kind=kind)
    want = torch.tensor([ref_iou(x, y, kind) for x, y in zip(a.tolist(), b.tolist(), strict=True)],
                        dtype=torch.float64)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=0)


def test_box_iou_pairwise_matches_reference() -> None:
    gen = torch.Generator().manual_seed(2)
    a, b = random_boxes(17, gen), random_boxes(23, gen)
    got = box_iou(a, b)
    want = torch.tensor([[ref_iou(x, y, "iou") for y in b.tolist()] for x in a.tolist()], dtype=torch.float64)
    assert got.shape == (17, 23)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=0)


def test_known_values() -> None:
    a = torch.tensor([0.0, 0.0, 2.0, 2.0])
    b = torch.tensor([1.0, 1.0, 3.0, 3.0])
    far = torch.tensor([10.0, 10.0, 12.0, 12.0])
    assert bbox_iou(a, b).item() == pytest.approx(1 / 7, abs=1e-6)
    for kind in ("iou", "giou", "ciou"):
        assert bbox_iou(a, a, kind=kind).item() == pytest.approx(1.0, abs=1e-5)
    assert bbox_iou(a, far).item() == 0.0
    assert bbox_iou(a, far, kind="giou").item() < 0
    assert bbox_iou(a, far, kind="ciou").item() < 0
    # GIoU of disjoint unit-separated squares: 0 - (enclosing 144 - union 8) / 144
    assert bbox_iou(a, far, kind="giou").item() == pytest.approx(-136 / 144, abs=1e-6)
    assert box_iou(a[None], b[None]).item() == pytest.approx(1 / 7, abs=1e-6)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="giou"):
        bbox_iou(torch.zeros(4), torch.zeros(4), kind="diou")


def test_broadcasting_and_gradients() -> None:
    gen = torch.Generator().manual_seed(3)
    a, b = random_boxes(5, gen).float(), random_boxes(7, gen).float()
    out = bbox_iou(a[:, None], b[None], kind="iou")
    assert out.shape == (5, 7)
    torch.testing.assert_close(out, box_iou(a, b), atol=1e-5, rtol=0)
    pred = a.clone().requires_grad_(True)
    bbox_iou(pred, b[:5], kind="ciou").sum().backward()
    assert torch.isfinite(pred.grad).all()


def test_format_round_trip_and_known_values() -> None:
    box = torch.tensor([[10.0, 20.0, 30.0, 60.0]])
    torch.testing.assert_close(xyxy_to_cxcywh(box), torch.tensor([[20.0, 40.0, 20.0, 40.0]]))
    gen = torch.Generator().manual_seed(4)
    boxes = random_boxes(50, gen)
    torch.testing.assert_close(cxcywh_to_xyxy(xyxy_to_cxcywh(boxes)), boxes)
    assert box_area(box).item() == 800.0
    assert box_area(torch.tensor([5.0, 5.0, 1.0, 1.0])).item() == 0.0


def test_points_in_boxes() -> None:
    points = torch.tensor([[5.0, 5.0], [0.0, 5.0], [11.0, 5.0], [9.9, 0.1]])
    boxes = torch.tensor([[[0.0, 0.0, 10.0, 10.0]], [[4.0, 4.0, 6.0, 6.0]]])  # (B=2, M=1, 4)
    got = points_in_boxes(points, boxes)
    assert got.shape == (2, 1, 4)
    assert got[0, 0].tolist() == [True, False, False, True]  # on the edge is outside
    assert got[1, 0].tolist() == [True, False, False, False]


coord = st.floats(0, 100, allow_nan=False)
size = st.floats(0.5, 50, allow_nan=False)


@settings(max_examples=60)
@given(coord, coord, size, size, coord, coord, size, size)
def test_iou_properties(x1: float, y1: float, w1: float, h1: float,
                        x2: float, y2: float, w2: float, h2: float) -> None:
    a = torch.tensor([x1, y1, x1 + w1, y1 + h1], dtype=torch.float64)
    b = torch.tensor([x2, y2, x2 + w2, y2 + h2], dtype=torch.float64)
    iou = bbox_iou(a, b).item()
    assert 0.0 <= iou <= 1.0
    assert iou == pytest.approx(bbox_iou(b, a).item(), abs=1e-9)
    assert bbox_iou(a, b, kind="giou").item() <= iou + 1e-6  # up to the eps guards
    assert bbox_iou(a, b, kind="ciou").item() <= iou + 1e-6
    assert bbox_iou(a, b, kind="giou").item() > -1.0
