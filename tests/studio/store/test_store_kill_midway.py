"""Kill a labeling process in the middle of a stream of edits (SIGKILL, no warning) and reopen the
project: every edit the process reported as committed is there (DESIGN: every edit is a transaction)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from studio.store.project import Project

REPO = Path(__file__).resolve().parents[3]

# Box i is added, reported, moved, reported, ... forever; one status flip and one keypoint-free
# delete every few steps, so the stream mixes edit kinds. Boxes are a pure function of i.
CHILD = """
import json, sys
from studio.store.project import Project
project = Project.open(sys.argv[1])
images = [row.id for row in project.page(0, 50)]
category = project.categories()[0].id
def box(i, moved):
    x = float(i % 40) + (0.5 if moved else 0.0)
    return (x, 1.0, x + 5.0, 6.0)
i = 0
while True:
    image = images[i % len(images)]
    ann = project.add_box(image, category, box(i, False))
    print(json.dumps(["add", ann, box(i, False), i]), flush=True)
    project.set_box(ann, box(i, True))
    print(json.dumps(["set", ann, box(i, True), i]), flush=True)
    if i % 5 == 4:
        project.delete_box(ann)
        print(json.dumps(["del", ann, None, i]), flush=True)
    i += 1
"""


def test_killing_the_writer_mid_stream_loses_no_reported_edit(store_helpers, tmp_path):
    path = tmp_path / "p.tern"
    Project.create(path, store_helpers.make_dataset(tmp_path / "data", n_images=6)).close()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], cwd=REPO, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reported: dict[int, tuple[str, int]] = {}  # annotation id -> (last reported edit, i)
    try:
        for _ in range(300):
            line = child.stdout.readline()
            assert line, child.stderr.read()
            kind, ann, _reported_box, i = json.loads(line)
            reported[ann] = (kind, i)
    finally:
        child.kill()  # SIGKILL: no cleanup, no atexit, the lock file stays behind
        child.wait()
    with Project.open(path) as project:
        stored = {a.id: a.box for row in project.page(0, 50) for a in project.annotations(row.id)}
    for ann, (kind, i) in reported.items():
        # the edit after the last reported one may have committed unreported, nothing further
        allowed = {
            "add": [_box(i, False), _box(i, True)],
            "set": [_box(i, True)] + ([None] if i % 5 == 4 else []),
            "del": [None],
        }[kind]
        assert stored.get(ann) in allowed, (ann, kind, i, stored.get(ann))
    assert len(reported) > 50


def _box(i: int, moved: bool) -> tuple[float, float, float, float]:
    x = float(i % 40) + (0.5 if moved else 0.0)
    return (x, 1.0, x + 5.0, 6.0)
