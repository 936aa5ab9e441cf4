"""Figures of a whole project for the statistics panel, straight from SQL.

``box_sizes`` returns an ``(N, 3)`` float64 array of box width, height (pixels, from xyxy) and
category id, evenly thinned to about ``limit`` rows by row id so a scatter plot of a 100k-image
project stays quick to draw; ``total`` is how many boxes the project holds.
"""

from __future__ import annotations

import math
import sqlite3

import numpy as np


def box_sizes(conn: sqlite3.Connection, limit: int = 20_000) -> tuple[np.ndarray, int]:
    """(sizes, total): sizes rows are (width, height, category_id), every ``ceil(total/limit)``-th
    object by row id; total is the project's object count. ``Project.box_sizes`` calls this."""
    total = conn.execute("SELECT COUNT(*) FROM annotations").fetchone()[0]
    step = max(1, math.ceil(total / max(1, limit)))
    sql = "SELECT x2 - x1, y2 - y1, category_id FROM annotations"
    rows = conn.execute(sql + " WHERE id % ? = 0", (step,)) if step > 1 else conn.execute(sql)
    return np.asarray(rows.fetchall(), dtype=np.float64).reshape(-1, 3), total
