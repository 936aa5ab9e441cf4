"""The zoo tests run their small forwards on one torch thread."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One torch thread: on a shared 2-core machine a second OpenMP thread spins waiting for a busy core
    and the small forwards here take 50x longer; the results are the same either way."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
