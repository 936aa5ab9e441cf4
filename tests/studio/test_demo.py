"""The synthetic demo dataset: deterministic, valid YOLO pose labels, and the committed copy is current."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from studio.demo import generate_demo

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "resources" / "demo"


def _text_files(root: Path) -> dict[str, bytes]:
    files = [*root.glob("labels/*/*.txt"), root / "data.yaml"]
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def _rows(root: Path) -> list[tuple[Path, list[float]]]:
    return [(p, [float(x) for x in line.split()])
            for p in sorted(root.glob("labels/*/*.txt"))
            for line in p.read_text().splitlines()]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo(out)
    return out


def test_regenerating_gives_the_committed_labels(demo):
    assert COMMITTED.is_dir(), "resources/demo is missing: run studio.demo.generate_demo('resources/demo')"
    assert _text_files(demo) == _text_files(COMMITTED)
    committed_images = sorted(p.relative_to(COMMITTED) for p in COMMITTED.glob("images/*/*.jpg"))
    assert committed_images == sorted(p.relative_to(demo) for p in demo.glob("images/*/*.jpg"))


def test_committed_demo_stays_small():
    size = sum(p.stat().st_size for p in COMMITTED.rglob("*") if p.is_file())
    assert size < 1_500_000


def test_layout_and_data_yaml(demo):
    data = yaml.safe_load((demo / "data.yaml").read_text())
    assert data["names"] == {0: "ship", 1: "boat"}
    assert data["kpt_shape"] == [3, 3]
    assert data["flip_idx"] == [0, 1, 2]
    assert data["coco"]["keypoints"] == ["bow", "stern", "bridge"]
    assert data["coco"]["skeleton"] == [[1, 3], [3, 2]]
    assert len(list(demo.glob("images/train/*.jpg"))) == 18
    assert len(list(demo.glob("images/val/*.jpg"))) == 6
    for image in demo.glob("images/*/*.jpg"):
        label = demo / "labels" / image.parent.name / f"{image.stem}.txt"
        assert label.is_file()
        with Image.open(image) as im:
            assert im.format == "JPEG" and im.mode == "RGB"
            assert 440 <= im.width <= 520 and 316 <= im.height <= 340


def test_every_row_is_a_valid_pose_row_inside_its_image(demo):
    rows = _rows(demo)
    assert rows
    per_image: dict[Path, int] = {}
    for path, row in rows:
        per_image[path] = per_image.get(path, 0) + 1
        assert len(row) == 5 + 3 * 3
        assert row[0] in (0.0, 1.0)
        cx, cy, w, h = row[1:5]
        x1, y1, x2, y2 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
        assert 0 < x1 < x2 < 1 and 0 < y1 < y2 < 1
        kpts = np.asarray(row[5:]).reshape(3, 3)
        assert set(kpts[:, 2]) <= {1.0, 2.0}
        assert np.all((kpts[:, 0] >= x1 - 1e-6) & (kpts[:, 0] <= x2 + 1e-6))
        assert np.all((kpts[:, 1] >= y1 - 1e-6) & (kpts[:, 1] <= y2 + 1e-6))
    assert set(per_image.values()) <= {1, 2, 3, 4}
    classes = {row[0] for _, row in rows}
    visibilities = {v for _, row in rows for v in row[7::3]}
    assert classes == {0.0, 1.0} and visibilities == {1.0, 2.0}


def test_same_seed_same_labels_other_seed_other_labels(tmp_path):
    generate_demo(tmp_path / "a", num_images=4, seed=7)
    generate_demo(tmp_path / "b", num_images=4, seed=7)
    generate_demo(tmp_path / "c", num_images=4, seed=8)
    assert _text_files(tmp_path / "a") == _text_files(tmp_path / "b")
    assert _text_files(tmp_path / "a") != _text_files(tmp_path / "c")
    assert len(list((tmp_path / "a").glob("images/train/*.jpg"))) == 3
