"""Graceful cancel: SIGTERM (or Ctrl-C) sets a flag; the trainer finishes the current step, saves
last.pt and emits ``finished(status="cancelled")``. A second Ctrl-C interrupts at once."""

from __future__ import annotations

import signal
import threading


class StopFlag:
    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def set(self, reason: str = "cancelled") -> None:
        self.reason = reason
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def install(self) -> None:
        """Handle SIGTERM and the first SIGINT (main thread only; elsewhere a no-op)."""
        if threading.current_thread() is not threading.main_thread():
            return
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, _frame) -> None:
        if signum == signal.SIGINT and self.is_set():
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        self.set(f"stopped by {signal.Signals(signum).name}")
