"""Image paths as the store keeps them: relative to the project file's folder, ``/``-separated.

A path on another drive (Windows) has no relative form and is kept absolute. Images are referenced,
never copied, so a project folder moved together with its images still resolves.
"""

from __future__ import annotations

import os
from pathlib import Path


def to_stored(path: Path | str | None, project_dir: Path) -> str | None:
    """The form kept in ``images.rel_path``: relative to ``project_dir`` where possible; None stays None."""
    if path is None:
        return None
    absolute = os.path.abspath(os.fspath(path))
    try:
        relative = os.path.relpath(absolute, project_dir)
    except ValueError:  # another drive on Windows
        return Path(absolute).as_posix()
    return Path(relative).as_posix()


def resolve(stored: str | None, file_name: str, project_dir: Path) -> Path:
    """Absolute path of a stored image. With no stored path (the source never found the file) it is
    ``project_dir / file_name``, where the image is reported missing until it is relinked."""
    text = stored if stored is not None else file_name
    return Path(os.path.normpath(os.path.join(project_dir, text)))
