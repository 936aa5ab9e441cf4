"""Skeleton templates for keypoint projects: presets and validation.

A skeleton is three things, in the formats the rest of the studio uses:

* ``names``: K keypoint names, in keypoint order (index k of a ``(K, 3)`` keypoints array);
* ``edges``: pairs of COCO **1-based** keypoint indices, ``(a, b)`` with ``1 <= a, b <= K``, ``a != b``;
* ``flip_idx``: a permutation of ``0..K-1`` (0-based, as Ultralytics' data.yaml): the partner of
  keypoint k after a horizontal flip (a keypoint on the axis is its own partner).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from studio.errors import StudioError


class SkeletonError(StudioError):
    """A skeleton template is inconsistent: ``reason`` says which part and how to fix it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invalid skeleton: {reason}")


@dataclass(frozen=True)
class Skeleton:
    """names (K), edges (1-based pairs), flip_idx (0-based permutation of range(K))."""

    names: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    flip_idx: tuple[int, ...]


COCO17 = Skeleton(
    names=("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
           "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
           "left_knee", "right_knee", "left_ankle", "right_ankle"),
    # the ``skeleton`` of person_keypoints_*.json in COCO 2017
    edges=((16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (6, 8),
           (7, 9), (8, 10), (9, 11), (2, 3), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7)),
    flip_idx=(0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15),
)

PRESETS: dict[str, Skeleton] = {"COCO-17": COCO17}


def validate_skeleton(names: Sequence[str], edges: Sequence[Sequence[int]],
                      flip_idx: Sequence[int]) -> Skeleton:
    """Check a template and return it normalised (stripped names, int tuples).

    Raises SkeletonError for an empty or repeated name, an edge that is not a pair of distinct
    1-based indices within 1..K, a repeated edge, or a flip_idx that is not a permutation of 0..K-1.
    An empty template (K = 0, no edges, no flip_idx) is valid: it means "no keypoints".
    """
    clean = tuple(str(n).strip() for n in names)
    k = len(clean)
    for i, name in enumerate(clean):
        if not name:
            raise SkeletonError(f"keypoint {i + 1} has no name")
    repeated = sorted({n for n in clean if clean.count(n) > 1})
    if repeated:
        raise SkeletonError(f"keypoint names must be unique; repeated: {', '.join(repeated)}")
    pairs = tuple(_edge(edge, k) for edge in edges)
    seen: set[frozenset[int]] = set()
    for a, b in pairs:
        if frozenset((a, b)) in seen:
            raise SkeletonError(f"edge ({a}, {b}) is listed twice")
        seen.add(frozenset((a, b)))
    flip = tuple(int(i) for i in flip_idx)
    if sorted(flip) != list(range(k)):
        raise SkeletonError(f"flip_idx {list(flip)} is not a permutation of 0..{k - 1} "
                            "(each keypoint needs exactly one flip partner, itself on the axis)")
    return Skeleton(clean, pairs, flip)


def _edge(edge: Sequence[int], k: int) -> tuple[int, int]:
    if len(edge) != 2:
        raise SkeletonError(f"edge {tuple(edge)} is not a pair of keypoint numbers")
    a, b = (int(x) for x in edge)
    if not (1 <= a <= k and 1 <= b <= k):
        raise SkeletonError(f"edge ({a}, {b}) names a keypoint outside 1..{k} (edges are 1-based)")
    if a == b:
        raise SkeletonError(f"edge ({a}, {b}) joins a keypoint to itself")
    return a, b
