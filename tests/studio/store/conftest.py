"""Fixtures for the project store tests: a generated pose dataset with crowd boxes and COCO extras,
its image files written into tmp_path (the store never decodes them, so a few bytes each suffice)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from studio.annotations import Annotation, Category, Dataset, Sample

K = 3


def make_dataset(root: Path, n_images: int = 12, seed: int = 0) -> Dataset:
    """A COCO-like pose dataset under ``root/images/<split>/``; boxes have awkward float64 values."""
    rng = np.random.default_rng(seed)
    names = ("nose", "left", "right")
    categories = [
        Category(3, "person", "human", names, ((1, 2), (1, 3)), {"color": [255, 0, 0]}),
        Category(7, "dog", "animal", names, ((1, 2),), {}),
        Category(11, "kite", "", (), (), {"note": "ünïcode"}),
    ]
    samples = []
    for i in range(n_images):
        split = ("train", "val", "test")[i % 3]
        path = root / "images" / split / f"img_{i:03d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xd8fake" + bytes([i]))
        anns = []
        for j in range(i % 4):
            x1, y1 = rng.uniform(0, 300, 2)
            box = (float(x1), float(y1), float(x1 + rng.uniform(1, 50) + 1e-9), float(y1 + 1 / 3))
            kpts = None
            if j % 2 == 0:
                kpts = np.column_stack([rng.uniform(0, 300, K), rng.uniform(0, 300, K), [0.0, 1.0, 2.0]])
            extra = {"area": 123.5, "segmentation": [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]} if j == 1 else {}
            if j == 2:
                extra = {"attributes": {"occluded": True}, "area": 7.0}
            anns.append(Annotation(categories[j % 3].id, box, kpts, iscrowd=(j == 3), id=1000 + 10 * i + j,
                                   extra=extra))
        status = "unlabeled" if i % 5 == 4 else ("in_progress" if i % 5 == 3 else "done")
        samples.append(Sample(f"{split}/img_{i:03d}.jpg", path, 320 + i, 240, split, anns, id=500 + i,
                              labeled=status != "unlabeled", status=status,
                              extra={"license": 1, "coco_url": f"http://x/{i}"} if i % 2 else {}))
    return Dataset(categories, samples, kpt_shape=(K, 3), flip_idx=(0, 2, 1),
                   extra={"info": {"year": 2024}, "licenses": [{"id": 1, "name": "CC"}]}, root=root)


def assert_same_dataset(got: Dataset, want: Dataset) -> None:
    """Field by field; boxes compared exactly, keypoints with array_equal."""
    assert got.categories == want.categories
    assert got.kpt_shape == want.kpt_shape and got.flip_idx == want.flip_idx
    assert got.extra == want.extra and got.root == want.root
    assert len(got.samples) == len(want.samples)
    for g, w in zip(got.samples, want.samples, strict=True):
        assert (g.file_name, g.path, g.width, g.height, g.split, g.id, g.labeled, g.status, g.extra) == (
            w.file_name, w.path, w.width, w.height, w.split, w.id, w.labeled, w.status, w.extra)
        assert len(g.annotations) == len(w.annotations)
        for ga, wa in zip(g.annotations, w.annotations, strict=True):
            assert (ga.category_id, ga.box, ga.iscrowd, ga.id, ga.extra) == (
                wa.category_id, wa.box, wa.iscrowd, wa.id, wa.extra)
            assert (ga.keypoints is None) == (wa.keypoints is None)
            if wa.keypoints is not None:
                assert ga.keypoints.dtype == np.float64 and np.array_equal(ga.keypoints, wa.keypoints)


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every row of the data tables (not the history), read straight from the file."""
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
                for t in ("categories", "images", "annotations")}
    finally:
        conn.close()


@pytest.fixture
def dataset(tmp_path: Path) -> Dataset:
    return make_dataset(tmp_path / "data")


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    return tmp_path / "proj" / "p.tern"


@pytest.fixture(scope="session")
def store_helpers() -> SimpleNamespace:
    """make_dataset, assert_same_dataset and snapshot, for tests that need more than one dataset."""
    return SimpleNamespace(make_dataset=make_dataset, assert_same_dataset=assert_same_dataset,
                           snapshot=snapshot)
