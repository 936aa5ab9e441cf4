"""Moving a box can carry its keypoints along in the same undo step; resizing never moves them."""

from __future__ import annotations

import numpy as np

from studio.store.project import Project


def _pose_box(project: Project) -> int:
    return next(a.id for row in project.page(0, 50) for a in project.annotations(row.id)
                if a.keypoints is not None and (a.keypoints[:, 2] > 0).any())


def test_a_move_carries_labeled_keypoints_and_undo_restores_both(store_helpers, tmp_path):
    path = tmp_path / "p.tern"
    with Project.create(path, store_helpers.make_dataset(tmp_path / "data", n_images=4)) as project:
        ann_id = _pose_box(project)
        (before,) = [a for row in project.page(0, 50) for a in project.annotations(row.id) if a.id == ann_id]
        x1, y1, x2, y2 = before.box
        project.set_box(ann_id, (x1 + 3, y1 - 2, x2 + 3, y2 - 2), move_keypoints=True)
        (after,) = [a for row in project.page(0, 50) for a in project.annotations(row.id) if a.id == ann_id]
        labeled = before.keypoints[:, 2] > 0
        np.testing.assert_allclose(after.keypoints[labeled, :2], before.keypoints[labeled, :2] + [3, -2])
        np.testing.assert_array_equal(after.keypoints[~labeled], before.keypoints[~labeled])
        assert project.undo()
        (undone,) = [a for row in project.page(0, 50) for a in project.annotations(row.id) if a.id == ann_id]
        assert undone.box == before.box
        np.testing.assert_array_equal(undone.keypoints, before.keypoints)


def test_a_resize_or_a_plain_set_box_leaves_keypoints(store_helpers, tmp_path):
    path = tmp_path / "p.tern"
    with Project.create(path, store_helpers.make_dataset(tmp_path / "data", n_images=4)) as project:
        ann_id = _pose_box(project)
        (before,) = [a for row in project.page(0, 50) for a in project.annotations(row.id) if a.id == ann_id]
        x1, y1, x2, y2 = before.box
        project.set_box(ann_id, (x1 + 3, y1, x2 + 5, y2), move_keypoints=True)  # wider: a resize
        project.set_box(ann_id, (x1 + 4, y1, x2 + 6, y2))  # a move without the flag
        (after,) = [a for row in project.page(0, 50) for a in project.annotations(row.id) if a.id == ann_id]
        np.testing.assert_array_equal(after.keypoints, before.keypoints)
