"""The synthetic demo dataset: ships seen from above on a textured sea, drawn by our own code.

``generate_demo(out_dir)`` writes a small YOLO pose dataset (nothing downloaded, numpy + Pillow only)::

    out_dir/data.yaml                      names {0: ship, 1: boat}, kpt_shape [3, 3], flip_idx [0, 1, 2]
    out_dir/images/{train,val}/sea_NNN.jpg  about 480x320 RGB, JPEG quality 85
    out_dir/labels/{train,val}/sea_NNN.txt  one row per object:
        class cx cy w h  bow_x bow_y v  stern_x stern_y v  bridge_x bridge_y v   (normalised, 6 decimals)

Every object lies wholly inside its image. Keypoints are v=2 (visible), or v=1 (labeled but occluded)
where a cloud hides them. Labels depend only on the seed (numpy's PCG64 stream and float arithmetic),
so regenerating with the same seed gives byte-identical label files.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from studio.utils.atomic import atomic_write_bytes, atomic_write_text

CLASS_NAMES = ("ship", "boat")
KEYPOINT_NAMES = ("bow", "stern", "bridge")
SIZES = ((480, 320), (448, 320), (512, 320), (480, 336))
SUPERSAMPLE = 2  # draw at 2x, then downscale: antialiased edges
JPEG_QUALITY = 85
CLOUD_OCCLUDES = 0.45  # cloud opacity above which a keypoint counts as occluded (v=1)

SEA_PALETTES = (  # (deep, light) RGB
    ((18, 52, 86), (46, 104, 140)),
    ((14, 70, 84), (40, 122, 128)),
    ((22, 44, 70), (58, 92, 122)),
    ((20, 66, 70), (66, 120, 112)),
)
SHIP_HULLS = ((128, 34, 30), (32, 40, 64), (36, 36, 38), (70, 82, 90), (40, 78, 52))
BOAT_HULLS = ((236, 236, 230), (230, 120, 40), (232, 196, 60), (200, 60, 60))
CARGO = ((196, 70, 44), (50, 110, 170), (220, 170, 40), (90, 140, 80), (150, 150, 150))


@dataclass(frozen=True)
class Vessel:
    """One drawn object. center (x, y) px; length/beam px; angle radians (bow direction)."""

    cls: int
    center: tuple[float, float]
    length: float
    beam: float
    angle: float
    colour: tuple[int, int, int]
    cargo: tuple[int, ...]

    def to_image(self, pts: np.ndarray) -> np.ndarray:
        """(N, 2) ship-local points (x toward the bow, y to starboard) -> (N, 2) image pixels."""
        c, s = np.cos(self.angle), np.sin(self.angle)
        rot = np.array([[c, -s], [s, c]])
        return pts @ rot.T + np.asarray(self.center)

    def hull_local(self) -> np.ndarray:
        """(N, 2) outline: rounded stern, straight sides, a pointed bow."""
        half_l, half_b = self.length / 2, self.beam / 2
        shoulder, rx = half_l - 0.32 * self.length, 0.08 * self.length
        t = np.linspace(0.0, 1.0, 9)
        starboard = np.stack([shoulder + (half_l - shoulder) * t, half_b * (1.0 - t**2)], axis=1)
        port = starboard[::-1] * [1, -1]
        a = np.linspace(3 * np.pi / 2, np.pi / 2, 9)
        stern = np.stack([-half_l + rx + rx * np.cos(a), half_b * np.sin(a)], axis=1)
        return np.concatenate([starboard, port, stern])

    def hull(self) -> np.ndarray:
        return self.to_image(self.hull_local())

    def bridge_local(self) -> tuple[float, float]:
        return (-0.28 * self.length, 0.0) if self.cls == 0 else (-0.08 * self.length, 0.0)

    def keypoints(self) -> np.ndarray:
        """(3, 2) pixels: bow, stern, bridge."""
        local = np.array([[self.length / 2, 0.0], [-self.length / 2, 0.0], self.bridge_local()])
        return self.to_image(local)

    def box(self) -> tuple[float, float, float, float]:
        """xyxy pixels of the hull outline."""
        pts = self.hull()
        return (float(pts[:, 0].min()), float(pts[:, 1].min()),
                float(pts[:, 0].max()), float(pts[:, 1].max()))


def generate_demo(out_dir: Path | str, *, num_images: int = 24, seed: int = 0) -> None:
    """Write the demo YOLO pose dataset to ``out_dir`` (see the module docstring for the layout).

    The first three quarters of the images go to ``train``, the rest to ``val``.
    """
    out_dir = Path(out_dir)
    num_train = (num_images * 3) // 4
    for i in range(num_images):
        rng = np.random.default_rng([seed, i])
        split = "train" if i < num_train else "val"
        width, height = SIZES[int(rng.integers(len(SIZES)))]
        vessels = _place_vessels(rng, width, height)
        clouds = _cloud_field(rng, width, height, vessels)
        image = _render(rng, width, height, vessels, clouds)
        stem = f"sea_{i:03d}"
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=JPEG_QUALITY)
        atomic_write_bytes(out_dir / "images" / split / f"{stem}.jpg", buf.getvalue())
        rows = [_label_row(v, clouds, width, height) for v in vessels]
        atomic_write_text(out_dir / "labels" / split / f"{stem}.txt", "".join(r + "\n" for r in rows))
    atomic_write_text(out_dir / "data.yaml", _data_yaml())


def _data_yaml() -> str:
    """Ultralytics keys, plus the ``coco:`` block Tern Studio reads for keypoint names and skeleton."""
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASS_NAMES))
    categories = "\n".join(f"  - {{id: {i + 1}, name: {n}, supercategory: vessel}}"
                           for i, n in enumerate(CLASS_NAMES))
    return (
        "# Tern Studio demo: synthetic ships seen from above, generated by studio/demo.py.\n"
        "# Keypoints per object: 0 bow, 1 stern, 2 bridge.\n"
        "train: images/train\nval: images/val\n"
        f"names:\n{names}\n"
        "kpt_shape: [3, 3]\nflip_idx: [0, 1, 2]\n"
        f"coco:\n  categories:\n{categories}\n"
        f"  keypoints: [{', '.join(KEYPOINT_NAMES)}]\n"
        "  skeleton: [[1, 3], [3, 2]]\n"
    )


def _place_vessels(rng: np.random.Generator, width: int, height: int) -> list[Vessel]:
    """1-4 vessels, each wholly inside the image (4 px margin), boxes not overlapping."""
    wanted = int(rng.integers(1, 5))
    placed: list[Vessel] = []
    for _ in range(wanted * 40):
        if len(placed) == wanted:
            break
        cls = 0 if rng.random() < 0.55 else 1
        length = rng.uniform(110, 170) if cls == 0 else rng.uniform(34, 60)
        beam = length * (rng.uniform(0.16, 0.2) if cls == 0 else rng.uniform(0.3, 0.38))
        palette = SHIP_HULLS if cls == 0 else BOAT_HULLS
        hull = palette[int(rng.integers(len(palette)))]
        cargo = tuple(int(c) for c in rng.integers(len(CARGO), size=6))
        angle = float(rng.uniform(-np.pi, np.pi))
        center = (float(rng.uniform(0, width)), float(rng.uniform(0, height)))
        vessel = Vessel(cls, center, float(length), float(beam), angle, hull, cargo)
        x1, y1, x2, y2 = vessel.box()
        if x1 < 4 or y1 < 4 or x2 > width - 4 or y2 > height - 4:
            continue
        if any(_overlaps(vessel.box(), other.box(), pad=8) for other in placed):
            continue
        placed.append(vessel)
    if not placed:  # the first ship always fits: a boat in the middle, pointing right
        placed.append(Vessel(1, (width / 2, height / 2), 48.0, 16.0, 0.0, BOAT_HULLS[0], (0,) * 6))
    return placed


def _overlaps(a: tuple[float, ...], b: tuple[float, ...], pad: float) -> bool:
    return not (a[2] + pad < b[0] or b[2] + pad < a[0] or a[3] + pad < b[1] or b[3] + pad < a[1])


def _cloud_field(rng: np.random.Generator, width: int, height: int,
                 vessels: list[Vessel]) -> np.ndarray:
    """(H, W) float64 cloud opacity in [0, 0.9]: none in most images; in some, one or two clouds, the
    first drifting over a vessel (its keypoints there become occluded, v=1)."""
    alpha = np.zeros((height, width))
    if rng.random() > 0.35:
        return alpha
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    for k in range(int(rng.integers(1, 3))):
        if k == 0:
            target = vessels[int(rng.integers(len(vessels)))].keypoints()[int(rng.integers(3))]
            cx, cy = target[0] + rng.normal(0, 12), target[1] + rng.normal(0, 12)
        else:
            cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        for _ in range(5):  # a cloud is a cluster of puffs
            px, py = cx + rng.normal(0, 24), cy + rng.normal(0, 14)
            r = rng.uniform(14, 32)
            alpha += 0.5 * np.exp(-((xx - px) ** 2 + (yy - py) ** 2) / (2 * r * r))
    return np.clip(alpha, 0.0, 0.9)


def _label_row(v: Vessel, clouds: np.ndarray, width: int, height: int) -> str:
    x1, y1, x2, y2 = v.box()
    cols = [f"{v.cls}", *(f"{c:.6f}" for c in (
        (x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height))]
    for x, y in v.keypoints():
        hidden = clouds[min(int(y), height - 1), min(int(x), width - 1)] > CLOUD_OCCLUDES
        cols += [f"{x / width:.6f}", f"{y / height:.6f}", "1" if hidden else "2"]
    return " ".join(cols)


def _render(rng: np.random.Generator, width: int, height: int, vessels: list[Vessel],
            clouds: np.ndarray) -> Image.Image:
    """The sea, wakes, shadows, vessels and clouds, as an RGB image of width x height."""
    s = SUPERSAMPLE
    sea = _sea(rng, width * s, height * s)
    wake = Image.new("L", sea.size, 0)
    shadow = Image.new("L", sea.size, 0)
    for v in vessels:
        _draw_wake(ImageDraw.Draw(wake), v, s, rng)
        ImageDraw.Draw(shadow).polygon(_flat(v.hull() * s + [3 * s, 4 * s]), fill=110)
    sea = Image.composite(Image.new("RGB", sea.size, (236, 244, 246)), sea,
                          wake.filter(ImageFilter.GaussianBlur(3 * s)))
    sea = Image.composite(Image.new("RGB", sea.size, (8, 20, 32)), sea,
                          shadow.filter(ImageFilter.GaussianBlur(2 * s)))
    draw = ImageDraw.Draw(sea)
    for v in vessels:
        _draw_vessel(draw, v, s)
    image = sea.resize((width, height), Image.Resampling.LANCZOS)
    cloud = Image.fromarray((clouds * 255).astype(np.uint8), "L")
    return Image.composite(Image.new("RGB", image.size, (244, 246, 248)), image, cloud)


def _sea(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """Value noise (three octaves) plus long directional swell, mixed between two sea colours."""
    field = np.zeros((height, width))
    for cells, weight in ((4, 0.5), (12, 0.3), (36, 0.2)):
        grid = rng.random((cells * height // width + 2, cells + 2))
        up = Image.fromarray((grid * 255).astype(np.uint8), "L").resize(
            (width, height), Image.Resampling.BICUBIC)
        field += weight * np.asarray(up, dtype=np.float64) / 255.0
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    theta = rng.uniform(0, np.pi)
    along = xx * np.cos(theta) + yy * np.sin(theta)
    swell = np.sin(along / rng.uniform(9, 14) + 6.0 * field)
    t = np.clip(0.55 * field + 0.12 * swell + 0.15, 0.0, 1.0)[..., None]
    palette = SEA_PALETTES[int(rng.integers(len(SEA_PALETTES)))]
    deep, light = (np.asarray(c, dtype=np.float64) for c in palette)
    rgb = deep + (light - deep) * t
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def _draw_wake(draw: ImageDraw.ImageDraw, v: Vessel, s: int, rng: np.random.Generator) -> None:
    """A Kelvin V (two arms at about 19 degrees) and a turbulent trail behind the stern."""
    half_l, half_b = v.length / 2, v.beam / 2
    reach = v.length * rng.uniform(0.8, 1.4)
    spread = np.tan(np.radians(19.5)) * reach
    for side in (-1, 1):
        arm = v.to_image(np.array([[half_l * 0.4, side * half_b], [-half_l - reach, side * spread]]))
        draw.line(_flat(arm * s), fill=110, width=max(2, int(v.beam * 0.1 * s)))
    for frac, fill in ((1.0, 50), (0.6, 90), (0.3, 140)):  # brighter near the stern
        end = -half_l - reach * 0.7 * frac
        trail = v.to_image(np.array([[-half_l, -half_b * 0.5], [end, -half_b * (0.5 + frac)],
                                     [end, half_b * (0.5 + frac)], [-half_l, half_b * 0.5]]))
        draw.polygon(_flat(trail * s), fill=fill)


def _draw_vessel(draw: ImageDraw.ImageDraw, v: Vessel, s: int) -> None:
    hull = v.hull() * s
    draw.polygon(_flat(hull), fill=v.colour, outline=(16, 16, 18), width=s)
    deck = tuple(min(255, c + 60) for c in v.colour) if v.cls == 0 else (150, 120, 90)
    inner = v.to_image(v.hull_local() * [0.88, 0.7]) * s
    draw.polygon(_flat(inner), fill=deck)
    if v.cls == 0:
        _draw_cargo(draw, v, s)
    bx, _ = v.bridge_local()
    half = v.length * (0.06 if v.cls == 0 else 0.14)
    wide = v.beam * (0.42 if v.cls == 0 else 0.3)
    cabin = v.to_image(np.array([[bx - half, -wide], [bx + half, -wide],
                                 [bx + half, wide], [bx - half, wide]]))
    draw.polygon(_flat(cabin * s), fill=(238, 238, 232), outline=(90, 90, 90), width=s)


def _draw_cargo(draw: ImageDraw.ImageDraw, v: Vessel, s: int) -> None:
    """Rows of containers between the bridge and the bow."""
    start, stop = -0.18 * v.length, 0.2 * v.length
    step = (stop - start) / len(v.cargo)
    for k, colour in enumerate(v.cargo):
        x0 = start + k * step
        box = np.array([[x0 + 1, -v.beam * 0.28], [x0 + step - 1, -v.beam * 0.28],
                        [x0 + step - 1, v.beam * 0.28], [x0 + 1, v.beam * 0.28]])
        draw.polygon(_flat(v.to_image(box) * s), fill=CARGO[colour])


def _flat(points: np.ndarray) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in points]
