"""Row operations: what a command does to the tables, as JSON-ready dicts, and how to run and invert them.

Forms (``table`` is one of ``schema.COLUMNS``; values are JSON values, BLOB columns as base64 text):

* ``{"op": "insert", "table": T, "row": {column: value, ...}}`` (the row includes its ``id``, so a
  re-inserted row gets the SAME id back and later history still applies);
* ``{"op": "delete", "table": T, "row": {...}}`` (the whole row, so it can be re-inserted);
* ``{"op": "update", "table": T, "id": N, "old": {column: value}, "new": {column: value}}``;
* ``{"op": "update_many", "table": T, "ids": [N, ...], "old": {...}, "new": {...}}`` (rows that share
  the same old and new values, e.g. every annotation moved by a class merge);
* ``{"op": "meta", "key": K, "old": text | None, "new": text | None}``: a ``meta`` value (its JSON
  text; None = no such key), e.g. kpt_shape / flip_idx set by a skeleton change.

Running an update or delete checks that the row still holds the values the operation expects, so a
history that no longer matches the project fails loudly (ProjectError) instead of corrupting it.
"""

from __future__ import annotations

import base64
import sqlite3
from typing import Any

from studio.errors import ProjectError
from studio.store.schema import BLOB_COLUMNS, COLUMNS

Op = dict[str, Any]


def to_json_value(table: str, column: str, value: Any) -> Any:
    """A stored column value as JSON (BLOB -> base64 text)."""
    if value is not None and column in BLOB_COLUMNS.get(table, ()):
        return base64.b64encode(value).decode("ascii")
    return value


def from_json_value(table: str, column: str, value: Any) -> Any:
    """The inverse of ``to_json_value``."""
    if value is not None and column in BLOB_COLUMNS.get(table, ()):
        return base64.b64decode(value)
    return value


def to_json_values(table: str, values: dict[str, Any]) -> dict[str, Any]:
    """Stored column values -> JSON-ready values (BLOBs to base64)."""
    return {k: to_json_value(table, k, v) for k, v in values.items()}


def read_row(conn: sqlite3.Connection, table: str, row_id: int) -> dict[str, Any] | None:
    """The whole row ``row_id`` of ``table`` as JSON-ready values, or None when there is none."""
    columns = COLUMNS[table]
    found = conn.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if found is None:
        return None
    return to_json_values(table, dict(zip(columns, found, strict=True)))


def insert(table: str, row: dict[str, Any]) -> Op:
    return {"op": "insert", "table": table, "row": row}


def delete(table: str, row: dict[str, Any]) -> Op:
    return {"op": "delete", "table": table, "row": row}


def update(table: str, row_id: int, old: dict[str, Any], new: dict[str, Any]) -> Op:
    return {"op": "update", "table": table, "id": row_id, "old": old, "new": new}


def update_many(table: str, ids: list[int], old: dict[str, Any], new: dict[str, Any]) -> Op:
    return {"op": "update_many", "table": table, "ids": ids, "old": old, "new": new}


def meta(key: str, old: str | None, new: str | None) -> Op:
    return {"op": "meta", "key": key, "old": old, "new": new}


def invert(op: Op) -> Op:
    """The operation that undoes ``op``."""
    kind = op["op"]
    if kind == "meta":
        return meta(op["key"], op["new"], op["old"])
    if kind == "insert":
        return delete(op["table"], op["row"])
    if kind == "delete":
        return insert(op["table"], op["row"])
    if kind == "update":
        return update(op["table"], op["id"], op["new"], op["old"])
    if kind == "update_many":
        return update_many(op["table"], op["ids"], op["new"], op["old"])
    raise ProjectError(f"unknown row operation {kind!r} in the project's history")


def inverse(ops: list[Op]) -> list[Op]:
    """The operations that undo ``ops`` (run after them): each inverted, in reverse order."""
    return [invert(op) for op in reversed(ops)]


def run(conn: sqlite3.Connection, ops: list[Op]) -> None:
    """Run ``ops`` in order on ``conn`` (inside the caller's transaction)."""
    for op in ops:
        _RUNNERS[op["op"]](conn, op)


def _check_table(table: str, values: dict[str, Any]) -> None:
    unknown = set(values) - set(COLUMNS.get(table, ()))
    if table not in COLUMNS or unknown:
        raise ProjectError(f"row operation on {table!r} names unknown columns {sorted(unknown)}")


def _run_insert(conn: sqlite3.Connection, op: Op) -> None:
    table, row = op["table"], op["row"]
    _check_table(table, row)
    names = list(row)
    try:
        conn.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                     [from_json_value(table, k, row[k]) for k in names])
    except sqlite3.IntegrityError as exc:
        raise ProjectError(f"cannot insert {table} row {row.get('id')}: {exc}") from exc


def _where(table: str, values: dict[str, Any]) -> tuple[str, list[Any]]:
    params = [from_json_value(table, k, v) for k, v in values.items()]
    return " AND ".join(f"{k} IS ?" for k in values), params


def _run_delete(conn: sqlite3.Connection, op: Op) -> None:
    table, row = op["table"], op["row"]
    _check_table(table, row)
    where, params = _where(table, row)
    try:
        cursor = conn.execute(f"DELETE FROM {table} WHERE {where}", params)
    except sqlite3.IntegrityError as exc:
        raise ProjectError(f"cannot delete {table} row {row.get('id')}: {exc}") from exc
    if cursor.rowcount != 1:
        raise _mismatch(table, row.get("id"))


def _run_update(conn: sqlite3.Connection, op: Op) -> None:
    table, old, new = op["table"], op["old"], op["new"]
    _check_table(table, {**old, **new})
    ids = [op["id"]] if op["op"] == "update" else op["ids"]
    sets = ", ".join(f"{k} = ?" for k in new)
    where, expected = _where(table, old)
    values = [from_json_value(table, k, v) for k, v in new.items()]
    sql = f"UPDATE {table} SET {sets} WHERE id = ?" + (f" AND {where}" if where else "")
    before = conn.total_changes
    try:
        conn.executemany(sql, ([*values, row_id, *expected] for row_id in ids))
    except sqlite3.IntegrityError as exc:
        raise ProjectError(f"cannot update {table} rows {ids[:5]}: {exc}") from exc
    if conn.total_changes - before != len(ids):
        raise _mismatch(table, ids[0] if len(ids) == 1 else ids[:5])


def _mismatch(table: str, row_id: Any) -> ProjectError:
    return ProjectError(f"the project's edit history does not match {table} row {row_id} (was the file "
                        "changed by another program?); undo/redo stopped, the project itself is intact")


def _run_meta(conn: sqlite3.Connection, op: Op) -> None:
    found = conn.execute("SELECT value FROM meta WHERE key = ?", (op["key"],)).fetchone()
    if (found[0] if found else None) != op["old"]:
        raise _mismatch("meta", op["key"])
    if op["new"] is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (op["key"],))
    else:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (op["key"], op["new"]))


_RUNNERS = {"insert": _run_insert, "delete": _run_delete, "update": _run_update,
            "update_many": _run_update, "meta": _run_meta}
