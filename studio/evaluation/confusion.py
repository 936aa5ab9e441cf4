"""The detection confusion matrix, YOLOv8's convention: rows are predicted classes, columns true classes,
the last row and column are background (a missed object is counted in the background row, a false
detection in the background column)."""

from __future__ import annotations

import numpy as np

from studio.utils.boxes_np import box_iou


class ConfusionMatrix:
    """Accumulates ``matrix`` (nc + 1, nc + 1) int64 over images.

    conf: detections scoring at or below this are ignored; iou: a detection and a ground truth pair up
    when their IoU is above this (each ground truth and each detection is used at most once, best IoU
    first, whatever the classes).
    """

    def __init__(self, nc: int, conf: float = 0.25, iou: float = 0.45) -> None:
        self.nc, self.conf, self.iou = nc, conf, iou
        self.matrix = np.zeros((nc + 1, nc + 1), dtype=np.int64)

    def update(self, dets: np.ndarray, gt_boxes: np.ndarray, gt_classes: np.ndarray) -> None:
        """One image. dets: (n, 6+) x1, y1, x2, y2, score, class index (any confidence; this applies its
        own; further columns, e.g. keypoints, are ignored); gt_boxes: (m, 4) xyxy in the same pixels;
        gt_classes: (m,) class index."""
        dets = np.asarray(dets, dtype=np.float32)
        dets = dets.reshape(-1, dets.shape[-1] if dets.ndim == 2 else 6)[:, :6]
        dets = dets[dets[:, 4] > self.conf]
        pred = dets[:, 5].astype(np.int64)
        true = np.asarray(gt_classes, dtype=np.int64).reshape(-1)
        gt_boxes = np.asarray(gt_boxes, dtype=np.float32).reshape(-1, 4)
        gt_of, det_of = self._match(gt_boxes, dets[:, :4])
        np.add.at(self.matrix, (pred[det_of], true[gt_of]), 1)            # paired: predicted vs true class
        missed = np.setdiff1d(np.arange(len(true)), gt_of)
        np.add.at(self.matrix, (self.nc, true[missed]), 1)                 # ground truth nobody found
        false = np.setdiff1d(np.arange(len(pred)), det_of)
        np.add.at(self.matrix, (pred[false], self.nc), 1)                  # detections of nothing

    def _match(self, gt: np.ndarray, det: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (gt index (k,), det index (k,)) with IoU > self.iou, greedily by descending IoU,
        each index used once."""
        if len(gt) == 0 or len(det) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        iou = box_iou(gt, det)
        gi, di = np.nonzero(iou > self.iou)
        order = np.argsort(-iou[gi, di], kind="stable")
        gi, di = gi[order], di[order]
        _, first = np.unique(di, return_index=True)       # each detection keeps its best ground truth
        keep = np.sort(first)
        gi, di = gi[keep], di[keep]
        _, first = np.unique(gi, return_index=True)       # then each ground truth its best detection
        keep = np.sort(first)
        return gi[keep], di[keep]

    def normalized(self) -> np.ndarray:
        """Each column divided by its sum (the share of each true class predicted as each row); 0 where
        a column is empty."""
        sums = self.matrix.sum(0, keepdims=True)
        return self.matrix / np.maximum(sums, 1)
