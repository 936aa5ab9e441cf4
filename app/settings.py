"""Where the studio keeps its own files, and the little it remembers between runs.

Folders come from platformdirs (``user_data_dir("tern-studio")`` etc.), never the install folder.
Settings are one small json, ``<config>/settings.json``: ``{"last_project": "/abs/path.tern",
"recent_projects": ["/abs/newest.tern", ...], "class_colors": {"/abs/path.tern": {"<category id>":
"#rrggbb"}}}`` (recent: at most RECENT_LIMIT).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from studio.utils.atomic import atomic_write_text

APP_NAME = "tern-studio"
RECENT_LIMIT = 10


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
        """Remember ``path`` as the last project and put it first among the recent ones."""
        data = self._load()
        data["last_project"] = str(Path(path).resolve())
        recent = [p for p in _recent(data) if p != data["last_project"]]
        data["recent_projects"] = [data["last_project"], *recent][:RECENT_LIMIT]
        atomic_write_text(self.path, json.dumps(data, indent=2) + "\n")

    def recent_projects(self) -> list[Path]:
        """Recent projects, newest first, that still exist (missing ones are pruned from the file)."""
        data = self._load()
        listed = _recent(data)
        kept = [p for p in listed if Path(p).is_file()]
        if kept != listed:
            data["recent_projects"] = kept
            atomic_write_text(self.path, json.dumps(data, indent=2) + "\n")
        return [Path(p) for p in kept]

    def class_colors(self, project_path: Path) -> dict[int, str]:
        """The colours the user chose for a project's classes: category id -> ``#rrggbb``."""
        chosen = self._load().get("class_colors")
        colors = chosen.get(str(Path(project_path).resolve())) if isinstance(chosen, dict) else None
        if not isinstance(colors, dict):
            return {}
        return {int(k): v for k, v in colors.items() if k.lstrip("-").isdigit() and isinstance(v, str)}

    def set_class_color(self, project_path: Path, category_id: int, color: str | None) -> None:
        """Remember ``color`` (``#rrggbb``) for class ``category_id`` of a project; None forgets it."""
        data = self._load()
        chosen = data.get("class_colors") if isinstance(data.get("class_colors"), dict) else {}
        key = str(Path(project_path).resolve())
        colors = chosen.get(key) if isinstance(chosen.get(key), dict) else {}
        if color is None:
            colors.pop(str(category_id), None)
        else:
            colors[str(category_id)] = color
        chosen[key] = colors
        data["class_colors"] = chosen
        atomic_write_text(self.path, json.dumps(data, indent=2) + "\n")


def _recent(data: dict) -> list[str]:
    value = data.get("recent_projects")
    return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []
