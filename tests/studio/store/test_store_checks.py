"""Project.problems: every defect kind found once, where it is, and nothing on a clean project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.annotations import Annotation, Category, Dataset, Sample
from studio.store import checks
from studio.store.checks import ProjectProblem
from studio.store.project import Project

K = 2


def defect_dataset(root: Path) -> Dataset:
    """clean.jpg has nothing wrong; each other image carries one defect kind (named in its file)."""
    cats = [Category(1, "ship", "", ("bow", "stern"), ((1, 2),)), Category(2, "boat")]
    kpts = np.array([[10.0, 10.0, 2.0], [20.0, 20.0, 1.0]])
    far = np.array([[10.0, 10.0, 2.0], [500.0, 20.0, 2.0]])  # keypoint 2 is past the 100 px width
    hidden = np.array([[-50.0, 10.0, 0.0], [20.0, 20.0, 2.0]])  # v=0: not a problem
    specs = {
        "clean.jpg": ("done", [Annotation(1, (10, 10, 50, 50), kpts), Annotation(1, (50, 40, 90, 80), hidden),
                               Annotation(2, (11, 11, 50, 50)), Annotation(1, (12, 14, 52, 54))]),
        "outside.jpg": ("done", [Annotation(2, (60, 10, 130, 40))]),
        "empty.jpg": ("done", [Annotation(2, (30, 30, 30, 60))]),
        "keypoint.jpg": ("done", [Annotation(1, (5, 5, 60, 60), far)]),
        "duplicate.jpg": ("done", [Annotation(2, (10, 10, 60, 60)), Annotation(2, (10.2, 10, 60, 60.3))]),
        "in_progress.jpg": ("in_progress", []),
        "missing.jpg": ("done", []),
    }
    samples = []
    for name, (status, anns) in specs.items():
        path = root / name
        if name != "missing.jpg":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\xff\xd8fake")
        samples.append(Sample(name, path, 100, 80, "train", anns, status=status))
    return Dataset(cats, samples, kpt_shape=(K, 3))


@pytest.fixture
def project(tmp_path):
    with Project.create(tmp_path / "p.tern", defect_dataset(tmp_path / "images")) as p:
        yield p


def _by_file(problems: list[ProjectProblem]) -> dict[str, list[ProjectProblem]]:
    out: dict[str, list[ProjectProblem]] = {}
    for p in problems:
        out.setdefault(p.file_name, []).append(p)
    return out


def test_each_defect_is_found_once_on_its_image(project):
    found = _by_file(project.problems())
    assert "clean.jpg" not in found
    assert {name: [p.kind for p in ps] for name, ps in found.items()} == {
        "outside.jpg": [checks.BOX_OUTSIDE],
        "empty.jpg": [checks.BOX_EMPTY],
        "keypoint.jpg": [checks.KEYPOINT_OUTSIDE],
        "duplicate.jpg": [checks.DUPLICATE_BOX],
        "in_progress.jpg": [checks.EMPTY_IN_PROGRESS],
        "missing.jpg": [checks.MISSING_FILE],
    }
    images = {row.file_name: row.id for row in project.page(0, 100)}
    for name, (problem,) in found.items():
        assert problem.image_id == images[name]
        anns = project.annotations(problem.image_id)
        if problem.kind in (checks.MISSING_FILE, checks.EMPTY_IN_PROGRESS):
            assert problem.annotation_id is None
        elif problem.kind == checks.DUPLICATE_BOX:
            assert problem.annotation_id == anns[1].id  # the newer of the pair
        else:
            assert problem.annotation_id == anns[0].id
    assert "keypoint 2 " in found["keypoint.jpg"][0].message
    assert "100 x 80" in found["outside.jpg"][0].message


def test_problems_follow_edits(project):
    before = project.problems()
    outside = next(p for p in before if p.kind == checks.BOX_OUTSIDE)
    project.set_box(outside.annotation_id, (60, 10, 100, 40))  # now touches the edge exactly
    after = project.problems()
    assert outside not in after and len(after) == len(before) - 1
    project.undo()
    assert project.problems() == before


def test_a_clean_project_has_no_problems(tmp_path):
    data = defect_dataset(tmp_path / "images")
    data.samples = data.samples[:1]
    with Project.create(tmp_path / "clean.tern", data) as p:
        assert p.problems() == []
