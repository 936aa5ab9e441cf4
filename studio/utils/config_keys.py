"""The one check every config's ``from_dict`` makes: no keys the dataclass does not know (a typo in a
config file is an error that names the key, not a silently ignored value)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from studio.errors import ConfigError


def check_keys(cls: type, data: dict[str, Any], what: str) -> None:
    """ConfigError naming the keys of ``data`` that are not fields of the dataclass ``cls``."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"unknown {what} keys: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
