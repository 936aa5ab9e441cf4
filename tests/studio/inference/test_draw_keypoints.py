"""Drawing keypoints and skeletons: which points and edges pass the confidence, their colours, and
draw_detections drawing boxes, labels and skeletons in one call."""

from __future__ import annotations

import numpy as np
import pytest

from studio.inference.draw import class_color, confidence_color, draw_detections, draw_keypoints

WHITE = np.full((200, 300, 3), 255, np.uint8)
# one object, K = 4: points 1 and 2 confident, 3 below the threshold, 4 confident
KPTS = np.array([[[40, 50, 0.95], [140, 50, 0.6], [140, 150, 0.3], [40, 150, 1.0]]], np.float32)
SKELETON = ((1, 2), (2, 3), (3, 4), (4, 1))


def color_at(img: np.ndarray, x: int, y: int) -> tuple[int, int, int]:
    return tuple(int(v) for v in img[y, x])


def test_confidence_colors_run_from_red_to_green() -> None:
    assert confidence_color(0.0) == (255, 0, 0)
    assert confidence_color(0.5) == (255, 255, 0)
    assert confidence_color(1.0) == (0, 255, 0)
    assert confidence_color(0.75) == (128, 255, 0)
    assert confidence_color(1.7) == (0, 255, 0) and confidence_color(-1) == (255, 0, 0)  # clipped


def test_points_and_edges_that_pass_the_confidence() -> None:
    out = draw_keypoints(WHITE, KPTS, SKELETON, line_width=2, radius=4)
    assert (WHITE == 255).all() and out.shape == WHITE.shape and out.dtype == np.uint8  # input untouched
    assert color_at(out, 40, 50) == confidence_color(0.95)
    assert color_at(out, 140, 50) == confidence_color(0.6)
    assert color_at(out, 40, 150) == confidence_color(1.0)
    assert color_at(out, 140, 150) == (255, 255, 255)  # conf 0.3: no dot
    # edge 1-2 is drawn in the colour of its weaker end; edge 4-1 likewise; edges touching point 3 are not
    assert color_at(out, 90, 50) == confidence_color(0.6)
    assert color_at(out, 40, 100) == confidence_color(0.95)
    assert color_at(out, 140, 100) == (255, 255, 255) and color_at(out, 90, 150) == (255, 255, 255)
    # a lower threshold draws point 3 and its edges
    low = draw_keypoints(WHITE, KPTS, SKELETON, conf=0.25, line_width=2, radius=4)
    assert color_at(low, 140, 150) == confidence_color(0.3)
    assert color_at(low, 140, 100) == confidence_color(0.3)
    # no skeleton: the dots alone
    dots = draw_keypoints(WHITE, KPTS, (), line_width=2, radius=4)
    assert color_at(dots, 40, 50) == confidence_color(0.95) and color_at(dots, 90, 50) == (255, 255, 255)


def test_sizes_scale_with_the_image_and_bad_edges() -> None:
    # draw_boxes' line width: max(round(mean side * 0.003), 2) -> 2 at 300 x 200, 8 at 3000 x 2000;
    # the radius is the line width + 2: a dot 2 * 4 + 1 = 9 px wide, 2 * 10 + 1 = 21 px
    small = draw_keypoints(WHITE, KPTS, ())
    big = draw_keypoints(np.full((2000, 3000, 3), 255, np.uint8), KPTS * [10, 10, 1], ())
    color = confidence_color(0.95)
    assert (small[50, :100] == color).all(-1).sum() == 9  # full colour (anti-aliased edges aside)
    assert (big[500, :1000] == color).all(-1).sum() == 21
    with pytest.raises(ValueError, match=r"outside 1\.\.4"):
        draw_keypoints(WHITE, KPTS, ((0, 1),))
    with pytest.raises(ValueError, match=r"outside 1\.\.4"):
        draw_keypoints(WHITE, KPTS, ((4, 5),))
    assert (draw_keypoints(WHITE, np.zeros((0, 4, 3)), SKELETON) == WHITE).all()


def test_draw_detections_with_keypoint_columns() -> None:
    dets = np.concatenate([[[20, 30, 160, 170, 0.9, 2]], KPTS.reshape(1, -1)], 1).astype(np.float32)
    out = draw_detections(WHITE, dets, ["a", "b", "c"], skeleton=SKELETON, line_width=2)
    assert color_at(out, 20, 100) == class_color(2)  # the box's left edge
    assert color_at(out, 90, 50) == confidence_color(0.6)  # a skeleton edge
    assert color_at(out, 40, 150) == confidence_color(1.0)  # a keypoint
    # the same with the keypoints given apart, and a box-only call draws no keypoints
    apart = draw_detections(WHITE, dets[:, :6], ["a", "b", "c"], keypoints=KPTS, skeleton=SKELETON,
                            line_width=2)
    assert (apart == out).all()
    boxes_only = draw_detections(WHITE, dets[:, :6], ["a", "b", "c"], line_width=2)
    assert color_at(boxes_only, 90, 50) == (255, 255, 255) and color_at(boxes_only, 20, 100) == class_color(2)
    assert (draw_detections(WHITE, np.zeros((0, 18)), [], skeleton=SKELETON) == WHITE).all()
    with pytest.raises(ValueError, match="2 objects of keypoints for 1"):
        draw_detections(WHITE, dets[:, :6], ["a"], keypoints=np.concatenate([KPTS, KPTS]))


def test_keypoints_follow_their_detection_in_score_order() -> None:
    # two objects; the higher score is drawn last, its keypoints on top where the two overlap
    k_low = np.array([[100, 100, 0.55]], np.float32)
    k_high = np.array([[100, 100, 1.0]], np.float32)
    dets = np.array([[10, 10, 190, 190, 0.9], [20, 20, 180, 180, 0.3]], np.float32)
    rows = np.concatenate([dets, [[0], [1]], np.stack([k_high, k_low]).reshape(2, -1)], 1)
    out = draw_detections(WHITE, rows, ["a", "b"], line_width=2)
    assert color_at(out, 100, 100) == confidence_color(1.0)
