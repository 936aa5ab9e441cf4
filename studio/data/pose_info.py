"""What a pose model needs to know about its dataset's keypoints: ``PoseInfo`` and ``pose_info(dataset)``.

Sources, first found wins:

* keypoint_names: ``Dataset.keypoint_names()`` (COCO categories, or the ``coco:`` mapping of a data.yaml
  that Tern wrote), else a data.yaml ``kpt_names`` (a list, or Ultralytics' {class: list}); kept only when
  there are exactly K of them.
* flip_idx: the dataset's (data.yaml ``flip_idx``; a COCO reader derives it from the names), else derived
  from left/right keypoint names (``left_x``/``right_x``, ``l_x``/``r_x``, ``LeftX``/``RightX``, ...),
  else the identity: flips then do not swap sides (``pose_notes`` says so).
* skeleton: ``Dataset.skeleton()`` (pairs outside 1..K are left out: the reader warned about them), else
  a data.yaml ``skeleton:`` list of 1-based pairs (checked), else COCO-17's edges when K = 17 and the
  names are COCO-17's or absent, else none.
* sigmas: a data.yaml ``kpt_sigmas`` list of K positive numbers (the OKS sigmas), else None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.annotations import Dataset
from studio.errors import DatasetFormatError
from studio.io.coco_categories import flip_idx_from_names
from studio.skeletons import COCO17, SkeletonError, validate_skeleton


@dataclass(frozen=True)
class PoseInfo:
    """The keypoints of a pose dataset."""

    num_keypoints: int                      # K
    flip_idx: tuple[int, ...]               # new[k] = old[flip_idx[k]] on a left-right flip (0-based)
    skeleton: tuple[tuple[int, int], ...]   # COCO 1-based edges; may be empty
    keypoint_names: tuple[str, ...]         # K names, or empty
    sigmas: tuple[float, ...] | None        # data.yaml kpt_sigmas (K OKS sigmas), else None


def pose_info(dataset: Dataset) -> PoseInfo | None:
    """The PoseInfo of ``dataset``; None when it has no ``kpt_shape`` (a detection dataset).

    Raises DatasetFormatError for a data.yaml ``kpt_sigmas`` or ``skeleton`` that does not fit K, or a
    flip_idx that is not a permutation of 0..K-1.
    """
    if dataset.kpt_shape is None:
        return None
    k = int(dataset.kpt_shape[0])
    names = _keypoint_names(dataset, k)
    flip = tuple(dataset.flip_idx) if dataset.flip_idx is not None else derive_flip_idx(names)
    flip = flip or tuple(range(k))
    skeleton = _skeleton(dataset, names, k)
    try:
        validate_skeleton([str(i + 1) for i in range(k)], skeleton, flip)
    except SkeletonError as exc:
        raise DatasetFormatError(_where(dataset), None, f"{exc.reason} (data.yaml flip_idx / skeleton, "
                                                        f"K = {k} keypoints)") from exc
    return PoseInfo(k, flip, skeleton, names, _sigmas(dataset, k))


def pose_notes(dataset: Dataset, info: PoseInfo) -> list[str]:
    """What the user should know about ``info`` (e.g. that flips cannot swap left and right)."""
    if info.num_keypoints > 1 and dataset.flip_idx is None and derive_flip_idx(info.keypoint_names) is None:
        return ["the dataset gives no flip_idx and its keypoint names have no left/right pairs: a left-right "
                "flip keeps the keypoint order (add flip_idx to data.yaml if keypoints have sides)"]
    return []


def derive_flip_idx(names: tuple[str, ...]) -> tuple[int, ...] | None:
    """The left/right mirror permutation of keypoint ``names``, or None when no name has a mirror.

    ``studio.io``'s rule (a ``left``/``right`` word of a ``_``-separated name) first; then the same rule
    on names spelled otherwise: ``l_eye``/``r_eye``, ``eye_l``, ``LeftEye``, ``lefteye``, ``left-eye``.
    """
    return flip_idx_from_names(names) or flip_idx_from_names(tuple(_words(n) for n in names))


def _words(name: str) -> str:
    """A name as lower-case ``_``-joined words, with ``left``/``right`` (and a lone l / r) split out."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).lower()
    spaced = re.sub(r"(left|right)", r" \1 ", spaced)
    words = [w for w in re.split(r"[^a-z0-9]+", spaced) if w]
    return "_".join({"l": "left", "r": "right"}.get(w, w) for w in words)


def _keypoint_names(dataset: Dataset, k: int) -> tuple[str, ...]:
    names = dataset.keypoint_names()
    if len(names) == k:
        return tuple(names)
    given = dataset.extra.get("kpt_names")
    lists = list(given.values()) if isinstance(given, dict) else [given]
    for value in lists:
        if isinstance(value, list) and len(value) == k:
            return tuple(str(v) for v in value)
    return ()


def _skeleton(dataset: Dataset, names: tuple[str, ...], k: int) -> tuple[tuple[int, int], ...]:
    own = _in_range(dataset.skeleton(), k)
    if own:
        return own
    given = dataset.extra.get("skeleton")
    if given is not None:
        return _yaml_skeleton(dataset, given, k)
    if k == len(COCO17.names) and names in ((), COCO17.names):
        return COCO17.edges
    return ()


def _in_range(pairs: tuple[tuple[int, int], ...], k: int) -> tuple[tuple[int, int], ...]:
    """The pairs that name two different keypoints of 1..k, each once."""
    kept: list[tuple[int, int]] = []
    for a, b in pairs:
        if 1 <= a <= k and 1 <= b <= k and a != b and (a, b) not in kept and (b, a) not in kept:
            kept.append((int(a), int(b)))
    return tuple(kept)


def _yaml_skeleton(dataset: Dataset, value: Any, k: int) -> tuple[tuple[int, int], ...]:
    ok = isinstance(value, list) and all(
        isinstance(p, list) and len(p) == 2 and all(type(v) is int for v in p) for p in value)
    if not ok:
        raise DatasetFormatError(_where(dataset), None, f"data.yaml skeleton: {value!r} is not a list of "
                                 f"[a, b] pairs of 1-based keypoint numbers (1..{k})")
    try:
        return validate_skeleton([str(i + 1) for i in range(k)], value, range(k)).edges
    except SkeletonError as exc:
        raise DatasetFormatError(_where(dataset), None, f"data.yaml skeleton: {exc.reason}") from exc


def _sigmas(dataset: Dataset, k: int) -> tuple[float, ...] | None:
    value = dataset.extra.get("kpt_sigmas")
    if value is None:
        return None
    numbers = isinstance(value, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    if not numbers or len(value) != k or not all(0 < float(v) < float("inf") for v in value):
        raise DatasetFormatError(_where(dataset), None, f"data.yaml kpt_sigmas: {value!r}; give a list of "
                                 f"{k} positive numbers (one OKS sigma per keypoint, K = {k})")
    return tuple(float(v) for v in value)


def _where(dataset: Dataset) -> Path:
    return dataset.root if dataset.root is not None else Path("data.yaml")
