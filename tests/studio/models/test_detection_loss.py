"""DetectionLoss: shapes, zero-gt images, target padding, gradients that fit a toy target, perfect boxes."""

from __future__ import annotations

import pytest
import torch

from studio.models.assigners.simota import SimOTAAssigner
from studio.models.assigners.tal import TaskAlignedAssigner
from studio.models.losses.detection import DetectionLoss, pad_targets
from studio.models.ops.anchors import make_anchors
from studio.models.ops.boxes import bbox_iou
from studio.models.ops.dfl import bbox2dist
from studio.models.postprocess import Postprocess, decode_outputs

NC, REG_MAX, STRIDES, SIZE = 3, 16, (8, 16, 32), 64
ASSIGNERS = {"tal": TaskAlignedAssigner, "simota": SimOTAAssigner}
TARGETS = torch.tensor([[0, 1, 10, 12, 50, 44], [0, 2, 30, 30, 60, 60], [1, 0, 5, 5, 20, 20.0]])


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: threads only add contention on a shared 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def raw_outputs(batch: int, seed: int = 0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 4 * REG_MAX + NC, SIZE // s, SIZE // s, generator=gen) for s in STRIDES]


def criterion(name: str) -> DetectionLoss:
    return DetectionLoss(NC, REG_MAX, STRIDES, ASSIGNERS[name](NC))


def test_pad_targets() -> None:
    targets = torch.tensor([[2, 1, 0, 0, 4, 4], [0, 2, 1, 1, 5, 5], [2, 0, 2, 2, 6, 6.0]])
    labels, boxes, mask = pad_targets(targets, 4)
    assert labels.shape == (4, 2, 1) and boxes.shape == (4, 2, 4) and mask.shape == (4, 2, 1)
    assert mask[..., 0].tolist() == [[True, False], [False, False], [True, True], [False, False]]
    assert labels[2, :, 0].tolist() == [1, 0] and boxes[2, 1].tolist() == [2, 2, 6, 6]
    assert labels[0, 0, 0].item() == 2
    empty = pad_targets(torch.zeros(0, 6), 3)
    assert [t.shape for t in empty] == [(3, 0, 1), (3, 0, 4), (3, 0, 1)]


@pytest.mark.parametrize("name", list(ASSIGNERS))
def test_shapes_finite_and_backward(name: str) -> None:
    outs = [o.requires_grad_(True) for o in raw_outputs(2)]
    loss, parts = criterion(name)(outs, TARGETS)
    assert loss.shape == () and parts.shape == (3,) and not parts.requires_grad
    assert torch.isfinite(loss) and (parts > 0).all()
    torch.testing.assert_close(loss.detach(), parts.sum() * 2)
    loss.backward()
    assert all(torch.isfinite(o.grad).all() and o.grad.abs().sum() > 0 for o in outs)


@pytest.mark.parametrize("name", list(ASSIGNERS))
def test_zero_gt_batch_is_class_loss_only(name: str) -> None:
    outs = [o.requires_grad_(True) for o in raw_outputs(2)]
    loss, parts = criterion(name)(outs, torch.zeros(0, 6))
    assert parts[0] == 0 and parts[2] == 0 and parts[1] > 0 and torch.isfinite(loss)
    loss.backward()
    cls_grad = outs[0].grad[:, 4 * REG_MAX :]
    assert (cls_grad > 0).all()  # every class logit is pushed down
    assert outs[0].grad[:, : 4 * REG_MAX].abs().sum() == 0
    # an image without gts next to one with gts: still finite, box terms from the other image only
    loss, parts = criterion(name)(raw_outputs(2), TARGETS[TARGETS[:, 0] == 0])
    assert torch.isfinite(loss) and (parts > 0).all()


@pytest.mark.parametrize("name", list(ASSIGNERS))
def test_optimising_the_outputs_fits_the_targets(name: str) -> None:
    params = [torch.nn.Parameter(o * 0.1) for o in raw_outputs(2, seed=3)]
    crit = criterion(name)
    opt = torch.optim.Adam(params, lr=0.05)
    first = None
    for _ in range(200):
        loss, parts = crit(params, TARGETS)
        first = parts if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert parts[0] < 0.2 * first[0] and parts[1] < 0.5 * first[1], (first, parts)
    assert parts[2] < 0.8 * first[2], (first, parts)  # DFL keeps a floor: the two-bin target's entropy
    with torch.no_grad():
        dets = Postprocess(conf=0.3, iou=0.5)(decode_outputs(params, STRIDES, REG_MAX))
    for i, det in enumerate(dets):  # the best detection of each gt is that gt, class included
        for row in TARGETS[TARGETS[:, 0] == i]:
            same = det[det[:, 5] == row[1]]
            assert len(same) > 0
            assert bbox_iou(same[:, :4], row[2:]).max() > 0.8


def perfect_outputs(box: torch.Tensor, label: int) -> list[torch.Tensor]:
    """Raw maps whose DFL logits give every anchor the exact distances to ``box`` (px, xyxy) as a two-bin
    mixture, and whose class logits say ``label`` at 10 and every other class at -10."""
    feats = [torch.zeros(1, 1, SIZE // s, SIZE // s) for s in STRIDES]
    points, stride_t = make_anchors(feats, STRIDES)
    dist = bbox2dist(points / stride_t, box / stride_t, REG_MAX)  # (A, 4) stride units
    left = dist.floor().long()
    frac = dist - left
    probs = torch.zeros(*dist.shape, REG_MAX)
    probs.scatter_(-1, left[..., None], (1 - frac)[..., None])
    probs.scatter_add_(-1, (left + 1)[..., None], frac[..., None])
    logits = probs.clamp(min=1e-30).log().flatten(1)  # (A, 4 * reg_max)
    cls = torch.full((dist.shape[0], NC), -10.0)
    cls[:, label] = 10.0
    flat = torch.cat((logits, cls), 1).T[None]  # (1, C, A)
    outs, start = [], 0
    for f in feats:
        h, w = f.shape[2:]
        outs.append(flat[..., start : start + h * w].reshape(1, -1, h, w))
        start += h * w
    return outs


@pytest.mark.parametrize("name", list(ASSIGNERS))
def test_perfect_boxes_have_zero_box_loss(name: str) -> None:
    box = torch.tensor([10.0, 12.0, 50.0, 44.0])
    outs = perfect_outputs(box, label=1)
    decoded = decode_outputs(outs, STRIDES, REG_MAX)[0, :, :4]
    points, stride_t = make_anchors(outs, STRIDES)
    dist = bbox2dist(points / stride_t, box / stride_t, None)
    exact = ((dist > 0) & (dist < REG_MAX - 1.01)).all(-1)  # anchors whose distances the bins can express
    assert exact.sum() > 20
    torch.testing.assert_close(decoded[exact], box.expand(int(exact.sum()), 4), atol=1e-3, rtol=0)
    _, parts = criterion(name)(outs, torch.cat((torch.tensor([0.0, 1.0]), box))[None])
    assert parts[0].item() < 1e-4
    wrong = perfect_outputs(box + torch.tensor([3.0, -2.0, 6.0, 1.0]), label=1)
    assert criterion(name)(wrong, torch.cat((torch.tensor([0.0, 1.0]), box))[None])[1][0] > 0.1
