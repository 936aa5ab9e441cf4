"""SimOTAAssigner on hand-built grids: centre prior, dynamic k, conflicts, padding, zero gts."""

from __future__ import annotations

import pytest
import torch

from studio.models.assigners.simota import SimOTAAssigner
from studio.models.ops.anchors import make_anchors
from studio.models.ops.boxes import points_in_boxes

NC = 3


def level(size: int = 64, stride: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    return make_anchors([torch.zeros(1, 1, size // stride, size // stride)], (stride,))


def one_gt(box: list[float], label: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return (torch.tensor([[[label]]]), torch.tensor([[box]], dtype=torch.float32),
            torch.ones(1, 1, 1, dtype=torch.bool))


def ids(points: torch.Tensor, xs: list[float], ys: list[float]) -> list[int]:
    return sorted(i for i, (x, y) in enumerate(points.tolist()) if x in xs and y in ys)


def test_dynamic_k_takes_the_cheapest_candidates() -> None:
    points, strides = level()
    lab, box, mask = one_gt([16, 16, 40, 40], 1)
    a = points.shape[0]
    inside = ids(points, [20, 28, 36], [20, 28, 36])  # in the box and within 2.5 strides of the centre
    pd_bboxes = torch.tensor([[0.0, 0.0, 2.0, 2.0]]).expand(1, a, 4).clone()  # IoU 0 elsewhere
    pd_bboxes[0, inside] = box[0, 0]  # IoU 1 on the nine inside: dynamic k = int(9 * 1 + 0) = 9
    pd_scores = torch.full((1, a, NC), 0.5)
    out = SimOTAAssigner(NC)(pd_scores, pd_bboxes, points, lab, box, mask, anc_strides=strides)
    assert out.fg_mask[0].nonzero()[:, 0].tolist() == inside
    assert (out.target_labels[0, inside] == 1).all() and (out.target_labels[0, ~out.fg_mask[0]] == NC).all()
    torch.testing.assert_close(out.target_scores[0, inside, 1], torch.ones(9), atol=1e-5, rtol=0)
    assert out.target_scores[0, :, [0, 2]].sum() == 0
    # half-good predictions: IoU 0.5 on the nine -> k = int(9 * 0.5) = 4, target scores 0.5
    pd_bboxes[0, inside] = torch.tensor([16.0, 16.0, 40.0, 28.0])
    pd_scores[0, inside[:4], 1] = 0.9  # the class cost breaks the tie
    out = SimOTAAssigner(NC)(pd_scores, pd_bboxes, points, lab, box, mask, anc_strides=strides)
    assert out.fg_mask[0].nonzero()[:, 0].tolist() == inside[:4]
    torch.testing.assert_close(out.target_scores[0, inside[:4], 1], torch.full((4,), 0.5), atol=1e-5, rtol=0)


def test_centre_prior_reaches_beyond_a_tiny_box() -> None:
    points, strides = level()
    lab, box, mask = one_gt([29, 29, 31, 31], 0)  # contains no anchor point
    a = points.shape[0]
    pd_bboxes = box[:, :1].expand(1, a, 4).clone()  # every prediction perfect: k = 10
    out = SimOTAAssigner(NC, center_radius=1.0)(torch.full((1, a, NC), 0.5), pd_bboxes, points, lab, box,
                                                 mask, anc_strides=strides)
    near = ids(points, [28, 36], [28, 36])  # |p - 30| < 8
    assert out.fg_mask[0].nonzero()[:, 0].tolist() == near


def test_conflict_goes_to_the_cheaper_gt() -> None:
    points, strides = level()
    lab = torch.tensor([[[0], [2]]])
    box = torch.tensor([[[16.0, 16.0, 40.0, 40.0], [24.0, 24.0, 48.0, 48.0]]])
    mask = torch.ones(1, 2, 1, dtype=torch.bool)
    a = points.shape[0]
    pd_bboxes = box[:, :1].expand(1, a, 4).clone()
    shared = ids(points, [28], [28])[0]  # inside both, near both centres
    pd_bboxes[0, shared] = box[0, 1]
    out = SimOTAAssigner(NC)(torch.full((1, a, NC), 0.5), pd_bboxes, points, lab, box, mask,
                             anc_strides=strides)
    assert out.fg_mask[0, shared] and out.target_labels[0, shared].item() == 2


def test_random_positives_stay_in_their_prior_and_padding_is_ignored() -> None:
    gen = torch.Generator().manual_seed(0)
    points, strides = make_anchors([torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 4, 4)], (8, 16))
    a, radius = points.shape[0], 2.5 * strides
    for _ in range(10):
        xy = torch.rand(2, 4, 2, generator=gen) * 40
        box = torch.cat((xy, xy + 2 + torch.rand(2, 4, 2, generator=gen) * 20), -1)
        lab = torch.randint(0, NC, (2, 4, 1), generator=gen)
        mask = torch.tensor([[True, True, True, True], [True, False, True, False]])[..., None]
        pd_scores = torch.rand(2, a, NC, generator=gen)
        pd_bboxes = torch.cat((points - 10, points + 10), -1).expand(2, a, 4)
        pd_bboxes = pd_bboxes + torch.rand(2, a, 4, generator=gen)
        out = SimOTAAssigner(NC)(pd_scores, pd_bboxes, points, lab, box, mask, anc_strides=strides)
        tb = out.target_bboxes
        in_box = points_in_boxes(points, tb).diagonal(dim1=1, dim2=2)
        in_ctr = ((points - (tb[..., :2] + tb[..., 2:]) / 2).abs() < radius).all(-1)
        assert (in_box | in_ctr)[out.fg_mask].all()
        assert (out.fg_mask.sum(1) > 0).all()
        keep = [0, 2]
        ref = SimOTAAssigner(NC)(pd_scores[1:], pd_bboxes[1:], points, lab[1:, keep], box[1:, keep],
                                 mask[1:, keep], anc_strides=strides)
        assert torch.equal(out.fg_mask[1:], ref.fg_mask)
        torch.testing.assert_close(out.target_scores[1:], ref.target_scores)


def test_zero_gts_and_missing_strides() -> None:
    points, strides = level()
    a = points.shape[0]
    empty = (torch.zeros(2, 0, 1, dtype=torch.int64), torch.zeros(2, 0, 4), torch.zeros(2, 0, 1).bool())
    out = SimOTAAssigner(NC)(torch.rand(2, a, NC), torch.rand(2, a, 4), points, *empty, anc_strides=strides)
    assert not out.fg_mask.any() and (out.target_labels == NC).all() and out.target_scores.shape == (2, a, NC)
    with pytest.raises(ValueError, match="anc_strides"):
        SimOTAAssigner(NC)(torch.rand(2, a, NC), torch.rand(2, a, 4), points, *empty)
