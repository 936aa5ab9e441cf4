"""RoIAlign against the direct per-box, per-sample reference (studio.models.ops.reference)."""

from __future__ import annotations

import math

import torch

from studio.models.ops.reference import direct_roi_align
from studio.models.ops.roi_align import multiscale_roi_align, roi_align, roi_levels


def _rois(n: int, b: int, extent: float, gen: torch.Generator) -> torch.Tensor:
    xy = torch.rand(n, 2, generator=gen, dtype=torch.float64) * extent * 1.2 - extent * 0.1
    wh = torch.rand(n, 2, generator=gen, dtype=torch.float64) * extent * 0.6
    idx = torch.randint(0, b, (n, 1), generator=gen).double()
    return torch.cat((idx, xy, xy + wh), 1)


def test_roi_align_matches_the_direct_reference_aligned_and_not():
    gen = torch.Generator().manual_seed(0)
    feat = torch.randn(2, 3, 9, 11, generator=gen, dtype=torch.float64)
    rois = _rois(12, 2, 44.0, gen)  # boxes partly outside the 44 x 36 px input too
    for aligned in (True, False):
        got = roi_align(feat, rois, 4, 0.25, 2, aligned)
        want = direct_roi_align(feat, rois, 4, 0.25, 2, aligned)
        assert torch.allclose(got, want, atol=1e-10)


def test_roi_align_of_a_constant_map_is_that_constant_and_has_gradients():
    feat = torch.full((1, 2, 8, 8), 3.0, requires_grad=True)
    rois = torch.tensor([[0.0, 4.0, 4.0, 20.0, 28.0]])
    out = roi_align(feat, rois, 7, 0.25)
    assert torch.allclose(out, torch.full_like(out, 3.0))
    out.sum().backward()
    assert math.isclose(float(feat.grad.sum()), 2 * 49, rel_tol=1e-5)  # each output is a convex mix


def test_levels_follow_the_fpn_rule():
    boxes = torch.tensor([[0, 0, 10, 10], [0, 0, 112, 112], [0, 0, 224, 224], [0, 0, 448, 448],
                          [0, 0, 2000, 2000], [0, 0, 223, 223]], dtype=torch.float32)
    # k = floor(4 + log2(sqrt(area) / 224)) clamped to 2..5, minus 2
    assert roi_levels(boxes, 2, 5).tolist() == [0, 1, 2, 3, 3, 1]


def test_multiscale_pools_each_box_from_its_level():
    gen = torch.Generator().manual_seed(1)
    feats = [torch.randn(1, 2, 64 // s, 64 // s, generator=gen) for s in (4, 8, 16, 32)]
    rois = torch.tensor([[0, 0, 0, 20, 20], [0, 0, 0, 60, 60], [0, 4, 4, 40, 50]], dtype=torch.float32)
    got = multiscale_roi_align(feats, (4, 8, 16, 32), rois, 7, 2)
    for k, level in enumerate(roi_levels(rois[:, 1:], 2, 5).tolist()):
        want = roi_align(feats[level], rois[k:k + 1], 7, 1.0 / (4 * 2**level))
        assert torch.allclose(got[k:k + 1], want)
