"""Precision / recall / F1 curves over confidence, per class, driven by COCOeval's own matching (its
``evalImgs`` at IoU 0.5, area "all", 100 detections per image and class) and summarised as the YOLO family
does (``ap_per_class``): P and R are read at the confidence where the smoothed mean F1 peaks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pycocotools.cocoeval import COCOeval

CONF_POINTS = 1000  # confidence grid of the P / R / F1 curves
EPS = 1e-16


@dataclass(frozen=True, eq=False)
class PRCurves:
    """Curves per class index; rows of classes without ground truth are nan.

    recall_points (101,): COCO's recall thresholds; pr (nc, 101): COCOeval's interpolated precision at
    IoU 0.5 on those points (the curve whose mean is AP50); confidence (1000,) in [0, 1]; p, r, f1
    (nc, 1000): precision, recall and F1 of the detections scoring >= each confidence (IoU 0.5).
    """

    recall_points: np.ndarray
    pr: np.ndarray
    confidence: np.ndarray
    p: np.ndarray
    r: np.ndarray
    f1: np.ndarray
    has_gt: np.ndarray      # (nc,) bool: the class has non-crowd ground truth
    best_conf: float        # the confidence of the best smoothed mean F1
    precision: float        # mean over classes with ground truth of p at best_conf
    recall: float           # same for r


def pr_curves(coco_eval: COCOeval, class_ids: Sequence[int]) -> PRCurves:
    """Build the curves from an evaluated and accumulated COCOeval ("bbox", default params);
    class_ids: class index -> category id."""
    params = coco_eval.params
    area_all = params.areaRngLbl.index("all")
    positions = {int(c): k for k, c in enumerate(params.catIds)}
    confidence = np.linspace(0, 1, CONF_POINTS)
    nc = len(class_ids)
    p, r = np.full((nc, CONF_POINTS), np.nan), np.full((nc, CONF_POINTS), np.nan)
    pr = np.full((nc, len(params.recThrs)), np.nan)
    has_gt = np.zeros(nc, dtype=bool)
    for cls, cat_id in enumerate(class_ids):
        k = positions[int(cat_id)]
        scores, tp, n_gt = _class_matches(coco_eval, k, area_all)
        if n_gt == 0:
            continue
        has_gt[cls] = True
        p[cls], r[cls] = _curves_over_confidence(scores, tp, n_gt, confidence)
        pr[cls] = coco_eval.eval["precision"][0, :, k, area_all, -1]
    f1 = 2 * p * r / (p + r + EPS)
    if not has_gt.any():
        return PRCurves(params.recThrs.copy(), pr, confidence, p, r, f1, has_gt, 0.0, 0.0, 0.0)
    best = int(_smooth(f1[has_gt].mean(0), 0.1).argmax())
    return PRCurves(params.recThrs.copy(), pr, confidence, p, r, f1, has_gt, float(confidence[best]),
                    float(p[has_gt, best].mean()), float(r[has_gt, best].mean()))


def _class_matches(coco_eval: COCOeval, k: int, area: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(scores (D,), true positive (D,) bool, number of non-ignored ground truths) of category position
    ``k`` over every image, at the first IoU threshold (0.5); detections matched to an ignored (crowd)
    ground truth are dropped, as COCOeval drops them."""
    n_img, n_area = len(coco_eval.params.imgIds), len(coco_eval.params.areaRng)
    start = (k * n_area + area) * n_img
    entries = [e for e in coco_eval.evalImgs[start:start + n_img] if e is not None]
    if not entries:
        return np.zeros(0), np.zeros(0, dtype=bool), 0
    n_gt = int(sum(np.count_nonzero(np.asarray(e["gtIgnore"]) == 0) for e in entries))
    scores = np.concatenate([np.asarray(e["dtScores"], dtype=np.float64) for e in entries])
    matched = np.concatenate([e["dtMatches"][0] for e in entries]) != 0
    ignored = np.concatenate([e["dtIgnore"][0] for e in entries]).astype(bool)
    return scores[~ignored], matched[~ignored], n_gt


def _curves_over_confidence(scores: np.ndarray, tp: np.ndarray, n_gt: int,
                            confidence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall of the detections scoring >= each confidence (YOLOv8 ``ap_per_class``:
    precision is 1 and recall 0 above the highest score)."""
    if len(scores) == 0:
        return np.zeros_like(confidence), np.zeros_like(confidence)
    order = np.argsort(-scores, kind="mergesort")  # COCOeval's sort
    scores, tp = scores[order], tp[order]
    tpc = np.cumsum(tp)
    fpc = np.cumsum(~tp)
    recall = tpc / n_gt
    precision = tpc / (tpc + fpc)
    return (np.interp(-confidence, -scores, precision, left=1),
            np.interp(-confidence, -scores, recall, left=0))


def _smooth(y: np.ndarray, fraction: float) -> np.ndarray:
    """Box filter over ``fraction`` of the points, edges padded with the end values (YOLOv8 ``smooth``)."""
    nf = round(len(y) * fraction * 2) // 2 + 1
    pad = np.ones(nf // 2)
    padded = np.concatenate((pad * y[0], y, pad * y[-1]))
    return np.convolve(padded, np.ones(nf) / nf, mode="valid")
