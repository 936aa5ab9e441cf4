"""The wheel carries every package and the resources: pyproject lists packages explicitly (so that
resources/ can ship as ``tern_resources``), and this test fails when a new package is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.resources import resource, resources_dir

REPO = Path(__file__).resolve().parents[1]


def test_every_python_package_is_listed_in_pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for root in ("studio", "app")
             for p in (REPO / root).rglob("__init__.py")}
    assert found | {"tern_resources"} == listed


def test_resources_are_found():
    assert resources_dir().is_dir()
    assert (resource("demo") / "data.yaml").is_file()
    assert resource("icons", "tern.svg").is_file()
