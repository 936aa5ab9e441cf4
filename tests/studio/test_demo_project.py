"""ensure_demo_project: copies the bundled demo once, makes the project once, reuses both after."""

from __future__ import annotations

import pytest

from studio.demo_project import DEMO_SOURCE, ensure_demo_project
from studio.errors import DatasetNotFoundError
from studio.store.project import Project


def test_makes_the_demo_project_from_the_bundled_dataset(tmp_path):
    path = ensure_demo_project(tmp_path)
    assert path == tmp_path / "demo" / "demo.tern" and path.is_file()
    copied = tmp_path / "demo" / "dataset"
    assert (copied / "data.yaml").read_bytes() == (DEMO_SOURCE / "data.yaml").read_bytes()
    assert len(list(copied.glob("images/*/*.jpg"))) == 24
    project = Project.open(path, readonly=True)
    try:
        assert [c.name for c in project.categories()] == ["ship", "boat"]
        assert project.count_images() == 24
        assert project.count_images(split="val") == 6
        first = project.page(0, 1)[0]
        assert first.path.is_file() and copied in first.path.parents
        assert len(project.annotations(first.id)) == first.num_objects > 0
    finally:
        project.close()


def test_a_second_call_reuses_the_project(tmp_path):
    path = ensure_demo_project(tmp_path)
    stamp = path.stat().st_mtime_ns
    assert ensure_demo_project(tmp_path) == path
    assert path.stat().st_mtime_ns == stamp


def test_a_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="bundled demo"):
        ensure_demo_project(tmp_path / "data", source=tmp_path / "nowhere")
    assert not (tmp_path / "data" / "demo" / "demo.tern").exists()
