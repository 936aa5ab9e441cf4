"""Skeleton presets and validation (studio/skeletons.py)."""

from __future__ import annotations

import pytest

from studio.skeletons import COCO17, PRESETS, SkeletonError, validate_skeleton


def test_coco17_preset_is_valid_and_left_right_symmetric():
    assert PRESETS["COCO-17"] is COCO17
    assert validate_skeleton(COCO17.names, COCO17.edges, COCO17.flip_idx) == COCO17
    assert len(COCO17.names) == 17 and len(COCO17.edges) == 19
    for k, partner in enumerate(COCO17.flip_idx):
        name, other = COCO17.names[k], COCO17.names[partner]
        assert other == name.replace("left", "@").replace("right", "left").replace("@", "right")


def test_names_are_stripped_and_edges_become_int_pairs():
    got = validate_skeleton([" a ", "b"], [[1, 2]], [1, 0])
    assert got.names == ("a", "b") and got.edges == ((1, 2),) and got.flip_idx == (1, 0)


def test_empty_template_means_no_keypoints():
    assert validate_skeleton([], [], []).names == ()


@pytest.mark.parametrize(("names", "edges", "flip", "words"), [
    (["a", "b"], [(0, 1)], [0, 1], "outside 1..2"),
    (["a", "b"], [(1, 3)], [0, 1], "outside 1..2"),
    (["a", "b"], [(1, 1)], [0, 1], "to itself"),
    (["a", "b"], [(1, 2), (2, 1)], [0, 1], "twice"),
    (["a", "b"], [(1, 2, 3)], [0, 1], "not a pair"),
    (["a", "b"], [], [0, 0], "not a permutation"),
    (["a", "b"], [], [0], "not a permutation"),
    (["a", "b"], [], [1, 2], "not a permutation"),
    (["a", "a"], [], [0, 1], "unique"),
    (["a", " "], [], [0, 1], "keypoint 2 has no name"),
])
def test_bad_templates_raise_a_typed_error(names, edges, flip, words):
    with pytest.raises(SkeletonError, match=words):
        validate_skeleton(names, edges, flip)
