"""Project.page / count_images with a file-name search and a "contains class X" filter."""

from __future__ import annotations

import sqlite3

from studio.store import queries
from studio.store.project import Project


def _names(rows) -> list[str]:
    return [r.file_name for r in rows]


def test_search_is_a_case_insensitive_substring_of_the_file_name(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        want = sorted(s.file_name for s in dataset.samples if "img_00" in s.file_name)
        assert _names(project.page(0, 100, search="IMG_00")) == want
        assert project.count_images(search="img_00") == len(want) == 10
        assert project.count_images(search="val/") == 4
        assert _names(project.page(0, 100, search="val/", split="val")) == _names(
            project.page(0, 100, split="val"))
        assert project.count_images(search="nothing like this") == 0
        assert project.count_images(search="") == project.count_images() == len(dataset.samples)


def test_like_wildcards_in_the_search_are_literal(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        assert project.count_images(search="%") == 0
        assert project.count_images(search="img%0") == 0
        assert project.count_images(search="_") == len(dataset.samples)  # every name has an underscore
        assert project.count_images(search="g_0") == len(dataset.samples)
        assert project.count_images(search="gx0") == 0  # '_' is not "any character"


def test_class_filter_keeps_images_holding_that_class(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        for cat in dataset.categories:
            want = sorted(s.file_name for s in dataset.samples
                          if any(a.category_id == cat.id for a in s.annotations))
            assert want, "the fixture has every class somewhere"
            assert _names(project.page(0, 100, category_id=cat.id)) == want
            assert project.count_images(category_id=cat.id) == len(want)
        both = project.page(0, 100, category_id=7, split="train", status="done", search="img")
        assert all(r.split == "train" and r.status == "done" for r in both)
        assert len(both) == project.count_images(category_id=7, split="train", status="done", search="img")
        assert project.count_images(category_id=999) == 0


def test_paging_under_a_filter_is_consistent(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        whole = _names(project.page(0, 100, search="img", category_id=3))
        pieces = [n for off in range(0, 12, 2)
                  for n in _names(project.page(off, 2, search="img", category_id=3))]
        assert pieces == whole


def test_the_class_filter_reads_the_class_index_once(dataset, project_path):
    Project.create(project_path, dataset).close()
    conn = sqlite3.connect(project_path)
    try:
        where, params = queries._where(None, None, None, 3)  # the clause count_images and page use
        sql = f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM images i{where}"
        plan = " ".join(str(r) for r in conn.execute(sql, params))
    finally:
        conn.close()
    assert "idx_annotations_category" in plan and "CORRELATED" not in plan
