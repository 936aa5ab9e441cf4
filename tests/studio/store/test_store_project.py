"""Project.create / open / reads: lossless round trip, paging and filters, relative paths, errors."""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pytest

from studio.annotations import Annotation, Category, Dataset, Sample
from studio.errors import ProjectError
from studio.store.project import Project
from studio.store.schema import SCHEMA_VERSION


def test_a_dataset_comes_back_field_by_field(dataset, project_path, store_helpers):
    with Project.create(project_path, dataset) as project:
        store_helpers.assert_same_dataset(project.to_dataset(), dataset)
    with Project.open(project_path, readonly=True) as project:  # and after reopening
        store_helpers.assert_same_dataset(project.to_dataset(), dataset)


def test_reads_match_the_dataset(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        assert project.categories() == dataset.categories
        assert project.kpt_shape == (3, 3) and project.flip_idx == (0, 2, 1)
        assert project.count_images() == len(dataset.samples)
        rows = project.page(0, 1000)
        assert [r.file_name for r in rows] == sorted(s.file_name for s in dataset.samples)
        by_name = {s.file_name: s for s in dataset.samples}
        for row in rows:
            want = by_name[row.file_name]
            assert (row.path, row.width, row.height, row.split, row.status, row.num_objects) == (
                want.path, want.width, want.height, want.split, want.status, len(want.annotations))
            anns = project.annotations(row.id)
            assert [a.box for a in anns] == [a.box for a in want.annotations]
            assert [a.coco_id for a in anns] == [a.id for a in want.annotations]
            assert all(a.image_id == row.id for a in anns)
            sample = project.sample(row.id)
            assert sample.extra == want.extra and sample.id == want.id
            assert [a.extra for a in sample.annotations] == [a.extra for a in want.annotations]
        counts = project.category_counts()
        assert counts == {c.id: sum(a.category_id == c.id for s in dataset.samples for a in s.annotations)
                          for c in dataset.categories if c.id in counts}
        assert sum(counts.values()) == sum(len(s.annotations) for s in dataset.samples)


def test_page_and_count_filter_by_split_and_status(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        for split in ("train", "val", "test", None):
            for status in ("unlabeled", "in_progress", "done", None):
                want = sorted(s.file_name for s in dataset.samples
                              if split in (None, s.split) and status in (None, s.status))
                assert project.count_images(split=split, status=status) == len(want)
                got = [r.file_name for r in project.page(0, 100, split=split, status=status)]
                assert got == want
                assert all(r.split == split for r in project.page(0, 100, split=split)) or split is None
        names = [r.file_name for r in project.page(0, 100)]
        assert [r.file_name for r in project.page(3, 4)] == names[3:7]
        assert project.page(100, 10) == []


def test_done_without_objects_differs_from_unlabeled(tmp_path):
    a = Sample("a.jpg", tmp_path / "a.jpg", 10, 10, status="done", labeled=True)
    b = Sample("b.jpg", tmp_path / "b.jpg", 10, 10, status="unlabeled", labeled=False)
    data = Dataset([Category(1, "x")], [a, b])
    with Project.create(tmp_path / "p.tern", data) as project:
        done, unlabeled = project.page()
        assert (done.status, done.num_objects) == ("done", 0)
        assert (unlabeled.status, unlabeled.num_objects) == ("unlabeled", 0)
        assert project.count_images(status="done") == 1 and project.count_images(status="unlabeled") == 1
        back = project.to_dataset().samples
        assert [(s.status, s.labeled) for s in back] == [("done", True), ("unlabeled", False)]


def test_paths_are_stored_relative_and_survive_moving_the_folder(tmp_path, store_helpers):
    data = store_helpers.make_dataset(tmp_path / "work" / "data", n_images=4)
    with Project.create(tmp_path / "work" / "p.tern", data):
        pass
    conn = sqlite3.connect(tmp_path / "work" / "p.tern")
    stored = [r[0] for r in conn.execute("SELECT rel_path FROM images ORDER BY id")]
    conn.close()
    assert stored[0] == "data/images/train/img_000.jpg"
    shutil.move(tmp_path / "work", tmp_path / "moved")
    with Project.open(tmp_path / "moved" / "p.tern") as project:
        assert project.missing_images() == []
        rows = project.page()
        assert all(r.path.is_file() and (tmp_path / "moved") in r.path.parents for r in rows)
        assert project.to_dataset().root == tmp_path / "moved" / "data"


def test_an_image_the_source_never_found_is_missing_and_exports_without_path(tmp_path):
    data = Dataset([Category(1, "x")], [Sample("lost/a.jpg", None, 10, 10)])
    with Project.create(tmp_path / "p.tern", data) as project:
        assert [r.file_name for r in project.missing_images()] == ["lost/a.jpg"]
        assert project.to_dataset().samples[0].path is None


def test_float64_boxes_and_keypoints_are_exact(tmp_path):
    box = (0.1 + 0.2, 1e-300, np.nextafter(5.0, 6.0), 1234567.123456789)
    kpts = np.array([[np.pi, np.e, 2.0]])
    data = Dataset([Category(1, "x", keypoints=("a",))],
                   [Sample("a.jpg", tmp_path / "a.jpg", 10, 10, annotations=[Annotation(1, box, kpts)])],
                   kpt_shape=(1, 3))
    with Project.create(tmp_path / "p.tern", data) as project:
        ann = project.to_dataset().samples[0].annotations[0]
        assert ann.box == tuple(float(v) for v in box)
        assert ann.keypoints.tobytes() == kpts.tobytes()


def test_create_refuses_an_existing_file_and_leaves_no_partial_file(dataset, project_path):
    Project.create(project_path, dataset).close()
    with pytest.raises(ProjectError, match="already exists"):
        Project.create(project_path)
    stray = Annotation(9, (0, 0, 1, 1))
    bad = Dataset([Category(1, "x")], [Sample("a.jpg", None, 1, 1, annotations=[stray])])
    other = project_path.with_name("bad.tern")
    with pytest.raises(ProjectError, match="class id 9"):
        Project.create(other, bad)
    assert not other.exists()
    left = sorted(p.name for p in project_path.parent.iterdir() if p.suffix != ".lock")
    assert left == ["p.tern"]
    Project.create(other, Dataset([Category(1, "x")], [])).close()  # the lock was released


def test_open_refuses_missing_foreign_and_newer_files(tmp_path, dataset):
    with pytest.raises(ProjectError, match="no project file"):
        Project.open(tmp_path / "nope.tern")
    text = tmp_path / "text.tern"
    text.write_text("not sqlite at all, just text " * 100)
    with pytest.raises(ProjectError, match="not a Tern project"):
        Project.open(text)
    foreign = tmp_path / "foreign.tern"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(ProjectError, match="not a Tern project"):
        Project.open(foreign, readonly=True)
    newer = tmp_path / "newer.tern"
    Project.create(newer, dataset).close()
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    with pytest.raises(ProjectError, match="newer Tern Studio"):
        Project.open(newer)
    # a refused open released its lock: fixing the file makes it open for writing again
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
    conn.commit()
    conn.close()
    Project.open(newer).close()


def test_import_dataset_adds_to_an_existing_project(tmp_path, store_helpers):
    first = store_helpers.make_dataset(tmp_path / "a", n_images=3)
    second = store_helpers.make_dataset(tmp_path / "b", n_images=5, seed=1)
    with Project.create(tmp_path / "p.tern", first) as project:
        assert project.import_dataset(second) == 5
        assert project.count_images() == 8
        back = project.to_dataset()
        assert [s.path for s in back.samples] == [s.path for s in first.samples + second.samples]
        clash = Dataset([Category(3, "cat")], [])
        with pytest.raises(ProjectError, match="class id 3"):
            project.import_dataset(clash)
