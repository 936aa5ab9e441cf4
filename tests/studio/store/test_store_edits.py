"""Edits as commands: each one changes the file, undo restores it row for row, redo re-applies it,
also after closing and reopening; random sequences of edits undo back to the start."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.errors import ProjectError
from studio.store.project import Project


def _first(project: Project, *, status: str | None = None, with_objects: bool = True) -> int:
    for row in project.page(0, 1000, status=status):
        if (row.num_objects > 0) == with_objects:
            return row.id
    raise AssertionError("the fixture dataset lacks such an image")


def _ann(project: Project, *, with_keypoints: bool | None = None, extra_key: str | None = None) -> int:
    for row in project.page(0, 1000):
        sample = project.sample(row.id)  # the same objects in the same (row-id) order, with extras
        for ann, full in zip(project.annotations(row.id), sample.annotations, strict=True):
            extra = full.extra
            if with_keypoints is not None and (ann.keypoints is not None) != with_keypoints:
                continue
            if extra_key is not None and extra_key not in extra:
                continue
            return ann.id
    raise AssertionError("the fixture dataset lacks such an annotation")


EDITS = {
    "add_box": lambda p: p.add_box(_first(p), 7, (1.5, 2.5, 10.25, 20.125), np.ones((3, 3))),
    "add_box_unlabeled": lambda p: p.add_box(_first(p, status="unlabeled", with_objects=False), 3,
                                             (0.0, 0.0, 5.0, 5.0)),
    "set_box": lambda p: p.set_box(_ann(p), (3.0, 4.0, 50.5, 60.75)),
    "delete_box": lambda p: p.delete_box(_ann(p)),
    "set_category": lambda p: p.set_category(_ann(p), 11),
    "set_keypoint_move": lambda p: p.set_keypoint(_ann(p, with_keypoints=True), 1, 9.5, 8.5, 2),
    "set_keypoint_delete": lambda p: p.set_keypoint(_ann(p, with_keypoints=True), 2, 0.0, 0.0, 0),
    "set_keypoint_new": lambda p: p.set_keypoint(_ann(p, with_keypoints=False), 0, 1.0, 2.0, 1),
    "set_keypoints": lambda p: p.set_keypoints(_ann(p), np.full((3, 3), 2.0)),
    "clear_keypoints": lambda p: p.set_keypoints(_ann(p, with_keypoints=True), None),
    "set_status": lambda p: p.set_status(_first(p, status="done"), "in_progress"),
    "set_split": lambda p: p.set_split(_first(p), "test" if p.image(_first(p)).split != "test" else "val"),
    "add_class": lambda p: p.add_class("zebra", "animal"),
    "rename_class": lambda p: p.rename_class(7, "hound"),
    "merge_class": lambda p: p.merge_class(3, 7),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_edit_undo_redo_also_after_reopening(name, dataset, project_path, store_helpers):
    snap = store_helpers.snapshot
    Project.create(project_path, dataset).close()
    before = snap(project_path)
    with Project.open(project_path) as project:
        assert not project.can_undo
        EDITS[name](project)
        assert project.can_undo and not project.can_redo and project.undo_text()
    after = snap(project_path)  # committed: visible to another connection once closed
    assert after != before
    with Project.open(project_path) as project:  # the history survived the close
        assert project.undo()
        assert snap(project_path) == before
        assert project.can_redo and not project.can_undo and project.redo_text()
    with Project.open(project_path) as project:
        assert project.redo()
        assert snap(project_path) == after
        assert not project.redo()
        assert project.undo() and project.redo() and snap(project_path) == after


def test_add_box_on_an_unlabeled_image_marks_it_in_progress(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        image_id = _first(project, status="unlabeled", with_objects=False)
        ann_id = project.add_box(image_id, 3, (1.0, 2.0, 3.0, 4.0))
        row = project.image(image_id)
        assert (row.status, row.num_objects) == ("in_progress", 1)
        assert project.sample(image_id).labeled
        assert [a.id for a in project.annotations(image_id)] == [ann_id]
        project.undo()
        assert (project.image(image_id).status, project.image(image_id).num_objects) == ("unlabeled", 0)
        assert not project.sample(image_id).labeled
        project.redo()
        assert [a.id for a in project.annotations(image_id)] == [ann_id]  # the same row id again


def test_set_box_drops_a_stale_area_but_keeps_a_segmentation_area(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        plain = _ann(project, extra_key="attributes")
        polygon = _ann(project, extra_key="segmentation")
        project.set_box(plain, (0.0, 0.0, 2.0, 2.0))
        project.set_box(polygon, (0.0, 0.0, 2.0, 2.0))
        extras = {a.extra.get("segmentation") is not None: a.extra
                  for s in project.to_dataset().samples for a in s.annotations
                  if "attributes" in a.extra or "segmentation" in a.extra}
        assert "area" not in extras[False] and extras[False]["attributes"] == {"occluded": True}
        assert extras[True]["area"] == 123.5
        project.undo()
        project.undo()
        assert all("area" in a.extra for s in project.to_dataset().samples for a in s.annotations
                   if "attributes" in a.extra)


def test_a_deleted_box_comes_back_with_its_id_so_older_history_still_applies(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        ann_id = _ann(project)
        project.set_box(ann_id, (1.0, 1.0, 2.0, 2.0))
        project.delete_box(ann_id)
        project.add_box(_first(project), 3, (0.0, 0.0, 1.0, 1.0))
        assert project.undo() and project.undo() and project.undo()
        assert project.redo() and project.redo()
        assert ann_id not in {a.id for r in project.page(0, 100) for a in project.annotations(r.id)}
        assert project.undo()
        restored = [a for r in project.page(0, 100) for a in project.annotations(r.id) if a.id == ann_id]
        assert restored[0].box == (1.0, 1.0, 2.0, 2.0)


def test_merge_class_moves_objects_and_undo_restores_the_class(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        counts = project.category_counts()
        project.merge_class(3, 7)
        assert [c.id for c in project.categories()] == [7, 11]
        assert project.category_counts()[7] == counts[3] + counts[7]
        project.undo()
        assert project.categories() == dataset.categories
        assert project.category_counts() == counts


def test_a_new_edit_drops_the_redo_stack_and_labels_follow(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        assert (project.undo_text(), project.redo_text()) == ("", "")
        assert not project.undo() and not project.redo()
        project.add_class("zebra")
        project.rename_class(11, "glider")
        assert project.undo_text() == "Rename class to 'glider'"
        project.undo()
        assert project.redo_text() == "Rename class to 'glider'"
        assert project.undo_text() == "Add class 'zebra'"
        EDITS["set_split"](project)
        assert not project.can_redo
        project.undo()
        project.undo()
        assert [c.name for c in project.categories()] == ["person", "dog", "kite"]


def test_an_edit_that_changes_nothing_is_not_recorded(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        image_id = _first(project, status="done")
        project.set_status(image_id, "done")
        project.rename_class(3, "person")
        assert not project.can_undo


@pytest.mark.parametrize(("edit", "message"), [
    (lambda p: p.set_box(999_999, (0, 0, 1, 1)), "no annotation with id 999999"),
    (lambda p: p.set_box(_ann(p), (5, 0, 1, 1)), "x2 >= x1"),
    (lambda p: p.set_box(_ann(p), (float("nan"), 0, 1, 1)), "not a finite number"),
    (lambda p: p.add_box(_first(p), 99, (0, 0, 1, 1)), "no class with id 99"),
    (lambda p: p.add_box(_first(p), 3, (0, 0, 1, 1), np.ones((2, 3))), r"\(3, 3\)"),
    (lambda p: p.set_status(_first(p), "finished"), "status must be one of"),
    (lambda p: p.set_split(_first(p), "holdout"), "split must be one of"),
    (lambda p: p.set_keypoint(_ann(p), 3, 0, 0, 2), "outside 0..2"),
    (lambda p: p.set_keypoint(_ann(p), 0, 0, 0, 5), "visibility must be"),
    (lambda p: p.add_class("dog"), "already a class named 'dog'"),
    (lambda p: p.add_class("  "), "cannot be empty"),
    (lambda p: p.merge_class(3, 3), "into itself"),
])
def test_bad_edits_are_refused_and_change_nothing(edit, message, dataset, project_path, store_helpers):
    with Project.create(project_path, dataset) as project:
        before = store_helpers.snapshot(project_path)
        with pytest.raises(ProjectError, match=message):
            edit(project)
        assert store_helpers.snapshot(project_path) == before and not project.can_undo


def test_read_only_refuses_every_edit(dataset, project_path):
    Project.create(project_path, dataset).close()
    with Project.open(project_path, readonly=True) as project:
        for name in ("add_box", "set_status", "add_class", "merge_class"):
            with pytest.raises(ProjectError, match="opened read-only"):
                EDITS[name](project)
        with pytest.raises(ProjectError, match="opened read-only"):
            project.undo()
        with pytest.raises(ProjectError, match="opened read-only"):
            project.relink(project_path.parent)


# ---------------------------------------------------------------- random sequences

def _random_edit(project: Project, data: st.DataObject) -> None:
    images = [r.id for r in project.page(0, 100)]
    anns = [a.id for i in images for a in project.annotations(i)]
    cats = [c.id for c in project.categories()]
    kinds = ["add_box", "set_status", "set_split", "add_class", "rename_class"]
    kinds += ["set_box", "delete_box", "set_category", "set_keypoint", "set_keypoints"] if anns else []
    kinds += ["merge_class"] if len(cats) > 1 else []
    kind = data.draw(st.sampled_from(kinds), label="kind")
    coord = st.floats(0, 1000, allow_nan=False, width=64)
    if kind == "add_box":
        x, y, w, h = (data.draw(coord) for _ in range(4))
        image, category = data.draw(st.sampled_from(images)), data.draw(st.sampled_from(cats))
        project.add_box(image, category, (x, y, x + w, y + h))
    elif kind in ("set_box", "delete_box", "set_category", "set_keypoint", "set_keypoints"):
        ann = data.draw(st.sampled_from(anns))
        if kind == "set_box":
            x, y = data.draw(coord), data.draw(coord)
            project.set_box(ann, (x, y, x + 1.5, y + 2.5))
        elif kind == "delete_box":
            project.delete_box(ann)
        elif kind == "set_category":
            project.set_category(ann, data.draw(st.sampled_from(cats)))
        elif kind == "set_keypoint":
            project.set_keypoint(ann, data.draw(st.integers(0, 2)), data.draw(coord), data.draw(coord),
                                 data.draw(st.integers(0, 2)))
        else:
            project.set_keypoints(ann, data.draw(st.sampled_from([None, np.full((3, 3), 1.25)])))
    elif kind in ("set_status", "set_split"):
        image = data.draw(st.sampled_from(images))
        if kind == "set_status":
            project.set_status(image, data.draw(st.sampled_from(["unlabeled", "in_progress", "done"])))
        else:
            project.set_split(image, data.draw(st.sampled_from(["train", "val", "test"])))
    elif kind == "add_class":
        project.add_class(_free_name(project, f"class{data.draw(st.integers(0, 10**6))}"))
    elif kind == "rename_class":
        name = _free_name(project, f"renamed{data.draw(st.integers(0, 10**6))}")
        project.rename_class(data.draw(st.sampled_from(cats)), name)
    else:
        src, dst = data.draw(st.lists(st.sampled_from(cats), min_size=2, max_size=2, unique=True))
        project.merge_class(src, dst)


def _free_name(project: Project, name: str) -> str:
    """``name``, suffixed until no class has it (class names are unique)."""
    taken = {c.name for c in project.categories()}
    while name in taken:
        name += "_"
    return name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=st.integers(1, 12), reopen_at=st.integers(0, 12))
def test_random_edits_undo_to_the_start_and_redo_to_the_end(store_helpers, data, steps, reopen_at):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.tern"
        Project.create(path, store_helpers.make_dataset(Path(tmp) / "data", n_images=5)).close()
        initial = store_helpers.snapshot(path)
        project = Project.open(path)
        try:
            for step in range(steps):
                if step == reopen_at:
                    project.close()
                    project = Project.open(path)
                _random_edit(project, data)
                if data.draw(st.booleans(), label="undo one"):
                    project.undo()  # the next edit drops it from the redo stack
            while project.redo():
                pass
            final = store_helpers.snapshot(path)
            while project.undo():
                pass
            assert store_helpers.snapshot(path) == initial
            project.close()
            project = Project.open(path)
            while project.redo():
                pass
            assert store_helpers.snapshot(path) == final
        finally:
            project.close()


def test_marking_an_empty_image_done_makes_it_labeled_with_no_objects(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        image_id = _first(project, status="unlabeled", with_objects=False)
        done_before = project.count_images(status="done")
        project.set_status(image_id, "done")
        row = project.image(image_id)
        assert (row.status, row.num_objects) == ("done", 0) and project.sample(image_id).labeled
        assert project.count_images(status="done") == done_before + 1
        assert project.undo_text() == "Mark done"
        project.undo()
        assert project.image(image_id).status == "unlabeled" and not project.sample(image_id).labeled
