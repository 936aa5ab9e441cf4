from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.annotations import Annotation, Category, Dataset, Sample
from studio.data.records import records_from_dataset
from studio.errors import DatasetFormatError


def _dataset() -> Dataset:
    cats = [Category(7, "boat"), Category(3, "buoy"), Category(12, "bird")]  # class index: 3->0, 7->1, 12->2
    samples = [
        Sample("a.jpg", Path("/d/a.jpg"), 100, 80, "train", [
            Annotation(7, (1.0, 2.0, 30.5, 40.25)),
            Annotation(12, (5.0, 5.0, 9.0, 9.0), iscrowd=True),
            Annotation(3, (0.0, 0.0, 100.0, 80.0)),
        ]),
        Sample("gone.jpg", None, 100, 80, "train", [Annotation(7, (1.0, 1.0, 2.0, 2.0))]),
        Sample("b.jpg", Path("/d/b.jpg"), 64, 48, "val"),
        Sample("c.jpg", Path("/d/c.jpg"), 64, 48, "train", id=42),
    ]
    return Dataset(cats, samples)


def test_records_of_a_split_map_categories_to_class_indices():
    records = records_from_dataset(_dataset(), "train")
    assert [r.path for r in records] == [str(Path("/d/a.jpg")), str(Path("/d/c.jpg"))]  # no path: skipped
    a = records[0]
    assert (a.image_id, a.width, a.height) == (1, 100, 80)
    assert a.boxes.dtype == np.float32 and a.boxes.shape == (3, 4)
    np.testing.assert_array_equal(a.boxes[0], [1.0, 2.0, 30.5, 40.25])
    assert a.classes.dtype == np.int64 and a.classes.tolist() == [1, 2, 0]
    assert a.crowd.dtype == bool and a.crowd.tolist() == [False, True, False]
    c = records[1]
    assert c.image_id == 42 and c.boxes.shape == (0, 4) and c.classes.shape == (0,) and c.crowd.shape == (0,)


def test_every_split_and_ids_by_position():
    records = records_from_dataset(_dataset(), None)
    assert [r.image_id for r in records] == [1, 3, 42]  # position + 1 without an id
    val = records_from_dataset(_dataset(), "val")
    assert [r.image_id for r in val] == [3] and len(val[0]) == 0


def test_unknown_category_is_a_format_error_naming_the_image():
    dataset = _dataset()
    dataset.samples[0].annotations.append(Annotation(99, (0.0, 0.0, 1.0, 1.0)))
    with pytest.raises(DatasetFormatError, match="category id 99") as info:
        records_from_dataset(dataset, "train")
    assert info.value.path == Path("/d/a.jpg")
