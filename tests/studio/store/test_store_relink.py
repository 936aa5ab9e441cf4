"""Missing images and relinking them: by relative-path suffix, then by a unique basename; undoable."""

from __future__ import annotations

import shutil
import sqlite3

from studio.store.project import Project


def _stored_paths(path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT rel_path FROM images ORDER BY id")]
    finally:
        conn.close()


def test_relink_by_path_suffix_after_moving_the_images(tmp_path, dataset, project_path):
    with Project.create(project_path, dataset) as project:
        assert project.missing_images() == []
        shutil.move(tmp_path / "data", tmp_path / "elsewhere" / "renamed")
        missing = project.missing_images()
        assert [r.file_name for r in missing] == sorted(s.file_name for s in dataset.samples)
        assert project.relink(tmp_path / "elsewhere" / "renamed") == len(dataset.samples)
        assert project.missing_images() == []
        for row in project.page(0, 100):
            assert row.path.is_file() and (tmp_path / "elsewhere" / "renamed" / "images") in row.path.parents
        assert _stored_paths(project_path)[0] == "../elsewhere/renamed/images/train/img_000.jpg"
        assert project.undo_text() == f"Relink {len(dataset.samples)} images"
        project.undo()
        assert len(project.missing_images()) == len(dataset.samples)
        project.redo()
        assert project.missing_images() == []
        assert project.relink(tmp_path) == 0  # nothing left to find


def test_relink_by_unique_basename_and_skip_ambiguous_names(tmp_path, dataset, project_path):
    with Project.create(project_path, dataset) as project:
        flat = tmp_path / "flat"
        flat.mkdir()
        for path in (tmp_path / "data").rglob("*.jpg"):
            target = flat / ("a" if path.name == "img_001.jpg" else "") / path.name
            target.parent.mkdir(exist_ok=True)
            shutil.move(path, target)
        (flat / "b").mkdir()
        shutil.copy(flat / "a" / "img_001.jpg", flat / "b" / "img_001.jpg")  # two candidates: ambiguous
        found = project.relink(flat)
        assert found == len(dataset.samples) - 1
        assert [r.file_name for r in project.missing_images()] == ["val/img_001.jpg"]


def test_relink_finds_only_some_and_leaves_the_rest_missing(tmp_path, dataset, project_path):
    with Project.create(project_path, dataset) as project:
        keep = tmp_path / "keep"
        shutil.move(tmp_path / "data", keep)
        for path in keep.rglob("img_00*.jpg"):
            path.unlink()
        found = project.relink(keep)
        assert found == len(dataset.samples) - 10
        assert len(project.missing_images()) == 10
        assert all(r.path.name.startswith("img_00") for r in project.missing_images())


def test_image_id_for_path_finds_the_file_and_links_to_it(tmp_path, dataset, project_path):
    with Project.create(project_path, dataset) as project:
        rows = project.page(0, 100)
        target = rows[3]
        assert project.image_id_for_path(target.path) == target.id
        link = tmp_path / "run" / "dataset" / "images" / "val" / "linked.jpg"  # a run's linked dataset
        link.parent.mkdir(parents=True)
        link.symlink_to(target.path)
        assert project.image_id_for_path(link) == target.id
        assert project.image_id_for_path(tmp_path / "nowhere.jpg") is None
