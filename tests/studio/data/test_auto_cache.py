"""Which sets are kept in RAM without --cache (studio.data.cache.auto_cache)."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from studio.data import cache as cache_mod
from studio.data.cache import AUTO_CACHE_BYTES, auto_cache


@pytest.fixture
def plenty(monkeypatch):
    """64 GiB of free memory and of free /dev/shm."""
    monkeypatch.setattr(cache_mod, "available_memory", lambda: 64 << 30)
    monkeypatch.setattr(os, "statvfs", lambda _: SimpleNamespace(f_bavail=64 << 18, f_frsize=4096),
                        raising=False)


def test_small_sets_are_cached_and_large_ones_are_not(plenty):
    per_image = 320 * 320 * 3
    assert auto_cache(AUTO_CACHE_BYTES // per_image, 320, asked=False, workers=0)
    assert not auto_cache(AUTO_CACHE_BYTES // per_image + 1, 320, asked=False, workers=0)
    assert not auto_cache(10_000, 640, asked=False, workers=2)


def test_asking_caches_whatever_the_size(plenty):
    assert auto_cache(1_000_000, 1280, asked=True, workers=2)


def test_the_budget_is_a_quarter_of_the_free_memory(monkeypatch, plenty):
    monkeypatch.setattr(cache_mod, "available_memory", lambda: 400 * 320 * 320 * 3)
    assert auto_cache(100, 320, asked=False, workers=0)
    assert not auto_cache(101, 320, asked=False, workers=0)


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="no /dev/shm on this system")
def test_with_workers_a_small_shared_memory_limits_it(monkeypatch, plenty):
    """Workers map the cache through /dev/shm (64 MB in a default docker container)."""
    monkeypatch.setattr(os, "statvfs", lambda _: SimpleNamespace(f_bavail=64 << 8, f_frsize=4096))
    assert not auto_cache(100, 320, asked=False, workers=2)  # 29 MB > 16 MB
    assert auto_cache(100, 320, asked=False, workers=0)


def test_available_memory_is_a_positive_count():
    assert cache_mod.available_memory() > 0
