"""export_project: a new folder, and back into the source dataset with a byte-exact backup."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from studio.io.dataset import load_dataset
from studio.io.export_project import dataset_folder, export_format, export_project
from studio.resources import resource
from studio.store.project import Project

NOW = datetime(2024, 5, 6, 7, 8, 9)


@pytest.fixture
def source(tmp_path) -> Path:
    """A copy of the demo YOLO dataset (data.yaml, images/<split>, labels/<split>)."""
    folder = tmp_path / "ships"
    shutil.copytree(resource("demo"), folder)
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _edited_project(source: Path) -> tuple[Project, str]:
    """The dataset imported into ``<source>/ships.tern`` with every object of one image deleted;
    returns the project and that image's label path (relative)."""
    dataset, _ = load_dataset(source / "data.yaml")
    project = Project.create(source / "ships.tern", dataset)
    image = next(row for row in project.page() if row.num_objects)
    for ann in project.annotations(image.id):
        project.delete_box(ann.id)
    return project, f"labels/{image.split}/{Path(image.file_name).stem}.txt"


def test_reexport_into_the_source_replaces_labels_and_backs_up_the_old_ones(source):
    before = _snapshot(source)
    project, edited = _edited_project(source)
    with project:
        report = export_project(project, source, "yolo", now=NOW)
    after = _snapshot(source)
    assert report.backup_dir == source / "backup-20240506-070809"
    assert after[edited] == b"" and before[edited] != b""
    backup = _snapshot(report.backup_dir)
    assert backup[edited] == before[edited] and backup["data.yaml"] == before["data.yaml"]
    assert all(before[name] == data for name, data in backup.items())  # byte for byte
    for name, data in before.items():  # nothing deleted; images untouched
        assert name in after
        if name.startswith("images/"):
            assert after[name] == data
    assert not any(p.name.startswith(".tern-export") for p in source.iterdir())
    assert (source / edited) in report.files_written
    assert not any("images" in p.relative_to(source).parts[:1] for p in report.files_written)
    again, _ = load_dataset(source / "data.yaml")
    assert sum(len(s.annotations) for s in again.samples) == sum(r.num_objects for r in _rows(source))


def _rows(source: Path) -> list:
    with Project.open(source / "ships.tern", readonly=True) as project:
        return project.page(limit=1000)


def test_a_second_export_in_the_same_second_gets_its_own_backup(source):
    project, _ = _edited_project(source)
    with project:
        first = export_project(project, source, "yolo", now=NOW)
        second = export_project(project, source, "yolo", now=NOW)
    assert first.backup_dir != second.backup_dir and second.backup_dir.name.endswith("-2")


def test_export_to_a_new_folder_needs_no_backup(source, tmp_path):
    project, _ = _edited_project(source)
    with project:
        coco = export_project(project, tmp_path / "coco", "coco")
        yolo = export_project(project, tmp_path / "yolo", "yolo", images="none")
    assert coco.backup_dir is None and yolo.backup_dir is None
    jsons = sorted(p.name for p in (tmp_path / "coco" / "annotations").iterdir())
    assert jsons == ["person_keypoints_train.json", "person_keypoints_val.json"]
    written = json.loads((tmp_path / "coco" / "annotations" / jsons[0]).read_text())
    assert written["categories"][0]["name"] == "ship"
    assert (tmp_path / "yolo" / "data.yaml") in yolo.files_written
    assert not (tmp_path / "yolo" / "images").exists()
    assert "Wrote" in coco.summary()


def test_backup_false_replaces_without_copying(source):
    project, edited = _edited_project(source)
    with project:
        report = export_project(project, source, "yolo", backup=False)
    assert report.backup_dir is None and (source / edited).read_bytes() == b""
    assert not any(p.name.startswith("backup-") for p in source.iterdir())


def test_the_report_lists_what_was_not_carried(source, tmp_path):
    dataset, _ = load_dataset(source / "data.yaml")
    dataset.samples[0].annotations[0].iscrowd = True
    report = export_project(dataset, tmp_path / "out", "yolo", images="none")
    assert any("crowd" in note for note in report.notes)
    assert "crowd" in report.summary()


def test_the_source_folder_and_format(tmp_path):
    assert dataset_folder(tmp_path / "d" / "data.yaml", "yolo") == tmp_path / "d"
    assert dataset_folder(tmp_path, "yolo") == tmp_path
    assert dataset_folder(tmp_path / "annotations" / "instances_val.json", "coco") == tmp_path
    assert dataset_folder(tmp_path / "x" / "instances_val.json", "coco") == tmp_path / "x"
    assert dataset_folder(tmp_path, "coco-folder") == tmp_path
    assert [export_format(f) for f in ("yolo", "coco", "coco-folder")] == ["yolo", "coco", "coco"]
