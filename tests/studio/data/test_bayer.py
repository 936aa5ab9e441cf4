"""studio.data.bayer: RGGB mosaic <-> packed, Bayer-preserving flips and transposes keep the RGGB phase,
aligned random crops."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from studio.data.bayer import bayer_augment, from_rggb_mosaic, random_crop, to_rggb_mosaic
from studio.io.raw import pack

R, GR, GB, B = 0, 1, 2, 3  # a site's colour, in the lowest 2 bits of the coded mosaic's values


def coded_mosaic(h: int, w: int) -> np.ndarray:
    """(h, w) int64 RGGB mosaic: value = 4 * (row * w + col) + colour, so both where a value came from
    and which colour site it was can be read back."""
    rows, cols = np.mgrid[0:h, 0:w]
    colour = np.array([[R, GR], [GB, B]])[rows % 2, cols % 2]
    return 4 * (rows * w + cols) + colour


def assert_rggb(mosaic: np.ndarray) -> None:
    colour = mosaic % 4
    assert (colour[0::2, 0::2] == R).all() and (colour[1::2, 1::2] == B).all()
    greens = np.concatenate([colour[0::2, 1::2].ravel(), colour[1::2, 0::2].ravel()])
    assert np.isin(greens, (GR, GB)).all()


@given(lead=st.lists(st.integers(1, 3), max_size=2), h=st.integers(1, 6), w=st.integers(1, 6))
def test_packing_round_trips_numpy(lead, h, w):
    packed = np.random.default_rng(0).random((*lead, 4, h, w)).astype(np.float32)
    mosaic = to_rggb_mosaic(packed)
    assert mosaic.shape == (*lead, 2 * h, 2 * w)
    np.testing.assert_array_equal(from_rggb_mosaic(mosaic), packed)


def test_packing_matches_the_raw_reader_and_torch():
    mosaic = np.random.default_rng(1).integers(0, 1000, (6, 10)).astype(np.uint16)
    packed = from_rggb_mosaic(mosaic.astype(np.float32))
    np.testing.assert_allclose(packed, pack(mosaic, "RGGB", 0, 1), rtol=1e-6)  # channel order R, Gr, Gb, B
    batch = torch.from_numpy(np.stack([packed, packed * 2]))
    t_mosaic = to_rggb_mosaic(batch)
    assert isinstance(t_mosaic, torch.Tensor) and t_mosaic.shape == (2, 6, 10)
    np.testing.assert_array_equal(t_mosaic[0].numpy(), mosaic.astype(np.float32))
    assert torch.equal(from_rggb_mosaic(t_mosaic), batch)


def test_packing_refuses_odd_mosaics_and_wrong_channels():
    with pytest.raises(ValueError, match="even"):
        from_rggb_mosaic(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="4, h, w"):
        to_rggb_mosaic(np.zeros((3, 2, 2)))


@pytest.mark.parametrize("flip_h, flip_v, transpose", list(itertools.product((False, True), repeat=3)))
def test_augment_keeps_the_rggb_phase(flip_h, flip_v, transpose):
    h, w = 8, 12
    mosaic = coded_mosaic(h, w)
    out = bayer_augment(mosaic, np.random.default_rng(0), flip_h, flip_v, transpose)
    expected = (h - 2 * flip_v, w - 2 * flip_h)
    assert out.shape == (expected[::-1] if transpose else expected)
    assert_rggb(out)
    rows, cols = np.divmod(out // 4, w)  # where each value came from
    if transpose:
        rows, cols = rows.T, cols.T
    # flipped dimensions run backwards (without the outermost line), the others forwards
    assert (np.diff(cols, axis=1) == (-1 if flip_h else 1)).all()
    assert (np.diff(rows, axis=0) == (-1 if flip_v else 1)).all()
    assert cols.min() == int(flip_h) and rows.min() == int(flip_v)


def test_augment_twice_undoes_itself_up_to_the_cut_border():
    mosaic = coded_mosaic(10, 12)
    rng = np.random.default_rng(0)
    twice = bayer_augment(bayer_augment(mosaic, rng, 1, 1, 1), rng, 1, 1, 1)
    np.testing.assert_array_equal(twice, mosaic[2:-2, 2:-2])
    none = bayer_augment(mosaic, rng, 0, 0, 0)
    np.testing.assert_array_equal(none, mosaic)


def test_augment_draws_with_the_probabilities_and_works_on_torch_batches():
    mosaic = coded_mosaic(8, 8)
    shapes = {bayer_augment(mosaic, np.random.default_rng(s)).shape for s in range(40)}
    assert shapes == {(8, 8), (6, 8), (8, 6), (6, 6)}
    batch = torch.from_numpy(np.stack([mosaic, mosaic + 4 * 64]))
    out = bayer_augment(batch, np.random.default_rng(3), True, False, True)
    assert isinstance(out, torch.Tensor) and out.shape == (2, 6, 8) and out.is_contiguous()
    np.testing.assert_array_equal(out[0].numpy(), bayer_augment(mosaic, np.random.default_rng(3), 1, 0, 1))
    with pytest.raises(ValueError, match="even"):
        bayer_augment(np.zeros((5, 6)), np.random.default_rng(0))


def test_random_crop_cuts_every_array_at_the_same_place():
    rng = np.random.default_rng(0)
    clean = np.arange(4 * 9 * 11).reshape(4, 9, 11)
    noisy = clean + 1000
    seen = set()
    for _ in range(50):
        a, b = random_crop([clean, noisy], 4, rng)
        assert a.shape == b.shape == (4, 4, 4)
        np.testing.assert_array_equal(b, a + 1000)
        seen.add((int(a[0, 0, 0]) // 11, int(a[0, 0, 0]) % 11))
    assert len(seen) > 10 and max(y for y, _ in seen) <= 5 and max(x for _, x in seen) <= 7
    for _ in range(20):
        (m,) = random_crop([coded_mosaic(12, 14)], (6, 8), rng, step=2)
        assert m.shape == (6, 8)
        assert_rggb(m)
    with pytest.raises(ValueError, match="differ"):
        random_crop([clean, clean[:, :8]], 4, rng)
    with pytest.raises(ValueError, match="cannot crop"):
        random_crop([clean], 10, rng)
