"""TaskAlignedAssigner on hand-built grids: which anchors are positive, soft targets, padding, zero gts."""

from __future__ import annotations

import torch

from studio.models.assigners.tal import TaskAlignedAssigner
from studio.models.ops.anchors import make_anchors
from studio.models.ops.boxes import points_in_boxes

NC = 3


def grid(size: int = 64, stride: int = 8) -> torch.Tensor:
    """(A, 2) anchor points of one level: centres 4, 12, ..., 60 for 64 px at stride 8."""
    points, _ = make_anchors([torch.zeros(1, 1, size // stride, size // stride)], (stride,))
    return points


def gts(boxes: list[list[list[float]]], labels: list[list[int]]) -> tuple[torch.Tensor, ...]:
    """Pad per-image lists into (B, M, 1) labels, (B, M, 4) boxes, (B, M, 1) mask."""
    m = max(len(b) for b in boxes)
    lab = torch.zeros(len(boxes), m, 1, dtype=torch.int64)
    box = torch.zeros(len(boxes), m, 4)
    mask = torch.zeros(len(boxes), m, 1, dtype=torch.bool)
    for i, (bs, ls) in enumerate(zip(boxes, labels, strict=True)):
        for j, (b, lb) in enumerate(zip(bs, ls, strict=True)):
            box[i, j], lab[i, j, 0], mask[i, j, 0] = torch.tensor(b), lb, True
    return lab, box, mask


def anchor_ids(points: torch.Tensor, xs: list[float], ys: list[float]) -> set[int]:
    return {i for i, (x, y) in enumerate(points.tolist()) if x in xs and y in ys}


def test_one_gt_positives_are_the_anchors_inside() -> None:
    points = grid()
    lab, box, mask = gts([[[16, 16, 40, 40]]], [[1]])
    pd_bboxes = box[:, :1].expand(1, points.shape[0], 4).clone()  # every prediction is the gt box
    pd_scores = torch.full((1, points.shape[0], NC), 0.5)
    out = TaskAlignedAssigner(NC)(pd_scores, pd_bboxes, points, lab, box, mask)
    inside = anchor_ids(points, [20, 28, 36], [20, 28, 36])  # 9 anchors, fewer than topk
    assert set(out.fg_mask[0].nonzero()[:, 0].tolist()) == inside
    assert (out.target_labels[0, sorted(inside)] == 1).all()
    assert (out.target_labels[0, ~out.fg_mask[0]] == NC).all()  # background index
    torch.testing.assert_close(out.target_bboxes[0, sorted(inside)], box[0, :1].expand(9, 4))
    # equal alignment everywhere: every positive's target = max IoU (1) at the label only
    torch.testing.assert_close(out.target_scores[0, sorted(inside), 1], torch.ones(9), atol=1e-4, rtol=0)
    assert out.target_scores[0, :, [0, 2]].abs().sum() == 0
    assert out.target_scores[0, ~out.fg_mask[0]].abs().sum() == 0


def test_topk_picks_the_best_aligned() -> None:
    points = grid()
    lab, box, mask = gts([[[16, 16, 40, 40]]], [[0]])
    pd_bboxes = box[:, :1].expand(1, points.shape[0], 4).clone()
    pd_scores = torch.full((1, points.shape[0], NC), 0.1)
    best = sorted(anchor_ids(points, [20, 36], [20, 36]))  # four corners of the inside block
    pd_scores[0, best, 0] = 0.9
    out = TaskAlignedAssigner(NC, topk=4)(pd_scores, pd_bboxes, points, lab, box, mask)
    assert out.fg_mask[0].nonzero()[:, 0].tolist() == best
    # a worse-scored positive gets a proportionally smaller target: (0.1 / 0.9) ** 0.5
    out9 = TaskAlignedAssigner(NC, topk=9)(pd_scores, pd_bboxes, points, lab, box, mask)
    scores = out9.target_scores[0, :, 0][out9.fg_mask[0]]
    torch.testing.assert_close(scores.max(), torch.tensor(1.0), atol=1e-4, rtol=0)
    torch.testing.assert_close(scores.min(), torch.tensor((0.1 / 0.9) ** 0.5), atol=1e-4, rtol=0)


def test_shared_anchor_goes_to_the_higher_iou_gt() -> None:
    points = grid()
    lab, box, mask = gts([[[8, 8, 40, 40], [24, 24, 56, 56]]], [[0, 2]])
    a = points.shape[0]
    shared = anchor_ids(points, [28, 36], [28, 36])
    pd_bboxes = box[:, :1].expand(1, a, 4).clone()  # predictions equal gt 0 ...
    pd_bboxes[0, sorted(shared)[0]] = box[0, 1]  # ... except one shared anchor, which predicts gt 1
    out = TaskAlignedAssigner(NC, topk=16)(torch.full((1, a, NC), 0.5), pd_bboxes, points, lab, box, mask)
    assert out.fg_mask[0, sorted(shared)].all()
    assert out.target_labels[0, sorted(shared)[0]].item() == 2
    assert (out.target_labels[0, sorted(shared)[1:]] == 0).all()


def test_random_positives_lie_inside_their_gt_and_padding_is_ignored() -> None:
    gen = torch.Generator().manual_seed(0)
    points, _ = make_anchors([torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 4, 4)], (8, 16))
    a = points.shape[0]
    for _ in range(10):
        xy = torch.rand(2, 4, 2, generator=gen) * 40
        box = torch.cat((xy, xy + 4 + torch.rand(2, 4, 2, generator=gen) * 20), -1)
        lab = torch.randint(0, NC, (2, 4, 1), generator=gen)
        mask = torch.tensor([[True, True, True, True], [True, False, True, False]])[..., None]
        pd_scores = torch.rand(2, a, NC, generator=gen)
        pd_bboxes = torch.cat((points - 10, points + 10), -1).expand(2, a, 4)
        pd_bboxes = pd_bboxes + torch.rand(2, a, 4, generator=gen)
        out = TaskAlignedAssigner(NC)(pd_scores, pd_bboxes, points, lab, box, mask)
        inside = points_in_boxes(points, out.target_bboxes)  # (B, A, A): anchor i in its own target box
        assert inside.diagonal(dim1=1, dim2=2)[out.fg_mask].all()
        # the same result without the padded gts at all
        keep = [0, 2]
        ref = TaskAlignedAssigner(NC)(pd_scores[1:], pd_bboxes[1:], points, lab[1:, keep], box[1:, keep],
                                      mask[1:, keep])
        assert torch.equal(out.fg_mask[1:], ref.fg_mask)
        torch.testing.assert_close(out.target_scores[1:], ref.target_scores)
        torch.testing.assert_close(out.target_bboxes[1:], ref.target_bboxes)


def test_zero_gts_is_all_background() -> None:
    points = grid()
    a = points.shape[0]
    lab, box = torch.zeros(2, 0, 1, dtype=torch.int64), torch.zeros(2, 0, 4)
    mask = torch.zeros(2, 0, 1, dtype=torch.bool)
    out = TaskAlignedAssigner(NC)(torch.rand(2, a, NC), torch.rand(2, a, 4), points, lab, box, mask)
    assert out.target_labels.shape == (2, a) and (out.target_labels == NC).all()
    assert out.target_scores.shape == (2, a, NC) and out.target_scores.sum() == 0
    assert out.target_bboxes.shape == (2, a, 4) and not out.fg_mask.any()
    # an image whose gts are all padding
    lab, box, mask = gts([[[16, 16, 40, 40]], [[16, 16, 40, 40]]], [[1], [1]])
    mask[1] = False
    out = TaskAlignedAssigner(NC)(torch.rand(2, a, NC), box[:, :1].expand(2, a, 4), points, lab, box, mask)
    assert out.fg_mask[0].any() and not out.fg_mask[1].any()
