"""``results.csv``: one row per epoch, one column per metric name (DESIGN.md section 3)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from studio.utils.atomic import atomic_write_text


class ResultsTable:
    """Rows of {metric name: value} by epoch; rewritten whole (atomically) after every epoch, so a
    resumed run keeps the rows it had and a reader never sees half a row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[int, dict[str, float]] = {}
        if path.is_file():
            self._load()

    def _load(self) -> None:
        with open(self.path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                epoch = int(row.pop("epoch"))
                self.rows[epoch] = {k: float(v) for k, v in row.items() if v not in ("", None)}

    def add(self, epoch: int, values: dict[str, float]) -> None:
        self.rows.setdefault(epoch, {}).update(values)

    def drop_after(self, epoch: int) -> None:
        """Forget rows past ``epoch`` (a resumed run replays them)."""
        self.rows = {e: r for e, r in self.rows.items() if e <= epoch}

    def columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for row in self.rows.values():
            seen.update(dict.fromkeys(row))
        return list(seen)

    def write(self) -> None:
        cols = self.columns()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["epoch", *cols])
        for epoch in sorted(self.rows):
            row = self.rows[epoch]
            writer.writerow([epoch, *(_fmt(row.get(c)) for c in cols)])
        atomic_write_text(self.path, out.getvalue())


def _fmt(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.6g}"
