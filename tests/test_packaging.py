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


def test_smoke_test_says_which_step_failed(tmp_path, capsys):
    from types import SimpleNamespace

    from app.smoke_test import run_smoke_test

    no_project = SimpleNamespace(show=lambda: None, close=lambda: None, session=SimpleNamespace(project=None))
    assert run_smoke_test(lambda path, dirs: no_project, root=tmp_path) == 1
    assert "smoke test FAILED at opening the demo project: no project is open" in capsys.readouterr().err


def test_smoke_test_reports_an_unexpected_error(tmp_path, capsys):
    from app.smoke_test import run_smoke_test

    def broken(path, dirs):
        raise ModuleNotFoundError("No module named 'app.missing'")

    assert run_smoke_test(broken, root=tmp_path) == 1
    err = capsys.readouterr().err
    assert "smoke test FAILED: ModuleNotFoundError: No module named 'app.missing'" in err
    assert f"work folder kept: {tmp_path}" in err
