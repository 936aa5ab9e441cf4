"""``from_worker``: a typed error raised in a DataLoader worker comes back with its own one-line message
(torch wraps it into a RuntimeError holding the worker's traceback); anything else passes unchanged."""

from __future__ import annotations

import pytest
from torch._utils import ExceptionWrapper

from studio.errors import DatasetFormatError, StudioError
from studio.jobs.worker_error import from_worker


def _as_torch_reraises_it(exc: BaseException) -> BaseException:
    """What the main process receives when a loader worker raised ``exc`` (torch's own wrapper)."""
    try:
        try:
            raise exc
        except BaseException:
            ExceptionWrapper(where="in DataLoader worker process 0").reraise()
    except BaseException as received:
        return received
    raise AssertionError("reraise returned")


def test_a_studio_error_from_a_worker_comes_back_with_its_one_line_message():
    original = DatasetFormatError("/data/images/a b.png", None, "cannot decode this image: not an image")
    received = _as_torch_reraises_it(original)
    assert isinstance(received, RuntimeError) and "Traceback" in str(received)  # why this module exists
    error = from_worker(received)
    assert isinstance(error, StudioError)
    assert str(error) == str(original) == "/data/images/a b.png: cannot decode this image: not an image"


def test_a_chained_studio_error_gives_the_last_message():
    try:
        try:
            raise OSError("disk")
        except OSError as cause:
            raise DatasetFormatError("x.png", 3, "unreadable") from cause
    except DatasetFormatError as exc:
        received = _as_torch_reraises_it(exc)
    assert str(from_worker(received)) == "x.png:3: unreadable"


@pytest.mark.parametrize("exc", [ValueError("plain"), RuntimeError("CUDA error"), KeyboardInterrupt()])
def test_other_errors_pass_unchanged(exc):
    assert from_worker(exc) is exc
    wrapped = _as_torch_reraises_it(ValueError("a bug in a worker"))
    assert from_worker(wrapped) is wrapped  # not ours: the caller reports it as a bug, trace and all
