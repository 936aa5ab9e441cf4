"""Project.set_skeleton (an undoable command over categories and meta) and Project.source."""

from __future__ import annotations

import numpy as np
import pytest

from studio.errors import ProjectError
from studio.skeletons import COCO17
from studio.store.project import Project


def _without_keypoints(dataset):
    for sample in dataset.samples:
        for i, ann in enumerate(sample.annotations):
            sample.annotations[i] = type(ann)(ann.category_id, ann.box, None, ann.iscrowd, ann.id, ann.extra)
    return dataset


def test_set_skeleton_sets_every_class_and_meta_and_undo_restores(dataset, project_path, store_helpers):
    _without_keypoints(dataset)
    with Project.create(project_path, dataset) as project:
        before = store_helpers.snapshot(project_path)
        project.set_skeleton(COCO17.names, COCO17.edges, COCO17.flip_idx)
        assert project.kpt_shape == (17, 3) and project.flip_idx == COCO17.flip_idx
        for cat in project.categories():
            assert cat.keypoints == COCO17.names and cat.skeleton == COCO17.edges
        assert project.undo_text() == "Set skeleton"
        assert project.undo()
        assert store_helpers.snapshot(project_path) == before
        assert project.kpt_shape == (3, 3) and project.flip_idx == (0, 2, 1)
        assert project.redo() and project.kpt_shape == (17, 3)
    with Project.open(project_path) as again:  # survives reopening, undo included
        assert again.kpt_shape == (17, 3) and again.categories()[0].keypoints == COCO17.names
        assert again.undo() and again.kpt_shape == (3, 3)


def test_renaming_keypoints_keeps_k_and_is_allowed_with_keypoints_present(dataset, project_path):
    with Project.create(project_path, dataset) as project:
        project.set_skeleton(["head", "l", "r"], [(1, 2), (1, 3)], [0, 2, 1])
        assert project.categories()[0].keypoints == ("head", "l", "r")
        ann = next(a for s in project.page() for a in project.annotations(s.id) if a.keypoints is not None)
        project.set_keypoint(ann.id, 0, 1.0, 2.0, 2)  # keypoints of K = 3 still fit


def test_changing_k_is_refused_while_objects_hold_keypoints(dataset, project_path, store_helpers):
    with Project.create(project_path, dataset) as project:
        before = store_helpers.snapshot(project_path)
        with pytest.raises(ProjectError, match="hold 3 keypoints"):
            project.set_skeleton(COCO17.names, COCO17.edges, COCO17.flip_idx)
        assert store_helpers.snapshot(project_path) == before and not project.can_undo


def test_an_invalid_template_is_refused(dataset, project_path):
    with Project.create(project_path, dataset) as project, pytest.raises(ProjectError, match="permutation"):
        project.set_skeleton(["a", "b", "c"], [], [0, 0, 1])


def test_a_detection_project_becomes_a_pose_project(tmp_path, store_helpers):
    dataset = _without_keypoints(store_helpers.make_dataset(tmp_path / "d"))
    dataset.kpt_shape = dataset.flip_idx = None
    with Project.create(tmp_path / "p.tern", dataset) as project:
        assert project.kpt_shape is None
        project.set_skeleton(["a", "b"], [(1, 2)], [1, 0])
        ann = project.annotations(project.page()[1].id)[0]
        project.set_keypoints(ann.id, np.array([[1, 2, 2], [3, 4, 1]], dtype=float))
        assert project.kpt_shape == (2, 3) and project.flip_idx == (1, 0)


def test_source_is_remembered_relative_to_the_project(tmp_path):
    with Project.create(tmp_path / "proj" / "p.tern") as project:
        assert project.source is None
        project.set_source(tmp_path / "data" / "data.yaml", "yolo")
        assert project.source == (tmp_path / "data" / "data.yaml", "yolo")
    with Project.open(tmp_path / "proj" / "p.tern") as again:
        assert again.source == (tmp_path / "data" / "data.yaml", "yolo")
