"""Generated stick-figure pose datasets for learning checks and benchmarks, drawn by our own code (numpy +
Pillow) and written as a YOLO pose dataset by ``studio.io.yolo.save_yolo``.

``make_stick_figures(out_dir, num_images=8, size=160)`` writes::

    out_dir/data.yaml                     names {0: person}, kpt_shape [7, 3], flip_idx, and under ``coco:``
                                          the keypoint names and skeleton; train and val are the same
                                          folder unless ``val_images`` is given
    out_dir/images/train/stick_NNN.png    RGB, size x size
    out_dir/labels/train/stick_NNN.txt    0 cx cy w h  x y 2 (x 7)  (normalised, 6 decimals)

A figure faces the camera: its left side is drawn on the image's right. Keypoints (all v = 2): head, left /
right shoulder, hand and foot, each drawn as a small disc whose colour is that of its body part (both hands
share one colour, so a mirrored figure is a valid figure with its sides swapped by ``FLIP_IDX``: the side
is told by the position, as for people). Arms and legs always point away from the body's centre line, so
a left hand lies right of the figure's middle. The box is the figure's extent plus a small margin;
figures never overlap. The labels depend only on the seed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from studio.annotations import Annotation, Category, Dataset, Sample
from studio.io.yolo import save_yolo
from studio.shapes import is_free, write_png
from studio.utils.atomic import atomic_write_text

KEYPOINT_NAMES = ("head", "left_shoulder", "right_shoulder", "left_hand", "right_hand", "left_foot",
                  "right_foot")
FLIP_IDX = (0, 2, 1, 4, 3, 6, 5)
SKELETON = ((1, 2), (1, 3), (2, 3), (2, 4), (3, 5), (2, 6), (3, 7))  # COCO 1-based
PART_COLOURS = {"head": (230, 50, 40), "shoulder": (40, 180, 70), "hand": (40, 80, 235),
                "foot": (240, 210, 40)}
KEYPOINT_COLOURS = tuple(PART_COLOURS[name.split("_")[-1]] for name in KEYPOINT_NAMES)  # RGB per keypoint
BODY_COLOURS = ((30, 30, 30), (70, 40, 25), (25, 35, 70))
_SIDE = (0, 1, -1, 1, -1, 1, -1)  # +1: the figure's left, drawn towards the image's right


def make_stick_figures(out_dir: Path | str, *, num_images: int = 8, size: int = 160, seed: int = 0,
                       max_objects: int = 2, val_images: int = 0) -> Path:
    """Write the dataset; returns the data.yaml path. ``val_images`` > 0 adds a separate val split."""
    out = Path(out_dir)
    rng = np.random.default_rng(seed)
    samples = []
    for split, count in (("train", num_images), ("val", val_images)):
        for i in range(count):
            image, annotations = _image(rng, size, max_objects)
            name = f"stick_{i:03d}.png"
            write_png(out / "images" / split / name, image)
            samples.append(Sample(name, out / "images" / split / name, size, size, split, annotations))
    person = Category(1, "person", "person", KEYPOINT_NAMES, SKELETON)
    save_yolo(Dataset([person], samples, kpt_shape=(len(KEYPOINT_NAMES), 3), flip_idx=FLIP_IDX), out,
              images="none")
    yaml_path = out / "data.yaml"
    if not val_images:
        atomic_write_text(yaml_path, yaml_path.read_text(encoding="utf-8") + "val: images/train\n")
    return yaml_path


def figure_points(height: float, arms: tuple[float, float], legs: tuple[float, float]) -> np.ndarray:
    """(7, 2) keypoints of a figure ``height`` px tall, head centre at (0, 0.1 * height), y down.

    arms / legs: (left, right) angles in degrees from straight down, away from the centre line.
    """
    h = height
    points = np.zeros((7, 2))
    points[0] = (0.0, 0.1 * h)
    for k, (side, angle) in enumerate(zip((1, -1), arms, strict=True)):
        shoulder = np.array([side * 0.13 * h, 0.24 * h])
        points[1 + k] = shoulder
        points[3 + k] = shoulder + 0.3 * h * np.array([side * math.sin(math.radians(angle)),
                                                         math.cos(math.radians(angle))])
    for k, (side, angle) in enumerate(zip((1, -1), legs, strict=True)):
        points[5 + k] = (side * 0.4 * h * math.sin(math.radians(angle)),
                         0.58 * h + 0.4 * h * math.cos(math.radians(angle)))
    return points


def _image(rng: np.random.Generator, size: int, max_objects: int) -> tuple[Image.Image, list[Annotation]]:
    background = rng.integers(120, 200, size=3)
    noise = rng.normal(0, float(rng.choice([0.0, 5.0, 10.0])), size=(size, size, 3))
    image = Image.fromarray(np.clip(background + noise, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    placed: list[tuple[float, float, float, float]] = []
    annotations = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        figure = _free_figure(rng, size, placed)
        if figure is None:
            continue
        points, box, height = figure
        placed.append(box)
        _draw(draw, points, height, BODY_COLOURS[int(rng.integers(len(BODY_COLOURS)))])
        keypoints = np.concatenate([points, np.full((7, 1), 2.0)], 1)
        annotations.append(Annotation(category_id=1, box=box, keypoints=keypoints))
    return image, annotations


def _free_figure(rng: np.random.Generator, size: int, placed: list
                 ) -> tuple[np.ndarray, tuple[float, float, float, float], float] | None:
    """(keypoints (7, 2) image pixels, box xyxy, figure height) of a figure that fits the image and
    overlaps no ``placed`` box; None after 20 tries."""
    for _ in range(20):
        height = float(rng.uniform(0.35, 0.7) * size)
        arms = (float(rng.uniform(15, 165)), float(rng.uniform(15, 165)))
        legs = (float(rng.uniform(5, 35)), float(rng.uniform(5, 35)))
        points = figure_points(height, arms, legs)
        grow = _disc_radius(height) + 0.03 * height + 1.0
        lo = np.minimum(points.min(0), (-0.08 * height, 0.02 * height)) - grow  # the head circle too
        hi = points.max(0) + grow
        span = hi - lo
        if (span > size - 2).any():
            continue
        origin = rng.uniform(1 - lo, size - 1 - hi)  # where the figure's (0, 0) goes
        points = points + origin
        x1, y1 = (float(v) for v in lo + origin)
        x2, y2 = (float(v) for v in hi + origin)
        box = (x1, y1, x2, y2)
        if is_free(box, placed):
            return points, box, height
    return None


def _disc_radius(height: float) -> float:
    return max(2.0, 0.035 * height)


def _draw(draw: ImageDraw.ImageDraw, points: np.ndarray, height: float, body: tuple[int, int, int]) -> None:
    """Limbs as thick lines, the head as a circle, then a disc of its part's colour on each keypoint.
    Keypoints are continuous pixel coordinates (pixel i spans [i, i + 1)); Pillow puts pixel centres on
    integers, hence the half-pixel shift."""
    p = [tuple(float(v) - 0.5 for v in point) for point in points]
    width = max(2, round(0.03 * height))
    neck = ((p[1][0] + p[2][0]) / 2, p[1][1])
    hip = (neck[0], neck[1] + 0.34 * height)
    limbs = ((p[0], neck), (p[1], p[2]), (neck, hip), (p[1], p[3]), (p[2], p[4]), (hip, p[5]), (hip, p[6]))
    for a, b in limbs:
        draw.line([a, b], fill=body, width=width)
    head = 0.08 * height
    draw.ellipse([p[0][0] - head, p[0][1] - head, p[0][0] + head, p[0][1] + head], fill=body)
    r = _disc_radius(height)
    for (x, y), colour in zip(p, KEYPOINT_COLOURS, strict=True):
        draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
