"""Box coding, anchors, the max-IoU matcher, the balanced sampler and the exportable NMS."""

from __future__ import annotations

import torch

from studio.models.assigners.max_iou import BACKGROUND, IGNORE, match_max_iou, sample_balanced
from studio.models.ops.anchor_boxes import base_anchors, grid_anchors
from studio.models.ops.box_coder import decode, encode
from studio.models.ops.nms import batched_nms
from studio.models.ops.nms_export import exportable_batched_nms


def test_decode_inverts_encode():
    gen = torch.Generator().manual_seed(0)
    refs = torch.rand(50, 2, generator=gen) * 100
    refs = torch.cat((refs, refs + 5 + torch.rand(50, 2, generator=gen) * 80), 1)
    boxes = torch.rand(50, 2, generator=gen) * 100
    boxes = torch.cat((boxes, boxes + 5 + torch.rand(50, 2, generator=gen) * 80), 1)
    weights = (10.0, 10.0, 5.0, 5.0)
    assert torch.allclose(decode(encode(boxes, refs, weights), refs, weights), boxes, atol=1e-3)


def test_encode_known_value():
    ref = torch.tensor([[0.0, 0.0, 10.0, 20.0]])
    box = torch.tensor([[5.0, 0.0, 15.0, 40.0]])  # centre +5 in x (half a width), twice as tall, +10 in y
    got = encode(box, ref, (10.0, 10.0, 5.0, 5.0))
    assert torch.allclose(got, torch.tensor([[5.0, 5.0, 0.0, 5.0 * torch.log(torch.tensor(2.0))]]))


def test_anchors_have_the_size_ratio_and_order_of_the_rpn():
    base = base_anchors(32, (0.5, 1.0, 2.0))
    w, h = base[:, 2] - base[:, 0], base[:, 3] - base[:, 1]
    assert torch.allclose(h / w, torch.tensor([0.5, 1.0, 2.0]), rtol=0.05)  # corners are rounded
    assert torch.allclose((w * h).sqrt(), torch.full((3,), 32.0), atol=1.0)
    anchors = grid_anchors(torch.zeros(1, 1, 2, 3), 8, base)
    assert anchors.shape == (2 * 3 * 3, 4)
    # cell (y=1, x=2) is the last cell; its anchors are the base shifted by (16, 8)
    assert torch.equal(anchors[-3:], base + torch.tensor([16.0, 8.0, 16.0, 8.0]))


def test_matcher_thresholds_and_low_quality_matches():
    gt = torch.tensor([[0.0, 0.0, 10.0, 10.0], [100.0, 100.0, 110.0, 110.0]])
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0],      # IoU 1 with gt 0
                          [0.0, 0.0, 10.0, 20.0],      # IoU 0.5 with gt 0: between -> ignore
                          [50.0, 50.0, 60.0, 60.0],    # nothing: background
                          [100.0, 100.0, 110.0, 125.0]])  # IoU 0.4 with gt 1, its best anchor
    assert match_max_iou(gt, boxes, 0.7, 0.3, low_quality=False).tolist() == [0, IGNORE, BACKGROUND, IGNORE]
    assert match_max_iou(gt, boxes, 0.7, 0.3, low_quality=True).tolist() == [0, IGNORE, BACKGROUND, 1]
    assert match_max_iou(gt[:0], boxes, 0.7, 0.3, True).tolist() == [BACKGROUND] * 4


def test_sampler_caps_positives_and_fills_with_negatives():
    matches = torch.tensor([0] * 30 + [BACKGROUND] * 100 + [IGNORE] * 10)
    pos, neg = sample_balanced(matches, 64, 0.25, torch.Generator().manual_seed(0))
    assert len(pos) == 16 and len(neg) == 48
    assert (matches[pos] >= 0).all() and (matches[neg] == BACKGROUND).all()
    assert len(set(pos.tolist())) == 16 and len(set(neg.tolist())) == 48


def test_exportable_nms_equals_batched_nms():
    gen = torch.Generator().manual_seed(3)
    xy = torch.rand(200, 2, generator=gen) * 50
    boxes = torch.cat((xy, xy + 10 + torch.rand(200, 2, generator=gen) * 20), 1)
    scores, groups = torch.rand(200, generator=gen), torch.randint(0, 4, (200,), generator=gen)
    want = batched_nms(boxes, scores, groups, 0.5)
    assert torch.equal(exportable_batched_nms(boxes, scores, groups, 0.5), want)
