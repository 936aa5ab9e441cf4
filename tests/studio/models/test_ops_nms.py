"""Vectorised NMS vs a brute-force greedy loop: identical keep lists, on CPU (and CUDA when present)."""

from __future__ import annotations

import pytest
import torch

from studio.models.ops import nms as nms_module
from studio.models.ops.boxes import box_iou
from studio.models.ops.nms import batched_nms, nms
from studio.models.ops.reference import direct_nms as ref_nms


def random_set(gen: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Boxes clustered around a few centres (heavy overlap) with coarse scores (many ties)."""
    centres = torch.rand(max(1, n // 6), 2, generator=gen, dtype=torch.float64) * 100
    pick = torch.randint(0, centres.shape[0], (n,), generator=gen)
    xy = centres[pick] + torch.randn(n, 2, generator=gen, dtype=torch.float64) * 4
    wh = 10 + torch.rand(n, 2, generator=gen, dtype=torch.float64) * 20
    boxes = torch.cat((xy - wh / 2, xy + wh / 2), 1)
    scores = torch.randint(0, 8, (n,), generator=gen).to(torch.float64) / 8
    return boxes, scores


def test_nms_matches_greedy_on_many_random_sets() -> None:
    gen = torch.Generator().manual_seed(0)
    for trial in range(150):
        n = int(torch.randint(1, 70, (1,), generator=gen))
        boxes, scores = random_set(gen, n)
        thr = (0.3, 0.5, 0.7, 0.9)[trial % 4]
        keep = nms(boxes, scores, thr)
        assert keep.dtype == torch.int64
        assert keep.tolist() == ref_nms(boxes.tolist(), scores.tolist(), thr), trial


def test_batched_nms_matches_per_class_greedy() -> None:
    gen = torch.Generator().manual_seed(1)
    for trial in range(80):
        n = int(torch.randint(1, 60, (1,), generator=gen))
        boxes, scores = random_set(gen, n)
        classes = torch.randint(0, 3, (n,), generator=gen)
        keep = batched_nms(boxes, scores, classes, 0.5)
        assert keep.tolist() == ref_nms(boxes.tolist(), scores.tolist(), 0.5, classes.tolist()), trial


@pytest.mark.parametrize("rows", [1, 4, 9])
def test_per_class_runs_across_iou_blocks_match_greedy(monkeypatch, rows: int) -> None:
    """Many classes, small IoU blocks: class runs start and end inside blocks and span several of them."""
    monkeypatch.setattr(nms_module, "ROWS", rows)
    gen = torch.Generator().manual_seed(10 + rows)
    for trial in range(25):
        n = int(torch.randint(1, 90, (1,), generator=gen))
        boxes, scores = random_set(gen, n)
        classes = torch.randint(0, int(torch.randint(1, 15, (1,), generator=gen)), (n,), generator=gen)
        thr = (0.3, 0.5, 0.7)[trial % 3]
        keep = batched_nms(boxes, scores, classes, thr)
        assert keep.tolist() == ref_nms(boxes.tolist(), scores.tolist(), thr, classes.tolist()), trial
        assert nms(boxes, scores, thr).tolist() == ref_nms(boxes.tolist(), scores.tolist(), thr), trial


def test_block_iou_is_box_iou_bit_for_bit() -> None:
    boxes, _ = random_set(torch.Generator().manual_seed(3), 40)
    for dtype in (torch.float32, torch.float64):
        b = boxes.to(dtype)
        assert torch.equal(nms_module._block_iou(b[:15], b[10:]), box_iou(b[:15], b[10:]))


def test_duplicates_ties_and_chains() -> None:
    box = [0.0, 0.0, 10.0, 10.0]
    boxes = torch.tensor([box, box, box, [20.0, 20.0, 30.0, 30.0]])
    scores = torch.tensor([0.5, 0.5, 0.9, 0.5])
    assert nms(boxes, scores, 0.5).tolist() == [2, 3]  # ties keep input order: 3 comes after 0, 1
    # a chain where each box overlaps only the next: greedy keeps every other one
    chain = torch.tensor([[i * 6.0, 0.0, i * 6.0 + 10.0, 10.0] for i in range(9)])
    chain_scores = torch.linspace(1.0, 0.1, 9)
    assert nms(chain, chain_scores, 0.2).tolist() == [0, 2, 4, 6, 8]


def test_batched_nms_never_suppresses_across_classes() -> None:
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0]] * 4)
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6])
    classes = torch.tensor([0, 1, 2, 1])
    assert batched_nms(boxes, scores, classes, 0.5).tolist() == [0, 1, 2]
    assert nms(boxes, scores, 0.5).tolist() == [0]


def test_empty_inputs() -> None:
    keep = nms(torch.zeros(0, 4), torch.zeros(0), 0.5)
    assert keep.shape == (0,) and keep.dtype == torch.int64
    empty = batched_nms(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, dtype=torch.int64), 0.5)
    assert empty.shape == (0,) and empty.dtype == torch.int64


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_nms_on_cuda_matches_cpu() -> None:
    gen = torch.Generator().manual_seed(2)
    for _ in range(20):
        boxes, scores = random_set(gen, 200)
        classes = torch.randint(0, 4, (200,), generator=gen)
        cpu = batched_nms(boxes.float(), scores.float(), classes, 0.6)
        gpu = batched_nms(boxes.float().cuda(), scores.float().cuda(), classes.cuda(), 0.6)
        assert gpu.device.type == "cuda"
        assert gpu.cpu().tolist() == cpu.tolist()
