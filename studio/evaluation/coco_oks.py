"""Keypoint AP by pycocotools itself: COCOeval iouType "keypoints", whose similarity is the Object
Keypoint Similarity (OKS) instead of the box IoU.

What pycocotools 2.0 ``cocoeval.py`` does, so the numbers here can be read right:

* ``COCOeval.computeOks``: for a ground truth g with k1 = count(v > 0) labeled keypoints and a detection d,
  ``e_i = d_i^2 / (2 sigma_i)^2 / (area_g + eps) / 2`` and OKS = mean over the labeled keypoints of
  ``exp(-e_i)``, i.e. ``exp(-d^2 / (2 s^2 k^2))`` with s^2 = the ground truth's ``area`` and k = 2 sigma.
  The detection's own visibility / confidence column is never read. A ground truth with k1 == 0 is
  measured by the distance of the detected keypoints outside its box grown by its own width and height
  on every side (and is ignored anyway, below).
* ``COCOeval._prepare``: a ground truth with ``num_keypoints == 0`` (or iscrowd) is ignored: it is never a
  miss, and a detection matched to it is neither a hit nor a false positive.
* ``Params.setKpParams``: OKS thresholds 0.50:0.05:0.95, maxDets [20], area ranges all [0, 1e10],
  medium [32^2, 96^2], large [96^2, 1e10] (no "small": keypoints are not labeled on small people).
  A ground truth's range is decided by its ``area``; an unmatched detection's by its own area, which
  ``COCO.loadRes`` sets to its box w * h (results carry a bbox).
* ``COCOeval.summarize`` (``_summarizeKps``): stats[0] AP at OKS .50:.95, [1] AP at .50, [2] AP at .75,
  [3] AP medium, [4] AP large, then [5..9] the same for AR; all with maxDets 20.

There is no segmentation here, so a ground truth's area is its box's w * h * 0.53 (the ratio of the COCO
person mask area to the box area that the YOLO family uses for the same purpose).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.errors import ConfigError
from studio.evaluation.coco_map import (
    check_image_ids,
    coco_ground_truth,
    mean_or_zero,
    per_class_ap,
    run_cocoeval,
    to_coco_results,
)
from studio.evaluation.pr_curves import pr_curves

if TYPE_CHECKING:
    from studio.data.pose_info import PoseInfo
    from studio.data.records import ImageRecord

# COCO-17 person keypoint sigmas (pycocotools ``Params.setKpParams``), in COCO-17 keypoint order
COCO17_SIGMAS = (.026, .025, .025, .035, .035, .079, .079, .072, .072, .062, .062, .107, .107, .087, .087,
                 .089, .089)
COCO17_NAMES = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
                "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
                "left_knee", "right_knee", "left_ankle", "right_ankle")
DEFAULT_SIGMA = 0.065  # about the mean of COCO-17's (0.0625): for other skeletons without their own sigmas
AREA_PER_BOX = 0.53  # ground truth area = box w * h * AREA_PER_BOX (no segmentation to measure)


@dataclass(frozen=True)
class KeypointMetrics:
    """What one keypoint evaluation found (COCOeval iouType "keypoints" stats[0..4], maxDets 20). Means
    are over the classes that have non-ignored ground truth; a stat COCOeval cannot compute (-1: no such
    ground truth, e.g. no large objects) is 0 here.

    per_class: one (name, ap50, ap50-95) per class index, nan for a class without ground truth.
    """

    map: float    # mean AP at OKS 0.50:0.95 (stats[0])
    map50: float  # mean AP at OKS 0.50 (stats[1])
    map75: float  # mean AP at OKS 0.75 (stats[2])
    map_m: float  # mean AP of medium objects, area 32^2..96^2 (stats[3])
    map_l: float  # mean AP of large objects, area > 96^2 (stats[4])
    per_class: list[tuple[str, float, float]]
    precision: float = 0.0  # mean precision at the confidence of the best mean F1 (OKS 0.5), as (B) has it
    recall: float = 0.0     # mean recall at that confidence

    @property
    def fitness(self) -> float:
        """0.1 * mAP50 + 0.9 * mAP50-95 (the YOLO family's best-checkpoint criterion)."""
        return 0.1 * self.map50 + 0.9 * self.map


def keypoint_sigmas(num_keypoints: int, names: Sequence[str] = (),
                    given: Sequence[float] | None = None) -> np.ndarray:
    """(K,) float64 OKS sigmas: ``given`` (a dataset's ``kpt_sigmas``; ConfigError unless it has K finite
    positive values), else COCO-17's when K == 17 and ``names`` are COCO-17's (case, spaces and hyphens
    aside) or empty, else DEFAULT_SIGMA for every keypoint."""
    if given is not None:
        sigmas = np.asarray(given, dtype=np.float64).reshape(-1)
        if len(sigmas) != num_keypoints:
            raise ConfigError(f"kpt_sigmas has {len(sigmas)} values but the dataset has {num_keypoints} "
                              f"keypoints: give {num_keypoints} sigmas, one per keypoint, or none")
        if not (np.isfinite(sigmas).all() and (sigmas > 0).all()):
            raise ConfigError(f"kpt_sigmas must be positive numbers, got {sigmas.tolist()}")
        return sigmas
    normalised = tuple(str(n).strip().lower().replace(" ", "_").replace("-", "_") for n in names)
    if num_keypoints == len(COCO17_SIGMAS) and normalised in ((), COCO17_NAMES):
        return np.asarray(COCO17_SIGMAS, dtype=np.float64)
    return np.full(num_keypoints, DEFAULT_SIGMA, dtype=np.float64)


def pose_sigmas(pose: PoseInfo) -> tuple[float, ...]:
    """The OKS sigmas a pose dataset trains and evaluates with (``keypoint_sigmas`` of its keypoints)."""
    return tuple(float(s) for s in keypoint_sigmas(pose.num_keypoints, pose.keypoint_names, pose.sigmas))


def coco_keypoint_ground_truth(records: Sequence[ImageRecord], class_ids: Sequence[int],
                               names: Sequence[str], num_keypoints: int) -> dict[str, Any]:
    """``coco_ground_truth`` with keypoints: each annotation gets ``keypoints`` (K, 3) [x, y, v] flattened,
    ``num_keypoints`` = count of v > 0 and ``area`` = box w * h * AREA_PER_BOX. A record with objects
    must carry (N, num_keypoints, 3) keypoints (ValueError otherwise)."""
    gt = coco_ground_truth(records, class_ids, names)
    annotations = iter(gt["annotations"])  # one per object, in record order
    for rec in records:
        kpts = _record_keypoints(rec, num_keypoints)
        for points in kpts.tolist():
            ann = next(annotations)
            ann["keypoints"] = [float(v) for point in points for v in point]
            ann["num_keypoints"] = sum(1 for point in points if point[2] > 0)
            ann["area"] = ann["bbox"][2] * ann["bbox"][3] * AREA_PER_BOX
    return gt


def to_coco_keypoint_results(predictions: dict[int, np.ndarray],
                             class_ids: Sequence[int]) -> list[dict[str, Any]]:
    """``to_coco_results`` with keypoints: predictions image id -> (n, 6 + 3K) x1, y1, x2, y2, score, class
    index, then kx, ky, kconf per keypoint, ORIGINAL pixels; each result adds ``keypoints`` [x, y, conf] * K,
    x and y rounded to 3 decimals like the bbox, conf to 5 like the score."""
    rows = {int(i): prediction_rows(p) for i, p in predictions.items()}
    results = to_coco_results({i: r[:, :6] for i, r in rows.items()}, class_ids)
    kpts = [r[:, 6:].reshape(len(r), (r.shape[1] - 6) // 3, 3)
            for _, r in sorted(rows.items())]  # to_coco_results' order
    for result, points in zip(results, (p for image in kpts for p in image.tolist()), strict=True):
        result["keypoints"] = [v for x, y, c in points for v in (round(x, 3), round(y, 3), round(c, 5))]
    return results


def evaluate_keypoints(records: Sequence[ImageRecord], predictions: dict[int, np.ndarray],
                       class_ids: Sequence[int], names: Sequence[str],
                       sigmas: Sequence[float] | np.ndarray) -> KeypointMetrics:
    """COCO keypoint evaluation of ``predictions`` (image id -> (n, 6 + 3K) ORIGINAL px, see
    ``to_coco_keypoint_results``) against the records' keypoints, OKS with ``sigmas`` (K,). Every record
    is evaluated; a prediction for an image id that is not a record, or with another K, raises ValueError."""
    k = len(sigmas)
    check_image_ids(records, predictions)
    for image_id, rows in predictions.items():
        rows = prediction_rows(rows)
        if len(rows) and rows.shape[1] != 6 + 3 * k:
            raise ValueError(f"predictions of image {image_id} have {rows.shape[1]} columns, expected "
                             f"6 + 3 * {k} for {k} keypoints")
    coco_eval = run_cocoeval(coco_keypoint_ground_truth(records, class_ids, names, k),
                             to_coco_keypoint_results(predictions, class_ids), "keypoints", sigmas)
    stats = [mean_or_zero(s) for s in coco_eval.stats[:5]]
    per_class = [(str(n), ap50, ap) for n, (ap50, ap) in zip(names, per_class_ap(coco_eval, class_ids),
                                                               strict=True)]
    curves = pr_curves(coco_eval, class_ids)
    return KeypointMetrics(map=stats[0], map50=stats[1], map75=stats[2], map_m=stats[3], map_l=stats[4],
                           per_class=per_class, precision=curves.precision, recall=curves.recall)


def prediction_rows(dets: np.ndarray) -> np.ndarray:
    """Detection rows as a (n, 6 + 3K) float64 array (a 1-D row becomes one row, an empty array (0, 6));
    ValueError for any other column count."""
    rows = np.asarray(dets, dtype=np.float64)
    if rows.size == 0:
        return rows.reshape(0, rows.shape[-1] if rows.ndim == 2 else 6)
    rows = rows.reshape(-1, rows.shape[-1])
    if rows.shape[1] < 6 or (rows.shape[1] - 6) % 3:
        raise ValueError(f"detection rows need 6 + 3K columns (box, score, class, then x, y, conf per "
                         f"keypoint), got {rows.shape[1]}")
    return rows


def _record_keypoints(rec: ImageRecord, num_keypoints: int) -> np.ndarray:
    """(N, K, 3) float64 keypoints of a record; ValueError when they are missing or of another K."""
    if rec.keypoints is None:
        if len(rec) == 0:
            return np.zeros((0, num_keypoints, 3))
        raise ValueError(f"record {rec.image_id} ({rec.path}) has no keypoints: keypoint evaluation needs "
                         "a pose dataset")
    kpts = np.asarray(rec.keypoints, dtype=np.float64)
    if kpts.shape != (len(rec), num_keypoints, 3):
        raise ValueError(f"record {rec.image_id} has keypoints of shape {kpts.shape}, expected "
                         f"({len(rec)}, {num_keypoints}, 3)")
    return kpts
