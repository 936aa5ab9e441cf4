"""What one training or validation image carries: ``ImageRecord``, built from an annotations Dataset."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.annotations import Dataset
from studio.errors import DatasetFormatError


@dataclass(frozen=True, eq=False)
class ImageRecord:
    """One image and its objects, in the pixels of the (EXIF-oriented) original image.

    boxes: (N, 4) float32 xyxy original pixels; classes: (N,) int64 contiguous class index
    (``Dataset.class_index()``); crowd: (N,) bool (COCO iscrowd: kept for evaluation, never trained on).
    width / height: the size the dataset declares (0 when unknown).
    keypoints: (N, K, 3) float32 [x, y, v] original pixels for a pose dataset (``Dataset.kpt_shape`` set),
    v in {0, 1, 2} and x = y = 0 where v = 0; None for a detection dataset.
    """

    image_id: int
    path: str
    width: int
    height: int
    boxes: np.ndarray
    classes: np.ndarray
    crowd: np.ndarray
    keypoints: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.classes)


def records_from_dataset(dataset: Dataset, split: str | None) -> list[ImageRecord]:
    """The records of ``split`` (every split when None), in dataset order.

    Samples whose image path is None (file not found) are skipped. image_id is the sample's id, or its
    position in ``dataset.samples`` + 1 when it has none (YOLO sources), so the train and val records of
    one dataset never share an id. An annotation whose category is not in ``dataset.categories`` raises
    DatasetFormatError (the readers report and drop such rows, so this means an inconsistent Dataset).
    """
    index = dataset.class_index()
    k = dataset.num_keypoints
    records = []
    for position, sample in enumerate(dataset.samples):
        if sample.path is None or (split is not None and sample.split != split):
            continue
        anns = sample.annotations
        unknown = [a.category_id for a in anns if a.category_id not in index]
        if unknown:
            raise DatasetFormatError(sample.path, None, f"an object has category id {unknown[0]}, which "
                                     "the dataset does not define; fix the label or add the category")
        records.append(ImageRecord(
            image_id=sample.id if sample.id is not None else position + 1,
            path=str(sample.path),
            width=int(sample.width),
            height=int(sample.height),
            boxes=np.asarray([a.box for a in anns], dtype=np.float32).reshape(-1, 4),
            classes=np.asarray([index[a.category_id] for a in anns], dtype=np.int64).reshape(-1),
            crowd=np.asarray([bool(a.iscrowd) for a in anns], dtype=bool).reshape(-1),
            keypoints=_keypoints(sample, k) if dataset.kpt_shape else None,
        ))
    return records


def _keypoints(sample, k: int) -> np.ndarray:
    """(N, K, 3) float32 [x, y, v]: a (K, 2) source (no visibility) marks labeled points (x or y nonzero)
    visible, v = 2; points with v = 0 get x = y = 0."""
    kpts = np.zeros((len(sample.annotations), k, 3), dtype=np.float32)
    for i, ann in enumerate(sample.annotations):
        if ann.keypoints is None:
            continue
        given = np.asarray(ann.keypoints, dtype=np.float32).reshape(k, -1)
        kpts[i, :, :2] = given[:, :2]
        if given.shape[1] >= 3:
            kpts[i, :, 2] = given[:, 2]
        else:
            kpts[i, :, 2] = np.where((given[:, :2] != 0).any(1), 2.0, 0.0)
    kpts[kpts[..., 2] <= 0] = 0.0
    return kpts
