"""Detection mAP by pycocotools itself: ground truth and results are built in memory and handed to
``COCOeval("bbox")`` unchanged, so the numbers equal what pycocotools gives on the written
``predictions.json`` (the results are rounded exactly as ``to_coco_results`` writes them).

Precision and recall (at the confidence that maximises the mean F1 over classes, IoU 0.5) come from
COCOeval's own matching; see ``studio.evaluation.pr_curves``.
"""

from __future__ import annotations

import contextlib
import copy
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.evaluation.pr_curves import PRCurves, pr_curves

if TYPE_CHECKING:
    from pycocotools.cocoeval import COCOeval

    from studio.data.records import ImageRecord


@dataclass(frozen=True, eq=False)
class DetectionMetrics:
    """What one evaluation found. Means are over the classes that have ground truth (as COCOeval);
    a class without ground truth has nan AP in ``per_class``; with no ground truth at all the means are 0.

    per_class: one (name, images, instances, ap50, ap50-95) per class index (images / instances count
    non-crowd ground truth); curves: PR curves at IoU 0.5 and P / R / F1 over confidence.
    """

    map50: float      # mean AP at IoU 0.5 (COCOeval stats[1])
    map: float        # mean AP at IoU 0.50:0.95 (COCOeval stats[0])
    precision: float  # mean precision at the confidence of the best mean F1 (IoU 0.5)
    recall: float     # mean recall at that confidence
    per_class: list[tuple[str, int, int, float, float]]
    curves: PRCurves

    @property
    def fitness(self) -> float:
        """0.1 * mAP50 + 0.9 * mAP50-95 (the YOLO family's best-checkpoint criterion)."""
        return 0.1 * self.map50 + 0.9 * self.map


def to_coco_results(predictions: dict[int, np.ndarray], class_ids: Sequence[int]) -> list[dict[str, Any]]:
    """COCO results: one dict per detection, images in ascending id order.

    predictions: image id -> (n, 6) x1, y1, x2, y2 ORIGINAL pixels, score, class index;
    class_ids: class index -> the dataset's category id. bbox is xywh rounded to 3 decimals, score to 5.
    """
    results = []
    for image_id in sorted(predictions):
        dets = np.asarray(predictions[image_id], dtype=np.float64).reshape(-1, 6)
        for x1, y1, x2, y2, score, cls in dets.tolist():
            results.append({"image_id": int(image_id), "category_id": int(class_ids[int(cls)]),
                            "bbox": [round(x1, 3), round(y1, 3), round(x2 - x1, 3), round(y2 - y1, 3)],
                            "score": round(score, 5)})
    return results


def coco_ground_truth(records: Sequence[ImageRecord], class_ids: Sequence[int],
                      names: Sequence[str]) -> dict[str, Any]:
    """A COCO ground-truth dict: images (id, file_name, width, height), categories (the dataset's ids),
    annotations (ids from 1, bbox xywh, area = w * h, iscrowd)."""
    images, annotations = [], []
    for rec in records:
        images.append({"id": int(rec.image_id), "file_name": str(rec.path), "width": int(rec.width),
                       "height": int(rec.height)})
        boxes = np.asarray(rec.boxes, dtype=np.float64).reshape(-1, 4)
        for (x1, y1, x2, y2), cls, crowd in zip(boxes.tolist(), rec.classes.tolist(), rec.crowd.tolist(),
                                                strict=True):
            w, h = x2 - x1, y2 - y1
            annotations.append({"id": len(annotations) + 1, "image_id": int(rec.image_id),
                                "category_id": int(class_ids[cls]), "bbox": [x1, y1, w, h], "area": w * h,
                                "iscrowd": int(crowd)})
    categories = [{"id": int(i), "name": str(n)} for i, n in zip(class_ids, names, strict=True)]
    return {"images": images, "annotations": annotations, "categories": categories}


def evaluate_detections(records: Sequence[ImageRecord], predictions: dict[int, np.ndarray],
                        class_ids: Sequence[int], names: Sequence[str]) -> DetectionMetrics:
    """COCO bbox evaluation of ``predictions`` (image id -> (n, 6) ORIGINAL px, score, class index)
    against ``records``. Every record is evaluated (an image without predictions counts its misses);
    a prediction for an image id that is not a record raises ValueError."""
    check_image_ids(records, predictions)
    coco_eval = run_cocoeval(coco_ground_truth(records, class_ids, names),
                             to_coco_results(predictions, class_ids))
    stats = coco_eval.stats
    curves = pr_curves(coco_eval, class_ids)
    per_class = _per_class(records, coco_eval, class_ids, names)
    return DetectionMetrics(map50=mean_or_zero(stats[1]), map=mean_or_zero(stats[0]),
                            precision=curves.precision, recall=curves.recall, per_class=per_class,
                            curves=curves)


def check_image_ids(records: Sequence[ImageRecord], predictions: dict[int, np.ndarray]) -> None:
    """ValueError when ``predictions`` has an image id that is not among the records."""
    known = {int(r.image_id) for r in records}
    stray = sorted(set(map(int, predictions)) - known)
    if stray:
        raise ValueError(f"predictions for image ids that are not among the records: {stray[:5]}")


def run_cocoeval(gt: dict[str, Any], results: list[dict[str, Any]], iou_type: str = "bbox",
                 kpt_sigmas: Sequence[float] | np.ndarray | None = None) -> COCOeval:
    """evaluate + accumulate + summarize with pycocotools (its prints silenced); ``results`` may be
    empty (``COCO.loadRes`` cannot take an empty list, so an empty results set is built directly).

    iou_type: "bbox" or "keypoints" (COCOeval's iouType); kpt_sigmas: (K,) per-keypoint OKS sigmas set as
    ``params.kpt_oks_sigmas`` (None: pycocotools' own, COCO-17's; only used by "keypoints").
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        if results:
            coco_dt = coco_gt.loadRes(copy.deepcopy(results))  # loadRes adds fields to the dicts
        else:
            coco_dt = COCO()
            coco_dt.dataset = {"images": list(gt["images"]), "categories": copy.deepcopy(gt["categories"]),
                               "annotations": []}
            coco_dt.createIndex()
        coco_eval = COCOeval(coco_gt, coco_dt, iou_type)
        if kpt_sigmas is not None:
            coco_eval.params.kpt_oks_sigmas = np.asarray(kpt_sigmas, dtype=np.float64)
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
    return coco_eval


def _per_class(records: Sequence[ImageRecord], coco_eval: COCOeval, class_ids: Sequence[int],
               names: Sequence[str]) -> list[tuple[str, int, int, float, float]]:
    """(name, images, instances, ap50, ap) per class index."""
    nc = len(names)
    images, instances = np.zeros(nc, dtype=np.int64), np.zeros(nc, dtype=np.int64)
    for rec in records:
        classes = np.asarray(rec.classes, dtype=np.int64)[~np.asarray(rec.crowd, dtype=bool)]
        instances += np.bincount(classes, minlength=nc)[:nc]
        images[np.unique(classes)] += 1
    return [(str(name), int(images[cls]), int(instances[cls]), ap50, ap)
            for cls, (name, (ap50, ap)) in enumerate(zip(names, per_class_ap(coco_eval, class_ids),
                                                         strict=True))]


def per_class_ap(coco_eval: COCOeval, class_ids: Sequence[int]) -> list[tuple[float, float]]:
    """(ap50, ap50-95) per class index from an accumulated COCOeval (area "all", the largest maxDets),
    nan for a class without (non-ignored) ground truth. COCOeval's categories are sorted by id, so the
    class index -> position map goes through the category ids."""
    precision = coco_eval.eval["precision"][:, :, :, 0, -1]  # (T, R, K): area all, the largest maxDets
    positions = {int(c): k for k, c in enumerate(coco_eval.params.catIds)}
    rows = []
    for class_id in class_ids:
        p = precision[:, :, positions[int(class_id)]]
        ap = float(np.mean(p[p > -1])) if (p > -1).any() else float("nan")
        p50 = p[0]
        ap50 = float(np.mean(p50[p50 > -1])) if (p50 > -1).any() else float("nan")
        rows.append((ap50, ap))
    return rows


def mean_or_zero(value: float) -> float:
    """A COCOeval stat, 0 where COCOeval reports -1 (no class has ground truth)."""
    return float(value) if value > -1 else 0.0
