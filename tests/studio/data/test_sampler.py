from __future__ import annotations

import pytest

from studio.data.sampler import EpochSampler


def test_each_epoch_is_a_permutation_of_its_keys():
    for epoch in range(3):
        keys = list(EpochSampler(10, shuffle=True, seed=0, epoch=epoch))
        assert sorted(keys) == list(range(epoch * 10, epoch * 10 + 10))
    first = [k % 10 for k in EpochSampler(10, shuffle=True, seed=0, epoch=0)]
    second = [k % 10 for k in EpochSampler(10, shuffle=True, seed=0, epoch=1)]
    assert first != second and first != list(range(10))


def test_the_same_seed_gives_the_same_order_and_another_seed_another():
    a = list(EpochSampler(50, shuffle=True, seed=7, epoch=2))
    assert a == list(EpochSampler(50, shuffle=True, seed=7, epoch=2))
    assert a != list(EpochSampler(50, shuffle=True, seed=8, epoch=2))


def test_without_shuffle_keys_come_in_order():
    assert list(EpochSampler(4, shuffle=False, seed=3, epoch=2)) == [8, 9, 10, 11]


def test_start_resumes_with_the_tail():
    full = list(EpochSampler(10, shuffle=True, seed=1, epoch=4))
    tail = EpochSampler(10, shuffle=True, seed=1, epoch=4, start=6)
    assert list(tail) == full[6:] and len(tail) == 4
    assert list(EpochSampler(10, shuffle=True, seed=1, start=12)) == []
    assert len(EpochSampler(10, shuffle=True, seed=1, start=12)) == 0


def test_ranks_cover_every_key_once_plus_padding():
    n, world = 10, 4
    shards = [list(EpochSampler(n, shuffle=True, seed=5, epoch=1, rank=r, world_size=world))
              for r in range(world)]
    assert [len(s) for s in shards] == [3, 3, 3, 3]
    assert {len(EpochSampler(n, shuffle=True, seed=5, rank=r, world_size=world)) for r in range(world)} == {3}
    every = [k for s in shards for k in s]
    assert set(every) == set(range(10, 20)) and len(every) == 12  # two keys twice, as padding
    full = list(EpochSampler(n, shuffle=True, seed=5, epoch=1))
    padded = full + full[:2]
    assert shards[1] == padded[1::4]


def test_two_ranks_resume_each_with_its_own_tail():
    whole = [list(EpochSampler(9, shuffle=True, seed=0, rank=r, world_size=2)) for r in range(2)]
    tails = [list(EpochSampler(9, shuffle=True, seed=0, rank=r, world_size=2, start=3)) for r in range(2)]
    assert tails == [w[3:] for w in whole]


def test_tiny_datasets_pad_around_and_empty_ones_yield_nothing():
    shards = [list(EpochSampler(1, shuffle=True, seed=0, rank=r, world_size=3)) for r in range(3)]
    assert shards == [[0], [0], [0]]
    empty = EpochSampler(0, shuffle=True, seed=0)
    assert list(empty) == [] and len(empty) == 0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="rank"):
        EpochSampler(5, shuffle=True, seed=0, rank=2, world_size=2)
    with pytest.raises(ValueError, match="start"):
        EpochSampler(5, shuffle=True, seed=0, start=-1)
