"""A random COCO dataset generator shared by the COCO tests (imported as ``test_coco_gen``), and a
check that what it makes is valid COCO by pycocotools' standards.

``make_coco`` writes small PNGs and a json with every COCO feature: non-contiguous category ids with
supercategories, a keypoint category with left/right names and a skeleton, crowd boxes with RLE,
polygons, keypoints, and extra fields at every level.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

KEYPOINT_NAMES = ["nose", "left_eye", "right_eye", "left_hand", "right_hand", "tail"]
SKELETON = [[1, 2], [1, 3], [2, 4], [3, 5], [1, 6]]


def categories() -> list[dict[str, Any]]:
    return [
        {"id": 3, "name": "cat", "supercategory": "animal", "keypoints": KEYPOINT_NAMES, "skeleton": SKELETON,
         "color": [255, 0, 0]},
        {"id": 7, "name": "bicycle", "supercategory": "vehicle"},
        {"id": 12, "name": "café sign", "supercategory": "outdoor", "aliases": ["sign", "board"]},
        {"id": 40, "name": "kite", "supercategory": "sports"},
    ]


def _annotation(rng: random.Random, ann_id: int, image: dict, category: dict) -> dict[str, Any]:
    w_img, h_img = image["width"], image["height"]
    x, y = rng.uniform(0, w_img * 0.6), rng.uniform(0, h_img * 0.6)
    w, h = rng.uniform(2, w_img - x), rng.uniform(2, h_img - y)
    crowd = category["id"] != 3 and rng.random() < 0.2
    ann: dict[str, Any] = {"id": ann_id, "image_id": image["id"], "category_id": category["id"],
                           "bbox": [x, y, w, h], "area": w * h * rng.uniform(0.5, 1.0), "iscrowd": int(crowd)}
    if crowd:
        first = rng.randint(0, w_img * h_img // 2)
        second = rng.randint(1, w_img * h_img - first)
        counts = [first, second, w_img * h_img - first - second]  # uncompressed RLE covers every pixel
        ann["segmentation"] = {"counts": counts, "size": [h_img, w_img]}
    else:
        ann["segmentation"] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
    if category.get("keypoints"):
        kpts = []
        for _ in KEYPOINT_NAMES:
            v = rng.choice([0, 1, 2])
            point = [round(rng.uniform(x, x + w), 2), round(rng.uniform(y, y + h), 2), v]
            kpts += [0, 0, 0] if v == 0 else point
        ann["keypoints"] = kpts
        ann["num_keypoints"] = sum(1 for v in kpts[2::3] if v > 0)
    if rng.random() < 0.5:
        ann["attributes"] = {"occluded": rng.random() < 0.5, "note": "ünïcode"}
    return ann


def make_coco(folder: Path, rng: random.Random, *, num_images: int = 5, json_name: str = "instances.json",
              images_subdir: str = "", write_images: bool = True) -> tuple[Path, dict[str, Any]]:
    """Write ``folder/<images_subdir>/img_<i>.png`` and ``folder/<json_name>``; returns (json path, data)."""
    cats = categories()
    images, annotations = [], []
    ann_id = rng.randint(1, 50)
    for i in range(num_images):
        width, height = rng.randint(16, 64), rng.randint(16, 64)
        image = {"id": 1000 + 17 * i, "file_name": f"img_{i}.png", "width": width, "height": height,
                 "license": rng.randint(1, 2), "coco_url": f"http://example.org/{i}.png",
                 "date_captured": "2020-01-01 00:00:00", "flickr_url": "", "weather": {"rain": i % 2 == 0}}
        images.append(image)
        if write_images:
            path = folder / images_subdir / image["file_name"]
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (width, height), (i * 20 % 255, 90, 160)).save(path)
        for _ in range(rng.randint(0, 4)):
            annotations.append(_annotation(rng, ann_id, image, rng.choice(cats)))
            ann_id += rng.randint(1, 3)
    data = {"info": {"description": "generated", "year": 2024}, "licenses": [{"id": 1, "name": "A"},
            {"id": 2, "name": "B"}], "images": images, "annotations": annotations, "categories": cats,
            "tern_custom": {"kept": True}}
    json_path = folder / json_name
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    return json_path, data


def assert_same_json(ours: Any, theirs: Any, where: str = "$") -> None:
    """Parsed JSON equal, numbers within 1e-9 (an int 5 equals a float 5.0)."""
    if isinstance(theirs, bool) or isinstance(ours, bool):
        assert ours == theirs and type(ours) is type(theirs), f"{where}: {ours!r} != {theirs!r}"
    elif isinstance(theirs, float) and math.isnan(theirs):  # NaN is written back as NaN
        assert isinstance(ours, float) and math.isnan(ours), f"{where}: {ours!r} != NaN"
    elif isinstance(theirs, (int, float)) and isinstance(ours, (int, float)):
        assert math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-9), f"{where}: {ours!r} != {theirs!r}"
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict), f"{where}: {type(ours).__name__} is not a dict"
        assert set(ours) == set(theirs), f"{where}: keys {sorted(ours)} != {sorted(theirs)}"
        for key in theirs:
            assert_same_json(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: {ours!r} != {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same_json(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"


def assert_same_coco(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Same COCO content: entries matched by id (their order is not part of the format)."""
    assert set(ours) == set(theirs)
    for key in theirs:
        if key in ("images", "annotations", "categories"):
            a = {e["id"]: e for e in ours[key]}
            b = {e["id"]: e for e in theirs[key]}
            assert len(a) == len(ours[key]) and a.keys() == b.keys(), key
            for entry_id in b:
                assert_same_json(a[entry_id], b[entry_id], f"{key}[id={entry_id}]")
        else:
            assert_same_json(ours[key], theirs[key], key)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools' own numpy 2 warning
def test_generated_json_is_valid_for_pycocotools(tmp_path):
    from pycocotools.coco import COCO

    json_path, data = make_coco(tmp_path, random.Random(3), num_images=8)
    coco = COCO(str(json_path))
    assert sorted(coco.getCatIds()) == [3, 7, 12, 40]
    assert len(coco.getAnnIds()) == len(data["annotations"]) > 0
    for ann in coco.loadAnns(coco.getAnnIds()):
        image = coco.imgs[ann["image_id"]]
        x, y, w, h = ann["bbox"]
        assert x >= 0 and y >= 0 and x + w <= image["width"] + 1e-9 and y + h <= image["height"] + 1e-9
        mask = coco.annToMask(ann)
        assert mask.shape == (image["height"], image["width"]) and mask.any()
