"""Shared attention blocks: window partition / reverse, the Swin shift mask against the reference
slicing, relative position indices and tables, stochastic depth, channels-first LayerNorm."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from studio.models.blocks.relative_attention import (
    BottleneckAttention,
    RelPosBias,
    RelPosEmb2d,
    relative_position_index,
    resize_offsets,
)
from studio.models.blocks.transformer import DropPath, LayerNorm2d, stochastic_depth_rates
from studio.models.blocks.window_attention import (
    ShiftedWindowAttention,
    shifted_window_mask,
    window_partition,
    window_reverse,
)


def test_window_partition_round_trip_and_layout():
    x = torch.arange(2 * 14 * 21 * 3, dtype=torch.float32).reshape(2, 14, 21, 3)
    windows = window_partition(x, 7)
    assert windows.shape == (2 * 2 * 3, 49, 3)
    assert torch.equal(windows[1], x[0, :7, 7:14].reshape(49, 3))  # second window: row 0, column 1
    assert torch.equal(window_reverse(windows, 7, 14, 21), x)


def _reference_mask(h: int, w: int, ws: int, shift: int) -> torch.Tensor:
    """The Swin reference: label the slices of the rolled map, compare labels inside each window."""
    img = torch.zeros(h, w)
    count = 0
    for hs in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
        for wsl in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
            img[hs, wsl] = count
            count += 1
    win = img.reshape(h // ws, ws, w // ws, ws).permute(0, 2, 1, 3).reshape(-1, ws * ws)
    diff = win[:, None, :] - win[:, :, None]
    return diff.masked_fill(diff != 0, -100.0)


def test_shift_mask_matches_the_reference_slicing():
    got = shifted_window_mask(14, 21, 7, (3, 3))
    assert torch.equal(got, _reference_mask(14, 21, 7, 3))
    assert (got[0] == 0).all()  # the top-left window lies in one region
    assert (got[-1] != 0).any()


def test_window_attention_pads_any_size_and_keeps_it():
    torch.manual_seed(0)
    attn = ShiftedWindowAttention(12, 7, 3, 3).eval()
    x = torch.randn(1, 9, 11, 12)
    out = attn(x)
    assert out.shape == x.shape
    # a map of one window needs no shift: shifted and unshifted attention agree
    plain = ShiftedWindowAttention(12, 7, 0, 3).eval()
    plain.load_state_dict(attn.state_dict())
    small = torch.randn(1, 5, 7, 12)
    assert torch.allclose(attn(small), plain(small), atol=1e-6)


def test_relative_position_index_known_values():
    index = relative_position_index(2, 3)  # table of (2*2-1) x (2*3-1) = 3 x 5 offsets
    center = 1 * 5 + 2  # offset (0, 0)
    assert (index.diagonal() == center).all()
    assert index[0, 5] == 0 * 5 + 0  # position 0 minus position (1, 2): offset (-1, -2)
    assert index[5, 0] == 2 * 5 + 4  # offset (+1, +2)
    assert torch.equal(index + index.T, torch.full_like(index, 2 * center))


def test_rel_pos_bias_lookup_and_resize():
    torch.manual_seed(0)
    bias = RelPosBias((3, 3), num_heads=2)
    got = bias(3, 3)
    table = bias.relative_position_bias_table
    assert torch.equal(got[1, 0, 8], table[relative_position_index(3, 3)[0, 8], 1])
    assert bias(5, 4).shape == (2, 20, 20)
    assert bias.table(3, 3) is table
    # bicubic resizing (align_corners False) keeps offset (0, 0) at the centre: its bias is unchanged
    assert torch.allclose(bias(2, 2)[:, 0, 0], got[:, 0, 0], atol=1e-6)


def test_relative_logits_are_q_dot_offset_embeddings():
    torch.manual_seed(0)
    emb = RelPosEmb2d((3, 4), dim_head=5)
    q = torch.randn(2, 3, 4, 5)
    logits = emb(q).reshape(2, 3, 4, 3, 4)
    b, y, x, y2, x2 = 1, 2, 0, 0, 3
    want = q[b, y, x] @ (emb.height_rel[y2 - y + 2] + emb.width_rel[x2 - x + 3])
    assert torch.allclose(logits[b, y, x, y2, x2], want, atol=1e-5)


def test_offset_tables_resize_linearly_and_keep_their_size_when_equal():
    table = torch.arange(5.0)[:, None].repeat(1, 2)  # offsets -2..2
    assert resize_offsets(table, 3) is table
    bigger = resize_offsets(table, 5)
    assert bigger.shape == (9, 2)
    assert torch.allclose(bigger[4], table[2])  # offset 0 stays at the centre
    assert torch.allclose(bigger, F.interpolate(table.T[None], size=9, mode="linear")[0].T)


def test_bottleneck_attention_strides_and_sizes():
    torch.manual_seed(0)
    attn = BottleneckAttention(16, (4, 4), num_heads=4, stride=2)
    assert attn(torch.randn(2, 16, 6, 8)).shape == (2, 16, 3, 4)


def test_drop_path_is_identity_in_eval_and_drops_whole_samples_in_training():
    torch.manual_seed(0)
    drop = DropPath(0.5)
    x = torch.ones(64, 3, 2, 2)
    assert drop.eval()(x) is x
    y = drop.train()(x)
    per_sample = y.reshape(64, -1)
    assert set(per_sample.unique().tolist()) <= {0.0, 2.0}
    assert (per_sample == per_sample[:, :1]).all()


def test_layernorm2d_equals_layernorm_over_channels():
    torch.manual_seed(0)
    norm = LayerNorm2d(6, eps=1e-6)
    x = torch.randn(2, 6, 3, 5)
    want = F.layer_norm(x.permute(0, 2, 3, 1), (6,), eps=1e-6).permute(0, 3, 1, 2)
    assert torch.allclose(norm(x), want, atol=1e-6)


def test_stochastic_depth_rates_decay_linearly():
    assert stochastic_depth_rates(0.3, (1, 2)) == [[0.0], [0.15, 0.3]]
    assert stochastic_depth_rates(0.0, (2,)) == [[0.0, 0.0]]
