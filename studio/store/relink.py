"""Find moved images under a folder: first by the longest matching suffix of their stored relative path
(or source file name), then by a basename that is unique both under the folder and among the missing."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from studio.store.rows import ImageRow


def _suffix_parts(row: ImageRow, stored: str | None) -> list[list[str]]:
    """Path component lists to try as suffixes, most specific first, without '..' / anchors."""
    out = []
    for text in (stored, row.file_name):
        if text:
            parts = [p for p in PurePosixPath(text.replace("\\", "/")).parts
                     if p not in ("..", ".", "/") and not p.endswith(":") and not p.endswith(":/")]
            if parts and parts not in out:
                out.append(parts)
    return out


def _by_suffix(row: ImageRow, stored: str | None, folder: Path) -> Path | None:
    for parts in _suffix_parts(row, stored):
        for k in range(len(parts), 0, -1):
            candidate = folder.joinpath(*parts[-k:])
            if candidate.is_file():
                return candidate
    return None


def _files_by_name(folder: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for current, _dirs, files in os.walk(folder):
        for name in files:
            found.setdefault(name, []).append(os.path.join(current, name))
    return found


def find_moved(missing: Iterable[tuple[ImageRow, str | None]], folder: Path | str) -> dict[int, Path]:
    """image id -> the file found for it under ``folder``, for the missing images given as
    (row, stored relative path) pairs. Images with no match, or an ambiguous basename, are left out."""
    folder = Path(os.path.abspath(folder))
    found: dict[int, Path] = {}
    left: list[ImageRow] = []
    for row, stored in missing:
        hit = _by_suffix(row, stored, folder)
        if hit is not None:
            found[row.id] = hit
        else:
            left.append(row)
    if not left:
        return found
    files = _files_by_name(folder)
    wanted = Counter(r.path.name for r in left)
    for row in left:
        paths = files.get(row.path.name, [])
        if len(paths) == 1 and wanted[row.path.name] == 1:
            found[row.id] = Path(paths[0])
    return found
