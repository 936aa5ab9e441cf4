"""Where the bundled, read-only resources are: ``resources/`` in a checkout, the package
``tern_resources`` in an installed wheel (pyproject maps one onto the other)."""

from __future__ import annotations

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1] / "resources"


def resources_dir() -> Path:
    """The folder holding ``demo/`` and ``icons/``."""
    if (_CHECKOUT / "__init__.py").is_file():
        return _CHECKOUT
    from importlib.resources import files

    return Path(str(files("tern_resources")))


def resource(*parts: str) -> Path:
    """A path inside the resources folder, e.g. ``resource("demo")``."""
    return resources_dir().joinpath(*parts)
