"""Shared fixtures. ``shared_data`` is ../shared/data beside the checkout: tests that need it skip
when it is absent (a user's clone) and fail when TERN_REQUIRE_DATA=1 (CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests with a fixed seed and no per-example deadline (a slow 2-core machine must
# not turn timing into failures); locally they explore new examples every run.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Qt tests run offscreen whatever the shell says (CI has no display)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    if os.environ.get("TERN_REQUIRE_DATA") == "1":
        pytest.fail(f"TERN_REQUIRE_DATA=1 but {SHARED_DATA} is missing")
    pytest.skip(f"{SHARED_DATA} is absent")
