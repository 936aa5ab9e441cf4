"""The PNG chart of ``tern data stats --plot``: class counts, box sizes, keypoint visibility."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.io.stats import VISIBILITY_NAMES, SplitStats
from studio.utils.atomic import atomic_open


def save_stats_plot(stats: dict[str, SplitStats], out_png: Path | str, title: str = "") -> Path:
    """Draw three panels from ``stats['all']`` (split bars for class counts) and write a PNG atomically."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    everything = stats["all"]
    splits = [s for s in stats if s != "all"]
    fig = Figure(figsize=(14, 4.5), dpi=100)
    ax_cls, ax_size, ax_vis = fig.subplots(1, 3, gridspec_kw={"width_ratios": [2.2, 1.2, 1]})
    _class_bars(ax_cls, stats, splits)
    _size_scatter(ax_size, everything)
    _visibility_bars(ax_vis, everything)
    fig.suptitle(title)
    fig.tight_layout()
    out_png = Path(out_png)
    with atomic_open(out_png, "wb", encoding=None) as fh:
        fig.savefig(fh, format="png")
    return out_png


def _visibility_bars(ax, st: SplitStats) -> None:
    ax.set_title("keypoint visibility")
    if not any(st.visibility):
        ax.text(0.5, 0.5, "no keypoints in this dataset", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    ax.bar(range(3), st.visibility, color=["#bbbbbb", "#f0a030", "#3080f0"])
    ax.set_xticks(range(3), [n.split(" (")[0] for n in VISIBILITY_NAMES], fontsize=8)


def _class_bars(ax, stats: dict[str, SplitStats], splits: list[str]) -> None:
    classes = list(stats["all"].per_class)
    x = np.arange(len(classes))
    bottom = np.zeros(len(classes))
    for split in splits:
        counts = np.asarray([stats[split].per_class.get(c, 0) for c in classes], dtype=float)
        ax.bar(x, counts, bottom=bottom, label=split)
        bottom += counts
    ax.set_xticks(x, classes, rotation=90, fontsize=6 if len(classes) > 20 else 8)
    ax.set_title("objects per class")
    if splits:
        ax.legend()


def _size_scatter(ax, st: SplitStats) -> None:
    if st.widths:
        ax.scatter(st.widths, st.heights, s=3, alpha=0.4)
    ax.set_xlabel("box width (px)")
    ax.set_ylabel("box height (px)")
    ax.set_title("box sizes")
