"""Typed, actionable errors raised by the core (DESIGN rule 9)."""

from __future__ import annotations

from pathlib import Path


class StudioError(Exception):
    """Base of every error the core raises on purpose; its message says what to do."""


class DatasetFormatError(StudioError):
    """A dataset file is malformed: ``path``, ``line`` (1-based, or None) and ``reason``."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line else f"{self.path}"
        super().__init__(f"{where}: {reason}")


class DatasetNotFoundError(StudioError):
    """The path given as a dataset cannot be read at all."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ProjectLockedError(StudioError):
    """Another process has the project open for writing."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        super().__init__(
            f"{self.path} is open for writing in another Tern Studio window or process. "
            "Close it there first, or open this project read-only."
        )


class ProjectError(StudioError):
    """The project file is missing, not a Tern project, or of a newer version."""


class CheckpointError(StudioError):
    """A weights file is missing, corrupt, or not a Tern checkpoint."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ConfigError(StudioError):
    """A run option or config file has a value that cannot work; the message names it."""


class ExportError(StudioError):
    """An export cannot be made as asked (e.g. --half without CUDA) or its parity check failed."""


class RawFileError(StudioError):
    """A RAW file cannot be used: ``path`` and ``reason`` (unsupported, truncated, not Bayer, ...)."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
