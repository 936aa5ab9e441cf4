"""Where the studio keeps its own files, and the little it remembers between runs.

Folders come from platformdirs (``user_data_dir("tern-studio")`` etc.), never the install folder.
Settings are one small json, ``<config>/settings.json``: ``{"last_project": "/abs/path.tern"}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from studio.utils.atomic import atomic_write_text

APP_NAME = "tern-studio"


@dataclass(frozen=True)
class UserDirs:
    """data: the demo project and other user data; config: settings.json; cache: thumbnails."""

    data: Path
    config: Path
    cache: Path

    @classmethod
    def default(cls) -> UserDirs:
        return cls(data=Path(platformdirs.user_data_dir(APP_NAME)),
                   config=Path(platformdirs.user_config_dir(APP_NAME)),
                   cache=Path(platformdirs.user_cache_dir(APP_NAME)))


class Settings:
    """Reads and writes ``<config>/settings.json``; an unreadable file counts as empty."""

    def __init__(self, config_dir: Path) -> None:
        self.path = Path(config_dir) / "settings.json"

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def last_project(self) -> Path | None:
        """The last project opened, if it still exists."""
        value = self._load().get("last_project")
        if not isinstance(value, str):
            return None
        path = Path(value)
        return path if path.is_file() else None

    def set_last_project(self, path: Path) -> None:
        data = self._load()
        data["last_project"] = str(Path(path).resolve())
        atomic_write_text(self.path, json.dumps(data, indent=2) + "\n")
