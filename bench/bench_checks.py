"""How long the problems panel's check takes: ``Project.problems`` on a generated pose project.

N images (tiny files in folders of 1,000) with B boxes each, 17 keypoints on every box, and a
sprinkling of every defect kind. Prints the seconds of the check (best of 3) and what it found.

    python bench/bench_checks.py [--images 100000] [--boxes 5] [--work DIR]
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from studio.annotations import Annotation, Category, Dataset, Sample
from studio.store.project import Project

K = 17


def generate(root: Path, num_images: int, boxes: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    cats = [Category(1, "person", "", tuple(f"k{i}" for i in range(K))), Category(2, "dog")]
    samples = []
    for i in range(num_images):
        path = root / f"{i // 1000:03d}" / f"img_{i:06d}.jpg"
        if i % 997 != 0:  # about 0.1% missing
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x")
        xy = rng.uniform(0, 560, (boxes, 2))
        wh = rng.uniform(4, 80, (boxes, 2))
        anns = []
        for b in range(boxes):
            box = (*xy[b], *(xy[b] + wh[b]))
            kpts = np.column_stack([rng.uniform(box[0], box[2], K), rng.uniform(box[1], box[3], K),
                                    rng.integers(0, 3, K)]).astype(float)
            anns.append(Annotation(1 + b % 2, tuple(float(v) for v in box), kpts if b % 2 == 0 else None))
        if i % 1000 == 1:
            anns.append(Annotation(anns[0].category_id, anns[0].box))  # duplicate
        if i % 1000 == 2:
            anns[0].box = (600.0, 10.0, 700.0, 50.0)  # past the 640 px edge
        status = "in_progress" if i % 2000 == 3 else "done"
        samples.append(Sample(path.relative_to(root).as_posix(), path, 640, 640, "train",
                              [] if status == "in_progress" else anns, status=status))
    return Dataset(cats, samples, kpt_shape=(K, 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--boxes", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        t = time.perf_counter()
        dataset = generate(work / "images", args.images, args.boxes)
        with Project.create(work / "bench.tern", dataset) as project:
            made = time.perf_counter() - t
            times, problems = [], []
            for _ in range(3):
                t = time.perf_counter()
                problems = project.problems()
                times.append(time.perf_counter() - t)
    kinds = collections.Counter(p.kind for p in problems)
    print(f"{args.images} images x {args.boxes} boxes (made in {made:.1f} s): "
          f"check {min(times):.2f} s (best of 3), {len(problems)} problems")
    print(json.dumps({"images": args.images, "boxes": args.boxes, "check_s": min(times), **kinds}))


if __name__ == "__main__":
    main()
