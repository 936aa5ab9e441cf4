"""Slow checks (`make test-slow`): a 5,000-image dataset through the whole data path.
YOLO -> project -> YOLO and -> COCO -> YOLO keep every row; figures for speed live in bench/."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from studio.cli import main
from studio.io.dataset import load_dataset
from studio.store.project import Project

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _rows(folder: Path) -> dict[str, np.ndarray]:
    return {p.relative_to(folder).as_posix(): np.loadtxt(p, ndmin=2) for p in sorted(folder.rglob("*.txt"))}


def _assert_same_rows(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_allclose(b[name], a[name], atol=1e-6, err_msg=name)


def test_five_thousand_images_round_trip_through_project_and_coco(tmp_path, capsys):
    sys.path.insert(0, str(REPO / "bench"))
    from gen_yolo import generate

    yaml = generate(tmp_path / "src", num_images=5000, boxes=10)
    original = _rows(tmp_path / "src" / "labels")
    assert sum(len(r) for r in original.values()) == 50_000

    project = tmp_path / "big.tern"
    assert main(["data", "import", str(yaml), str(project)]) == 0
    with Project.open(project) as p:
        assert p.count_images() == 5000 and p.count_images(split="val") == 1000
        first = p.page(0, 200)
        assert len(first) == 200 and all(row.num_objects == 10 for row in first)
    assert main(["data", "export", str(project), str(tmp_path / "yolo"), "--to", "yolo"]) == 0
    _assert_same_rows(original, _rows(tmp_path / "yolo" / "labels"))

    assert main(["data", "convert", str(yaml), str(tmp_path / "coco"), "--to", "coco"]) == 0
    dataset, problems = load_dataset(tmp_path / "coco")
    assert not problems and len(dataset.samples) == 5000
    assert main(["data", "convert", str(tmp_path / "coco"), str(tmp_path / "back"), "--to", "yolo"]) == 0
    _assert_same_rows(original, _rows(tmp_path / "back" / "labels"))
