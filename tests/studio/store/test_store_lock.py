"""One writer per project (in this process or another), read-only beside it, and durability: an edit
reported committed survives killing the process that made it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.errors import ProjectError, ProjectLockedError
from studio.store.project import Project

REPO = Path(__file__).resolve().parents[3]

CHILD_EDIT = """
import sys
from studio.store.project import Project
project = Project.open(sys.argv[1])
image = project.page(0, 1)[0].id
ann = project.add_box(image, 3, (1.25, 2.5, 3.75, 5.0))
print("committed", ann, flush=True)
sys.stdin.readline()  # hold the project open until killed
"""

CHILD_OPEN = """
import sys
from studio.errors import ProjectLockedError
from studio.store.project import Project
try:
    Project.open(sys.argv[1]).close()
except ProjectLockedError as exc:
    print(exc, flush=True)
    sys.exit(3)
"""


def _python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def test_a_second_writer_in_this_process_is_refused_clearly(dataset, project_path):
    with Project.create(project_path, dataset):
        with pytest.raises(ProjectLockedError) as info:
            Project.open(project_path)
        message = str(info.value)
        assert str(project_path) in message and "open for writing" in message and "read-only" in message
        with Project.open(project_path, readonly=True) as reader:
            assert reader.readonly and reader.count_images() == len(dataset.samples)
            with pytest.raises(ProjectError, match="opened read-only"):
                reader.set_status(reader.page(0, 1)[0].id, "done")
    Project.open(project_path).close()  # closing released the lock


def test_a_second_writer_in_another_process_is_refused(dataset, project_path):
    with Project.create(project_path, dataset):
        child = _python(CHILD_OPEN, str(project_path))
        out, err = child.communicate(timeout=60)
        assert child.returncode == 3, err
        assert "open for writing in another" in out
    child = _python(CHILD_OPEN, str(project_path))
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err + out


def test_a_reader_sees_the_writers_committed_edits(dataset, project_path):
    with Project.create(project_path, dataset) as writer, Project.open(project_path, readonly=True) as reader:
        image = writer.page(0, 1)[0].id
        before = reader.image(image).num_objects
        ann = writer.add_box(image, 3, (0.0, 0.0, 1.0, 1.0))
        assert reader.image(image).num_objects == before + 1
        assert ann in {a.id for a in reader.annotations(image)}


def test_an_edit_reported_committed_survives_killing_the_process(dataset, project_path):
    Project.create(project_path, dataset).close()
    child = _python(CHILD_EDIT, str(project_path), stdin=subprocess.PIPE)
    try:
        line = child.stdout.readline()
        assert line.startswith("committed"), child.stderr.read()
        ann_id = int(line.split()[1])
        with pytest.raises(ProjectLockedError):  # the live child holds the lock
            Project.open(project_path)
    finally:
        child.kill()
        child.communicate(timeout=60)
    with Project.open(project_path) as project:  # the kill released the lock
        image = project.page(0, 1)[0].id
        boxes = {a.id: a.box for a in project.annotations(image)}
        assert boxes[ann_id] == (1.25, 2.5, 3.75, 5.0)
        assert project.undo_text() == "Add box"
        assert project.undo()
        assert ann_id not in {a.id for a in project.annotations(image)}
