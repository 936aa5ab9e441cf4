"""Progress: a tqdm line in the terminal and ``progress`` events (the heartbeat, at least every 10 s)."""

from __future__ import annotations

import sys
import threading
import time
from collections import deque

from studio.events import EventWriter, Progress

HEARTBEAT_S = 5.0
SILENT_S = 9.0  # the heartbeat thread repeats the last progress when nothing was said for this long


class ProgressReporter:
    """Counts steps over the whole run; speed from the last ~20 steps; ETA for the remaining steps."""

    def __init__(self, events: EventWriter | None, total_steps: int, batch: int, bar: bool = True) -> None:
        self.events, self.total_steps, self.batch, self.bar_on = events, total_steps, batch, bar
        self.times: deque[float] = deque(maxlen=21)
        self.last_emit = 0.0
        self.bar = None
        self.last: tuple[int, int] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start_heartbeat(self) -> None:
        """A daemon thread keeps the heartbeat when one step, a validation or the export takes long."""
        if self.events is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._beat_loop, name="tern-heartbeat", daemon=True)
        self._thread.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _beat_loop(self) -> None:
        while not self._stop.wait(1.0):
            if self.last is not None and time.monotonic() - self.last_emit >= SILENT_S:
                self.beat(*self.last)

    def start_epoch(self, epoch: int, epochs: int, steps: int, done: int) -> None:
        self.close()
        self.times.clear()
        self.times.append(time.monotonic())
        if self.bar_on:
            from tqdm import tqdm

            self.bar = tqdm(total=steps, initial=done, desc=f"epoch {epoch + 1}/{epochs}", file=sys.stderr,
                            dynamic_ncols=True, leave=True, unit="step")

    def images_per_s(self) -> float:
        if len(self.times) < 2:
            return 0.0
        span = self.times[-1] - self.times[0]
        return (len(self.times) - 1) * self.batch / span if span > 0 else 0.0

    def step(self, epoch: int, global_step: int, losses: dict[str, float]) -> None:
        now = time.monotonic()
        self.times.append(now)
        if self.bar is not None:
            self.bar.set_postfix({k.split("/")[-1]: f"{v:.3f}" for k, v in losses.items()}, refresh=False)
            self.bar.update(1)
        if now - self.last_emit >= HEARTBEAT_S or global_step == self.total_steps:
            self.beat(epoch, global_step)

    def tick(self, epoch: int, global_step: int) -> None:
        """A progress event if none was sent for HEARTBEAT_S (validation ticks once a batch: too many)."""
        if time.monotonic() - self.last_emit >= HEARTBEAT_S:
            self.beat(epoch, global_step)

    def beat(self, epoch: int, global_step: int) -> None:
        """A progress event now."""
        self.last_emit = time.monotonic()
        self.last = (epoch, global_step)
        if self.events is None:
            return
        speed = self.images_per_s()
        remaining = max(self.total_steps - global_step, 0) * self.batch
        eta = remaining / speed if speed > 0 else 0.0
        self.events.emit(Progress(epoch + 1, global_step, self.total_steps, round(speed, 2), round(eta, 1)))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
