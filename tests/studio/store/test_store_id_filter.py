"""Project.page / count_images restricted to a set of image ids (the images dock's "with problems"
filter): alone, with the other filters, empty, changed, on a read-only project, and the query plan."""

from __future__ import annotations

import sqlite3

from studio.store import checks, queries
from studio.store.project import Project


def _ids(rows) -> list[int]:
    return [r.id for r in rows]


def test_only_the_given_images_in_file_name_order(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        every = project.page(0, 100)
        chosen = frozenset(r.id for r in every[1::3])
        assert _ids(project.page(0, 100, image_ids=chosen)) == [r.id for r in every if r.id in chosen]
        assert project.count_images(image_ids=chosen) == len(chosen) == 4
        assert project.count_images(image_ids=None) == len(every)  # None: no restriction
        pieces = [i for off in range(0, 4) for i in _ids(project.page(off, 1, image_ids=chosen))]
        assert pieces == _ids(project.page(0, 100, image_ids=chosen))


def test_an_empty_set_gives_no_rows(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        assert project.page(0, 100, image_ids=frozenset()) == []
        assert project.count_images(image_ids=frozenset()) == 0
        assert project.count_images(image_ids=frozenset({10**9})) == 0  # an id no image has


def test_ids_combine_with_split_search_status_and_class(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        every = project.page(0, 100)
        chosen = frozenset(r.id for r in every[::2])
        for filters in ({"split": "val"}, {"search": "IMG_00"}, {"status": "done", "split": "train"},
                        {"category_id": 3, "search": "img"}):
            want = [r.id for r in project.page(0, 100, **filters) if r.id in chosen]
            assert _ids(project.page(0, 100, image_ids=chosen, **filters)) == want, filters
            assert project.count_images(image_ids=chosen, **filters) == len(want), filters
        assert want, "the last combination keeps something"


def test_a_new_set_replaces_the_old_one_and_edits_do_not_disturb_it(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        every = project.page(0, 100)
        first, second = frozenset({every[0].id, every[5].id}), {every[2].id}  # a plain set works too
        assert _ids(project.page(0, 100, image_ids=first)) == [every[0].id, every[5].id]
        assert _ids(project.page(0, 100, image_ids=second)) == [every[2].id]
        assert project.count_images(image_ids=first) == 2
        project.set_status(every[0].id, "unlabeled")  # an edit commits between filtered reads
        assert _ids(project.page(0, 100, image_ids=first, status="unlabeled")) == [every[0].id]
        project.undo()
        assert project.count_images(image_ids=first, status="unlabeled") == 0


def test_a_read_only_project_filters_by_ids_and_its_file_is_untouched(dataset, project_path, store_helpers):
    Project.create(project_path, dataset).close()
    before = store_helpers.snapshot(project_path)
    with Project.open(project_path, readonly=True) as project:
        chosen = frozenset(r.id for r in project.page(0, 3))
        assert project.count_images(image_ids=chosen) == 3
    assert store_helpers.snapshot(project_path) == before


def test_problem_image_ids_are_the_images_the_check_names(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        before = checks.problem_image_ids(project.problems())  # the fixture's own
        clean = [r for r in project.page(0, 100) if r.id not in before]
        a, b = clean[0], clean[1]
        project.add_box(a.id, 3, (5.0, 5.0, 5.0, 9.0))  # empty
        project.add_box(a.id, 3, (-50.0, 5.0, 20.0, 9.0))  # outside: a second problem, same image
        project.add_box(b.id, 3, (1.0, 1.0, 1.0, 1.0))
        problems = project.problems()
        ids = checks.problem_image_ids(problems)
        assert ids == before | {a.id, b.id} == {p.image_id for p in problems}
        assert len(problems) > len(ids)
        listed = project.page(0, 100, image_ids=ids)
        assert {r.id for r in listed} == ids and len(listed) == len(ids)
        assert checks.problem_image_ids([]) == frozenset()


def _plan(conn: sqlite3.Connection, held: int) -> str:
    where, params = queries._where(None, None, None, None, held_ids=held)  # the clause page uses
    sql = f"EXPLAIN QUERY PLAN SELECT i.id FROM images i{where} ORDER BY i.file_name, i.id LIMIT 9"
    return " ".join(str(r) for r in conn.execute(sql, params))


def test_few_ids_are_read_first_and_many_are_probed_in_file_name_order(dataset, project_path):
    Project.create(project_path, dataset).close()
    conn = sqlite3.connect(project_path)
    try:
        queries.hold_filter_ids(conn, frozenset({1, 2}), None)
        few, many = _plan(conn, 2), _plan(conn, queries.ID_DRIVE_LIMIT + 1)
    finally:
        conn.close()
    assert "SEARCH i USING INTEGER PRIMARY KEY" in few and "filter_ids" in few
    assert "idx_images_file_name" in many and "filter_ids" in many and "TEMP B-TREE" not in many


def test_a_large_id_set_gives_the_same_rows(dataset, project_path, monkeypatch):
    with Project.create(project_path, dataset) as project:
        chosen = frozenset(r.id for r in project.page(0, 100)[::2])
        want = _ids(project.page(0, 100, image_ids=chosen, split="train"))
        monkeypatch.setattr(queries, "ID_DRIVE_LIMIT", 2)  # the other plan for the same set
        assert _ids(project.page(0, 100, image_ids=chosen, split="train")) == want
        assert project.count_images(image_ids=chosen, split="train") == len(want) > 0
