"""Errors from DataLoader worker processes. torch re-raises a worker's exception in the main process by
calling its class with one string (the worker's whole traceback); our typed errors take several arguments,
so a corrupt image found by a worker arrives as a RuntimeError holding a traceback, which the terminal
would report as a bug in Tern. ``from_worker`` gives back a StudioError with the worker's one-line
message."""

from __future__ import annotations

import re

from studio.errors import StudioError

_CAUGHT = re.compile(r"Caught (\w+) in DataLoader worker process \d+\.")


def from_worker(exc: BaseException) -> BaseException:
    """``StudioError(message)`` when ``exc`` is torch's RuntimeError wrapping a ``studio.errors`` error
    raised in a DataLoader worker (the message is that error's own); else ``exc`` itself."""
    if not isinstance(exc, RuntimeError):
        return exc
    text = str(exc)
    caught = _CAUGHT.match(text)
    if caught is None:
        return exc
    marker = f"\nstudio.errors.{caught.group(1)}: "
    at = text.rfind(marker)
    if at < 0:
        return exc
    return StudioError(text[at + len(marker):].strip())
