"""Canvas gestures as project edits: each function makes ONE ``session.edit`` call (one commit, one
undo step) and the store's history is the only undo stack.

Geometry helpers work in image pixels: boxes are ``(x1, y1, x2, y2)`` xyxy floats with x1 < x2,
y1 < y2 inside ``(0, 0, width, height)``; keypoints are ``(K, 3)`` x, y, v with v in {0, 1, 2}.
"""

from __future__ import annotations

import numpy as np

from app.session import Session
from studio.store.project import Project

Box = tuple[float, float, float, float]
MIN_BOX = 2.0  # pixels: a drawn or resized box narrower or lower than this is ignored
NEXT_VISIBILITY = {2: 1, 1: 0, 0: 2}  # the V key's cycle


def clip_point(x: float, y: float, width: float, height: float) -> tuple[float, float]:
    return min(max(x, 0.0), float(width)), min(max(y, 0.0), float(height))


def normalised_box(x1: float, y1: float, x2: float, y2: float, width: float, height: float) -> Box | None:
    """The box with corners (x1, y1), (x2, y2) in either order, clipped to the image; None when it
    ends up under MIN_BOX pixels on either side."""
    ax, ay = clip_point(min(x1, x2), min(y1, y2), width, height)
    bx, by = clip_point(max(x1, x2), max(y1, y2), width, height)
    if bx - ax < MIN_BOX or by - ay < MIN_BOX:
        return None
    return ax, ay, bx, by


def moved_box(box: Box, dx: float, dy: float, width: float, height: float) -> Box:
    """``box`` shifted by (dx, dy), the shift shortened so the box stays inside the image (a box
    larger than the image keeps its top-left at 0)."""
    x1, y1, x2, y2 = box
    dx = max(-x1, min(dx, width - x2)) if x2 - x1 <= width else -x1
    dy = max(-y1, min(dy, height - y2)) if y2 - y1 <= height else -y1
    return x1 + dx, y1 + dy, x2 + dx, y2 + dy


# ---------------------------------------------------------------------- edits of the current image
def add_box(session: Session, image_id: int, category_id: int, box: Box,
            keypoints: np.ndarray | None = None) -> int:
    """A new object (with ``keypoints`` (K, 3) when given); returns its annotation id. The image's status
    may change (images_changed)."""
    return session.edit(lambda p: p.add_box(image_id, category_id, box, keypoints), image_id=image_id,
                        images=True)


def add_boxes(session: Session, image_id: int, objects: list) -> list[int]:
    """Several new objects, (category id, box, keypoints or None) each, as one undo step."""
    return session.edit(lambda p: p.add_boxes(image_id, objects), image_id=image_id, images=True)


def set_box(session: Session, image_id: int, ann_id: int, box: Box, *, move: bool = False) -> None:
    """Store ``box``; ``move`` (a drag of the whole box or a nudge) carries its keypoints along."""
    session.edit(lambda p: p.set_box(ann_id, box, move_keypoints=move), image_id=image_id)


def delete_box(session: Session, image_id: int, ann_id: int) -> None:
    session.edit(lambda p: p.delete_box(ann_id), image_id=image_id, images=True)


def set_keypoint(session: Session, image_id: int, ann_id: int, k: int, x: float, y: float, v: int) -> None:
    session.edit(lambda p: p.set_keypoint(ann_id, k, x, y, v), image_id=image_id)


def mark_done(session: Session, image_id: int) -> None:
    """Status 'done' (the list shows 'done, no objects' for an image without objects)."""
    session.edit(lambda p: p.set_status(image_id, "done"), image_id=image_id, images=True)


def copy_boxes(session: Session, source_id: int, target_id: int) -> list[int]:
    """Add every object of image ``source_id`` (class, box, keypoints) to ``target_id`` as one undo
    step, boxes clipped to the target's size (a box that no longer fits is left out). Returns the
    new annotation ids ([] when there was nothing to copy)."""
    project = session.project
    assert project is not None
    target = project.image(target_id)
    objects = []
    for ann in project.annotations(source_id):
        box = normalised_box(*ann.box, target.width, target.height)
        if box is not None:
            kpts = None if ann.keypoints is None else np.array(ann.keypoints, dtype=np.float64)
            objects.append((ann.category_id, box, kpts))
    if not objects:
        return []
    return session.edit(lambda p: p.add_boxes(target_id, objects), image_id=target_id, images=True)


def previous_image_id(project: Project, image_id: int, page: int = 2000) -> int | None:
    """The image before ``image_id`` in the project's file-name order (the unfiltered list order),
    or None for the first image; reads the list page by page."""
    before: int | None = None
    offset = 0
    while rows := project.page(offset, page):
        for row in rows:
            if row.id == image_id:
                return before
            before = row.id
        offset += len(rows)
    return None
