"""Generate a large YOLO detect dataset for benchmarks: N images (one small JPEG, hard-linked to
every name so the disk cost stays small) with B boxes each.

    python bench/gen_yolo.py OUT --images 100000 --boxes 10
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import numpy as np
from PIL import Image


def generate(out: Path, num_images: int, boxes: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    names = [f"class{i}" for i in range(20)]
    source = out / "source.jpg"
    out.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)).save(source, quality=80)
    for split, count in (("train", num_images - num_images // 5), ("val", num_images // 5)):
        img_dir, lbl_dir = out / "images" / split, out / "labels" / split
        img_dir.mkdir(parents=True, exist_ok=True)
        lbl_dir.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            stem = f"{split}_{i:07d}"
            target = img_dir / f"{stem}.jpg"
            if not target.exists():
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copyfile(source, target)
            cls = rng.integers(0, len(names), boxes)
            wh = rng.uniform(0.02, 0.3, (boxes, 2))
            cxy = rng.uniform(0.0, 1.0, (boxes, 2)) * (1 - wh) + wh / 2
            rows = "".join(f"{c} {x:.6f} {y:.6f} {w:.6f} {h:.6f}\n"
                           for c, (x, y), (w, h) in zip(cls, cxy, wh, strict=True))
            (lbl_dir / f"{stem}.txt").write_text(rows)
    yaml_lines = ["path: .", "train: images/train", "val: images/val", "names:"]
    yaml_lines += [f"  {i}: {n}" for i, n in enumerate(names)]
    (out / "data.yaml").write_text("\n".join(yaml_lines) + "\n")
    return out / "data.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--boxes", type=int, default=10)
    args = parser.parse_args()
    print(generate(args.out, args.images, args.boxes))


if __name__ == "__main__":
    main()
