"""AddBoxes: several objects in one command, so copying an image's boxes is one undo step."""

from __future__ import annotations

import numpy as np
import pytest

from studio.errors import ProjectError
from studio.store.project import Project


def _image(project: Project, status: str) -> int:
    for row in project.page(0, 1000, status=status):
        if row.num_objects == 0:
            return row.id
    raise AssertionError(f"the fixture dataset lacks an empty {status} image")


def test_add_boxes_is_one_undo_step(dataset, project_path, store_helpers):
    with Project.create(project_path, dataset) as project:
        image_id = _image(project, "unlabeled")
        before = store_helpers.snapshot(project_path)
        kpts = np.array([[1.0, 2.0, 2.0], [3.0, 4.0, 1.0], [0.0, 0.0, 0.0]])
        ids = project.add_boxes(image_id, [(3, (1.5, 2.5, 10.25, 20.125), kpts), (11, (0, 0, 5, 5), None)])
        assert len(ids) == 2 and ids[1] == ids[0] + 1
        anns = project.annotations(image_id)
        assert [a.id for a in anns] == ids
        assert anns[0].box == (1.5, 2.5, 10.25, 20.125) and anns[0].category_id == 3
        assert np.array_equal(anns[0].keypoints, kpts) and anns[1].keypoints is None
        assert project.image(image_id).status == "in_progress"
        assert project.undo_text() == "Add 2 boxes"
        assert project.undo()
        assert store_helpers.snapshot(project_path) == before
        assert project.redo()
        assert [a.box for a in project.annotations(image_id)] == [anns[0].box, anns[1].box]
    with Project.open(project_path) as reopened:
        assert len(reopened.annotations(image_id)) == 2


def test_add_boxes_checks_every_object(dataset, project_path, store_helpers):
    with Project.create(project_path, dataset) as project:
        image_id = _image(project, "unlabeled")
        before = store_helpers.snapshot(project_path)
        with pytest.raises(ProjectError, match="no class with id 99"):
            project.add_boxes(image_id, [(3, (0, 0, 1, 1), None), (99, (0, 0, 1, 1), None)])
        with pytest.raises(ProjectError, match="x2 >= x1"):
            project.add_boxes(image_id, [(3, (5, 0, 1, 1), None)])
        assert store_helpers.snapshot(project_path) == before
        assert project.add_boxes(image_id, []) == []
        assert not project.can_redo and store_helpers.snapshot(project_path) == before
