"""How fast the studio's live curves follow a run: the delay from a ``metric`` event written to a run's
events.jsonl to the point drawn in the Metrics panel (the Jobs panel polls every 250 ms, as in the
studio), over ``--events`` epochs; the goal (issue 8) is under 1 s. Offscreen Qt; the writer is this
process (its pid is alive, so the run reads as running).

    QT_QPA_PLATFORM=offscreen python bench/bench_live_metrics.py [--events 20] [--poll-ms 250]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from report import print_figures  # bench/ is on sys.path when a bench runs as a script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--poll-ms", type=int, default=250)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.jobs.launcher import JobLauncher
    from app.panels.jobs import JobsPanel
    from app.panels.metrics import MetricsPanel
    from studio.events import EventWriter

    app = QApplication.instance() or QApplication(["bench"])
    root = Path(tempfile.mkdtemp(prefix="tern-live-"))
    run = root / "detect" / "live"
    writer = EventWriter(run / "events.jsonl")
    writer.started({"epochs": args.events})
    jobs, metrics = JobsPanel(JobLauncher(), poll_ms=args.poll_ms), MetricsPanel()
    jobs.states_selected.connect(metrics.show_runs)
    jobs.changed.connect(metrics.refresh)
    metrics.show()
    jobs.set_root(root)
    jobs.select([run])
    delays = []
    for epoch in range(1, args.events + 1):
        start = time.perf_counter()
        writer.metric(epoch, "train/box_loss", 1.0 / epoch)
        while metrics.point_count("train/box_loss") < epoch:
            app.processEvents()
            time.sleep(0.001)
            if time.perf_counter() - start > 10:
                raise SystemExit(f"epoch {epoch}: the point did not appear within 10 s")
        delays.append(time.perf_counter() - start)
    writer.finished("ok")
    writer.close()
    print_figures("live_metrics", {"events": args.events, "poll_ms": args.poll_ms,
                                   "delay_median_ms": statistics.median(delays) * 1e3,
                                   "delay_max_ms": max(delays) * 1e3})


if __name__ == "__main__":
    main()
