"""Generated shape datasets for learning checks and benchmarks: coloured circles, squares and triangles
on a noisy background, drawn by our own code (numpy + Pillow), written as a YOLO dataset.

``make_shapes(out_dir, num_images=8, size=160)`` writes::

    out_dir/data.yaml                     names {0: circle, 1: square, 2: triangle}; train and val are the
                                          same folder unless ``val_images`` is given
    out_dir/images/train/shape_NNN.png    RGB, size x size
    out_dir/labels/train/shape_NNN.txt    class cx cy w h (normalised, 6 decimals)

The labels depend only on the seed.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from studio.utils.atomic import atomic_write_bytes, atomic_write_text

NAMES = ("circle", "square", "triangle")
COLOURS = ((230, 60, 50), (60, 170, 80), (60, 90, 220), (235, 200, 50), (200, 80, 200))


def make_shapes(out_dir: Path | str, *, num_images: int = 8, size: int = 160, seed: int = 0,
                max_objects: int = 3, val_images: int = 0) -> Path:
    """Write the dataset; returns the data.yaml path. ``val_images`` > 0 adds a separate val split."""
    out = Path(out_dir)
    rng = np.random.default_rng(seed)
    for split, count in (("train", num_images), ("val", val_images)):
        for i in range(count):
            image, rows = shapes_image(rng, size, max_objects)
            write_png(out / "images" / split / f"shape_{i:03d}.png", image)
            atomic_write_text(out / "labels" / split / f"shape_{i:03d}.txt", "".join(rows))
    val = "images/val" if val_images else "images/train"
    names = "".join(f"  {i}: {n}\n" for i, n in enumerate(NAMES))
    yaml_path = out / "data.yaml"
    atomic_write_text(yaml_path, f"path: .\ntrain: images/train\nval: {val}\nnames:\n{names}")
    return yaml_path


def shapes_image(rng: np.random.Generator, size: int, max_objects: int) -> tuple[Image.Image, list[str]]:
    """One generated image (size x size RGB: a noisy grey background, up to ``max_objects`` coloured
    circles, squares and triangles) and its YOLO label rows."""
    background = rng.integers(90, 150, size=3)
    noise = rng.normal(0, 12, size=(size, size, 3))
    pixels = np.clip(background + noise, 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(image)
    placed: list[tuple[float, float, float, float]] = []
    rows = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        box = _free_box(rng, size, placed)
        if box is None:
            continue
        placed.append(box)
        cls = int(rng.integers(len(NAMES)))
        _draw(draw, cls, box, COLOURS[int(rng.integers(len(COLOURS)))])
        x1, y1, x2, y2 = box
        rows.append(f"{cls} {(x1 + x2) / 2 / size:.6f} {(y1 + y2) / 2 / size:.6f} "
                    f"{(x2 - x1) / size:.6f} {(y2 - y1) / size:.6f}\n")
    return image, rows


def _free_box(rng: np.random.Generator, size: int, placed: list) -> tuple[float, float, float, float] | None:
    for _ in range(20):
        side = float(rng.uniform(0.18, 0.4) * size)
        x1, y1 = (float(v) for v in rng.uniform(2, size - side - 2, size=2))
        box = (x1, y1, x1 + side, y1 + side)
        if is_free(box, placed):
            return box
    return None


def is_free(box: tuple[float, float, float, float], placed: list) -> bool:
    """Whether the xyxy ``box`` overlaps none of the ``placed`` boxes."""
    return all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in placed)


def write_png(path: Path, image: Image.Image) -> None:
    """Encode ``image`` as PNG and write it atomically."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())


def _draw(draw: ImageDraw.ImageDraw, cls: int, box: tuple[float, float, float, float], colour) -> None:
    x1, y1, x2, y2 = box
    if cls == 0:
        draw.ellipse(box, fill=colour)
    elif cls == 1:
        draw.rectangle(box, fill=colour)
    else:
        draw.polygon([((x1 + x2) / 2, y1), (x2, y2), (x1, y2)], fill=colour)
