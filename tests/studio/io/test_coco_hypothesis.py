"""Property tests: random valid COCO datasets survive load -> save unchanged; random garbage never
raises, only yields Problems."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_coco_gen import assert_same_coco

from studio.io.coco import load_coco, save_coco
from studio.io.problems import MissingImage, Problem

JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=8) | st.floats(
    allow_nan=True, allow_infinity=True)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)
FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
NAME = st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=8)
SIDES = ("left", "right")


def _extra(own: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.text(min_size=1, max_size=6).filter(lambda k: k not in own), JSON_VALUES,
                           max_size=2)


@st.composite
def _categories(draw) -> list[dict[str, Any]]:
    ids = draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=4, unique=True))
    cats = []
    for cid in ids:
        cat = {"id": cid, "name": draw(NAME), "supercategory": draw(st.text(max_size=5))}
        if draw(st.booleans()):
            parts = draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
            names = [f"{side}_{p}" for p in parts for side in SIDES] if draw(st.booleans()) else parts
            cat["keypoints"] = names
            k = len(names)
            cat["skeleton"] = draw(st.lists(st.lists(st.integers(1, k), min_size=2, max_size=2), max_size=3))
        cat.update(draw(_extra({"id", "name", "supercategory", "keypoints", "skeleton"})))
        cats.append(cat)
    return cats


@st.composite
def _annotation(draw, ann_id: int, image: dict, cat: dict) -> dict[str, Any]:
    width, height = image["width"], image["height"]
    x = draw(st.floats(0, width - 0.5))
    y = draw(st.floats(0, height - 0.5))
    w = draw(st.floats(0.01, width - x))
    h = draw(st.floats(0.01, height - y))
    ann = {"id": ann_id, "image_id": image["id"], "category_id": cat["id"], "bbox": [x, y, w, h],
           "area": draw(FINITE), "iscrowd": draw(st.integers(0, 1)),
           "segmentation": draw(st.lists(st.lists(FINITE, min_size=6, max_size=6), max_size=1))}
    if cat.get("keypoints"):
        kpts = []
        for _ in cat["keypoints"]:
            kpts += [draw(FINITE), draw(FINITE), draw(st.integers(0, 2))]
        ann["keypoints"] = kpts
        ann["num_keypoints"] = sum(1 for v in kpts[2::3] if v > 0)
    ann.update(draw(_extra({"id", "image_id", "category_id", "bbox", "area", "iscrowd", "segmentation",
                            "keypoints", "num_keypoints"})))
    return ann


@st.composite
def valid_coco(draw) -> dict[str, Any]:
    cats = draw(_categories())
    image_ids = draw(st.lists(st.integers(1, 10**9), max_size=5, unique=True))
    images, anns = [], []
    ann_ids = iter(draw(st.lists(st.integers(1, 10**9), min_size=20, max_size=20, unique=True)))
    for number, iid in enumerate(image_ids):
        image = {"id": iid, "file_name": f"{draw(NAME)}_{number}.jpg", "width": draw(st.integers(1, 5000)),
                 "height": draw(st.integers(1, 5000))}
        image.update(draw(_extra({"id", "file_name", "width", "height"})))
        images.append(image)
        for _ in range(draw(st.integers(0, 3))):
            anns.append(draw(_annotation(next(ann_ids), image, draw(st.sampled_from(cats)))))
    top = draw(_extra({"images", "annotations", "categories"}))
    return {**top, "images": images, "annotations": anns, "categories": cats}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_coco())
def test_random_valid_datasets_round_trip(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "labels.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        dataset, problems = load_coco(path)
        assert all(isinstance(p, MissingImage) for p in problems), [str(p) for p in problems]
        assert len(problems) == len(data["images"])  # no image files in this test
        save_coco(dataset, Path(tmp) / "out.json")
        assert_same_coco(json.loads((Path(tmp) / "out.json").read_text(encoding="utf-8")), data)


def _check_never_raises(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "labels.json"
        path.write_text(text, encoding="utf-8")
        dataset, problems = load_coco(path)
        assert all(isinstance(p, Problem) and str(p) and p.message for p in problems)
        save_coco(dataset, Path(tmp) / "out.json")
        again, _ = load_coco(Path(tmp) / "out.json")
        assert len(again.samples) == len(dataset.samples)


@settings(max_examples=150, deadline=None)
@given(JSON_VALUES)
def test_random_json_never_raises(value):
    _check_never_raises(json.dumps(value))


@st.composite
def _mutated(draw) -> dict[str, Any]:
    """A valid dataset with a few values (anywhere) replaced by random JSON, or keys deleted."""
    data = draw(valid_coco())
    for _ in range(draw(st.integers(1, 4))):
        node: Any = data
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, (dict, list)) and child and draw(st.booleans()):
                node = child
                continue
            choice = draw(st.sampled_from(["replace", "delete", "zero", "duplicate"]))
            if choice == "delete" and isinstance(node, dict):
                del node[key]
            elif choice == "zero":
                node[key] = 0
            elif choice == "duplicate" and isinstance(node, list):
                node.append(node[key])
            else:
                node[key] = draw(JSON_VALUES)
            break
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutated_datasets_give_problems_not_tracebacks(data):
    _check_never_raises(json.dumps(data))


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_never_raise(raw):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "labels.json"
        path.write_bytes(raw)
        _, problems = load_coco(path)
        assert all(isinstance(p, Problem) for p in problems)
