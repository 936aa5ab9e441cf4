"""Dataset statistics for ``tern data stats``: counts per split and class, box sizes, keypoint
visibility. Pure numpy; the chart lives in ``studio.io.stats_plot``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.annotations import SPLITS, Dataset

# COCO's size buckets by box area in pixels
SMALL_AREA = 32**2
LARGE_AREA = 96**2
VISIBILITY_NAMES = ("not labeled (v=0)", "occluded (v=1)", "visible (v=2)")


@dataclass
class SplitStats:
    """Counts for one split. per_class maps class name -> object count; widths/heights in pixels."""

    images: int = 0
    background: int = 0
    unlabeled: int = 0
    objects: int = 0
    crowd: int = 0
    per_class: dict[str, int] = field(default_factory=dict)
    widths: list[float] = field(default_factory=list)
    heights: list[float] = field(default_factory=list)
    visibility: list[int] = field(default_factory=lambda: [0, 0, 0])

    def size_buckets(self) -> tuple[int, int, int]:
        """(small, medium, large) object counts by COCO's area thresholds."""
        area = np.asarray(self.widths) * np.asarray(self.heights)
        small = int((area < SMALL_AREA).sum())
        large = int((area >= LARGE_AREA).sum())
        return small, len(area) - small - large, large


def compute_stats(dataset: Dataset) -> dict[str, SplitStats]:
    """Stats per split present, in train/val/test order, plus 'all'."""
    names = {c.id: c.name for c in dataset.categories}
    result: dict[str, SplitStats] = {}
    for sample in dataset.samples:
        for key in (sample.split, "all"):
            stats = result.setdefault(key, SplitStats(per_class=dict.fromkeys(names.values(), 0)))
            _add_sample(stats, sample, names)
    order = [s for s in (*SPLITS, *sorted(result)) if s in result and s != "all"]
    return {s: result[s] for s in dict.fromkeys([*order, "all"]) if s in result}


def _add_sample(stats: SplitStats, sample, names: dict[int, str]) -> None:
    stats.images += 1
    if not sample.labeled:
        stats.unlabeled += 1
    elif not sample.annotations:
        stats.background += 1
    for ann in sample.annotations:
        stats.objects += 1
        stats.crowd += int(ann.iscrowd)
        name = names.get(ann.category_id, f"<unknown id {ann.category_id}>")
        stats.per_class[name] = stats.per_class.get(name, 0) + 1
        stats.widths.append(ann.width)
        stats.heights.append(ann.height)
        if ann.keypoints is not None:
            vis = np.clip(ann.keypoints[:, 2].astype(int), 0, 2)
            for v in (0, 1, 2):
                stats.visibility[v] += int((vis == v).sum())


def format_stats(stats: dict[str, SplitStats], has_keypoints: bool) -> str:
    """A plain-text report: one table of per-class counts and a block per split."""
    splits = list(stats)
    classes = list(stats["all"].per_class) if "all" in stats else []
    width = max([len(c) for c in classes] + [5])
    lines = [f"{'class':<{width}}  " + "  ".join(f"{s:>8}" for s in splits)]
    for name in classes:
        counts = "  ".join(f"{stats[s].per_class.get(name, 0):>8}" for s in splits)
        lines.append(f"{name:<{width}}  {counts}")
    for split, st in stats.items():
        lines.append("")
        lines.append(f"[{split}] {st.images} images ({st.background} background, {st.unlabeled} without "
                     f"labels), {st.objects} objects ({st.crowd} crowd)")
        if st.widths:
            w, h = np.asarray(st.widths), np.asarray(st.heights)
            small, medium, large = st.size_buckets()
            lines.append(f"  box size px: width median {np.median(w):.1f} (5%-95%: {np.percentile(w, 5):.1f}-"
                         f"{np.percentile(w, 95):.1f}), height median {np.median(h):.1f} "
                         f"(5%-95%: {np.percentile(h, 5):.1f}-{np.percentile(h, 95):.1f})")
            lines.append(f"  by area: {small} small (<32²), {medium} medium, {large} large (>=96²)")
        if has_keypoints:
            counts = ", ".join(f"{n}: {c}" for n, c in zip(VISIBILITY_NAMES, st.visibility, strict=True))
            lines.append(f"  keypoints: {counts}")
    return "\n".join(lines)
