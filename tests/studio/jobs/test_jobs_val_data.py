"""What ``tern val`` validates on: the val split training used, or every image of a source that holds
no training images (a val-only COCO json, as instances_val2017.json), with the source's own ids."""

from __future__ import annotations

import json

import pytest

from studio.cli import main
from studio.engine.data_source import load_training_data
from studio.errors import DatasetFormatError
from studio.jobs.val_job import load_val_data
from studio.shapes import make_shapes


@pytest.fixture(scope="module")
def coco(tmp_path_factory):
    root = tmp_path_factory.mktemp("val_data")
    yaml_path = make_shapes(root / "shapes", num_images=6, size=64, val_images=3)
    assert main(["data", "convert", str(yaml_path), str(root / "coco"), "--to", "coco"]) == 0
    return root / "coco"


def test_a_val_only_json_validates_every_image_with_its_own_ids(coco):
    path = coco / "annotations" / "instances_val.json"
    with pytest.raises(DatasetFormatError, match="no training images"):
        load_training_data(str(path))  # what tern val used to call
    data = load_val_data(str(path))
    source = json.loads(path.read_text())
    assert data.train == []
    assert [r.image_id for r in data.val] == [img["id"] for img in source["images"]]
    assert data.names == [c["name"] for c in source["categories"]]
    assert data.class_ids == [c["id"] for c in source["categories"]] == [1, 2, 3]
    boxes = sum(len(r) for r in data.val)
    assert boxes == len(source["annotations"]) > 0


def test_a_source_with_training_images_validates_on_the_split_training_used(coco):
    for source in (coco, coco / "annotations" / "instances_train.json", coco.parent / "shapes" / "data.yaml"):
        expected = load_training_data(str(source))
        got = load_val_data(str(source))
        assert [r.path for r in got.val] == [r.path for r in expected.val], source
        assert (got.names, got.class_ids) == (expected.names, expected.class_ids)


def test_a_source_without_images_still_fails_with_the_readers_message(tmp_path):
    path = tmp_path / "instances_val.json"
    path.write_text(json.dumps({"images": [], "annotations": [],
                                "categories": [{"id": 1, "name": "ship"}]}))
    with pytest.raises(DatasetFormatError, match="no training images"):
        load_val_data(str(path))
