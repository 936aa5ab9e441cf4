"""The persisted undo stack: the ``history`` table, one row per applied command.

Rows with ``state = 'done'`` are the undo stack (newest = highest id), rows with ``state = 'undone'``
the redo stack (next to redo = lowest id); every 'done' id is below every 'undone' id. Recording a new
command deletes the 'undone' tail. The payload is JSON ``{"forward": [op...], "inverse": [op...]}``.
All functions run inside the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3

from studio.store import ops
from studio.store.codec import dumps
from studio.store.ops import Op


def record(conn: sqlite3.Connection, kind: str, label: str, forward: list[Op]) -> None:
    """Push an applied command (its forward ops already ran) and drop what could be redone."""
    conn.execute("DELETE FROM history WHERE state = 'undone'")
    payload = dumps({"forward": forward, "inverse": ops.inverse(forward)})
    conn.execute("INSERT INTO history (kind, label, payload, state) VALUES (?, ?, ?, 'done')",
                 (kind, label, payload))


def drop_redo(conn: sqlite3.Connection) -> None:
    """Forget the redo stack (after a change that is not a command, e.g. a bulk import)."""
    conn.execute("DELETE FROM history WHERE state = 'undone'")


def _top(conn: sqlite3.Connection, state: str) -> tuple[int, str, str] | None:
    order = "DESC" if state == "done" else "ASC"
    return conn.execute(f"SELECT id, label, payload FROM history WHERE state = ? ORDER BY id {order} "
                        "LIMIT 1", (state,)).fetchone()


def undo(conn: sqlite3.Connection) -> bool:
    """Run the inverse of the newest done command; False when there is none."""
    top = _top(conn, "done")
    if top is None:
        return False
    ops.run(conn, json.loads(top[2])["inverse"])
    conn.execute("UPDATE history SET state = 'undone' WHERE id = ?", (top[0],))
    return True


def redo(conn: sqlite3.Connection) -> bool:
    """Run again the oldest undone command; False when there is none."""
    top = _top(conn, "undone")
    if top is None:
        return False
    ops.run(conn, json.loads(top[2])["forward"])
    conn.execute("UPDATE history SET state = 'done' WHERE id = ?", (top[0],))
    return True


def label(conn: sqlite3.Connection, state: str) -> str:
    """The label of what undo ('done') or redo ('undone') would do next, or '' when nothing."""
    found = conn.execute(f"SELECT label FROM history WHERE state = ? ORDER BY id "
                         f"{'DESC' if state == 'done' else 'ASC'} LIMIT 1", (state,)).fetchone()
    return found[0] if found else ""
