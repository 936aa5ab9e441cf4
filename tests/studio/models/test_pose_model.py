"""The pose model parts: keypoint coding, the pose head's layout, the OKS loss against hand-computed values,
which keypoints the pose loss looks at, and keypoints carried through decode and NMS."""

from __future__ import annotations

import math

import pytest
import torch

from studio.errors import ConfigError
from studio.models.assigners.assignment import Assignment
from studio.models.assigners.tal import TaskAlignedAssigner
from studio.models.config import ModelConfig
from studio.models.losses.pose import PoseLoss, oks_loss
from studio.models.ops.anchors import make_anchors
from studio.models.ops.keypoints import decode_keypoints, encode_keypoints
from studio.models.postprocess import Postprocess, decode_outputs
from studio.models.registry import build_detector


def test_decode_inverts_encode_and_zero_is_the_cells_corner():
    torch.manual_seed(0)
    feats = [torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 2, 2)]
    points, strides = make_anchors(feats, (8, 16))
    kpts = torch.rand(2, len(points), 5, 3) * 64
    assert torch.allclose(decode_keypoints(encode_keypoints(kpts, points, strides), points, strides), kpts,
                          atol=1e-5)
    zero = decode_keypoints(torch.zeros(1, len(points), 3), points, strides)[0, :, 0]
    assert torch.allclose(zero[:, :2], points - 0.5 * strides)  # the top-left corner of each cell
    assert decode_keypoints(torch.tensor([[[0.25, -0.5, 1.0]]]), torch.tensor([[20.0, 20.0]]),
                            torch.tensor([[8.0]])).tolist() == [[[[20.0, 8.0, 1.0]]]]  # 16 + 4, 16 - 8


def test_oks_loss_matches_the_formula_by_hand():
    pred = torch.tensor([[[10.0, 10.0], [23.0, 24.0], [0.0, 0.0]]])
    gt = torch.tensor([[[10.0, 10.0, 2.0], [20.0, 20.0, 1.0], [5.0, 5.0, 0.0]]])
    area, sigmas = torch.tensor([100.0]), torch.tensor([0.1, 0.2, 0.3])
    # keypoint 0: d = 0 -> OKS 1; keypoint 1: d^2 = 25, e = 25 / ((0.4)^2 * 100 * 2) = 0.78125;
    # keypoint 2 unlabeled. Factor K / labeled = 3 / 2; mean over 1 object x 3 keypoints.
    want = (3 / 2) * (0.0 + (1 - math.exp(-0.78125)) + 0.0) / 3
    assert oks_loss(pred, gt, area, sigmas).item() == pytest.approx(want, rel=1e-6)
    assert oks_loss(gt[..., :2], gt, area, sigmas).item() == 0.0


def _one_positive(k: int, stride_idx: int = 5) -> tuple[Assignment, torch.Tensor, torch.Tensor]:
    """One image, 8 anchors of a 2x4 stride-8 map, anchor ``stride_idx`` assigned to gt 0."""
    points, strides = make_anchors([torch.zeros(1, 1, 2, 4)], (8,))
    fg = torch.zeros(1, 8, dtype=torch.bool)
    fg[0, stride_idx] = True
    boxes = torch.zeros(1, 8, 4)
    boxes[0, stride_idx] = torch.tensor([8.0, 0.0, 24.0, 16.0])
    asg = Assignment(torch.zeros(1, 8, dtype=torch.int64), boxes, fg[..., None].float(), fg,
                     torch.zeros(1, 8, dtype=torch.int64))
    return asg, points / strides, strides


def test_pose_parts_are_zero_oks_for_exact_keypoints_and_ignore_unlabeled_ones():
    k = 3
    loss = PoseLoss(1, 16, (8,), TaskAlignedAssigner(num_classes=1), sigmas=[0.05] * k)
    asg, points_s, stride_t = _one_positive(k)
    gt = torch.tensor([[12.0, 4.0, 2.0], [20.0, 12.0, 1.0], [0.0, 0.0, 0.0]])
    targets = torch.cat((torch.tensor([0.0, 0.0, 8.0, 0.0, 24.0, 16.0]), gt.flatten()))[None]
    raw = torch.zeros(1, 8, 3 * k)
    exact = encode_keypoints(torch.cat((gt[:, :2] / 8, torch.full((k, 1), 9.0)), -1)[None, None],
                             points_s[5:6], torch.ones(1, 1))
    raw[0, 5] = exact[0, 0]
    raw[0, 5, 8] = -9.0  # the unlabeled keypoint: visibility logit low
    pose, kobj = loss.extra_parts(raw, asg, points_s, stride_t, targets)
    assert pose.item() == pytest.approx(0.0, abs=1e-6) and kobj.item() < 0.01
    moved = raw.clone()
    moved[0, 5, 6:8] += 3.0  # the unlabeled keypoint's x, y: no effect on the OKS term
    assert loss.extra_parts(moved, asg, points_s, stride_t, targets)[0].item() == pytest.approx(0.0, abs=1e-6)
    off = raw.clone()
    off[0, 5, 0] += 0.5  # keypoint 0 one stride off in x (raw units are two strides)
    d2, area = 1.0, 2.0 * 2.0  # stride units: the box is 2 x 2 strides
    want = 12.0 * (3 / 2) * (1 - math.exp(-d2 / ((2 * 0.05) ** 2 * area * 2))) / 3
    assert loss.extra_parts(off, asg, points_s, stride_t, targets)[0].item() == pytest.approx(want, rel=1e-5)


def test_pose_loss_backpropagates_into_the_keypoint_branch():
    torch.manual_seed(0)
    model = build_detector(ModelConfig(nc=2, num_keypoints=4))
    crit = PoseLoss(2, model.reg_max, model.strides, TaskAlignedAssigner(num_classes=2), sigmas=[0.065] * 4)
    kpts = torch.tensor([[20.0, 20.0, 2.0, 40.0, 30.0, 2.0, 30.0, 50.0, 1.0, 0.0, 0.0, 0.0]])
    targets = torch.cat((torch.tensor([[0.0, 1.0, 10.0, 10.0, 60.0, 70.0]]), kpts), 1)
    loss, parts = crit(model(torch.rand(1, 3, 64, 64)), targets)
    loss.backward()
    assert parts.shape == (5,) and bool(torch.isfinite(parts).all()) and parts[3] > 0
    assert model.head.kpt[0][-1].weight.grad.abs().sum() > 0


def test_pose_head_layout_and_keypoints_through_decode_and_nms():
    torch.manual_seed(0)
    model = build_detector(ModelConfig(nc=3, num_keypoints=5)).eval()
    outputs = model(torch.rand(2, 3, 64, 64))
    assert [tuple(o.shape) for o in outputs] == [(2, 64 + 3 + 15, 8, 8), (2, 82, 4, 4), (2, 82, 2, 2)]
    decoded = decode_outputs(outputs, model.strides, model.reg_max, 5)
    plain = decode_outputs([o[:, :67] for o in outputs], model.strides, model.reg_max)
    assert torch.equal(decoded[..., :7], plain)  # boxes and scores are the detector's
    points, strides = make_anchors(outputs, model.strides)
    raw = torch.cat([o.flatten(2) for o in outputs], 2).permute(0, 2, 1)[..., 67:]
    want = decode_keypoints(raw, points, strides)
    assert torch.allclose(decoded[..., 7:].unflatten(-1, (5, 3))[..., :2], want[..., :2])
    assert torch.allclose(decoded[..., 7:].unflatten(-1, (5, 3))[..., 2], want[..., 2].sigmoid())
    dets = Postprocess(conf=0.0, extra=15).single(decoded[0])
    assert dets.shape[1] == 6 + 15
    for row in dets[:5]:  # each kept row carries the keypoints of its own anchor
        anchor = (decoded[0, :, :4] == row[:4]).all(1).nonzero()[0, 0]
        assert torch.equal(row[6:], decoded[0, anchor, 7:])
    assert model.predict(torch.rand(1, 3, 64, 64), conf=0.0)[0].shape[1] == 21


def test_only_one_stage_models_take_keypoints():
    with pytest.raises(ConfigError, match="one-stage"):
        ModelConfig(arch="faster_rcnn", backbone="resnet18", num_keypoints=17)
    with pytest.raises(ConfigError, match="num_keypoints"):
        ModelConfig(num_keypoints=-1)
