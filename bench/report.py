"""How every benchmark prints its figures: an aligned table, then one JSON line named by the bench."""

from __future__ import annotations

import json


def print_figures(bench: str, figures: dict) -> None:
    """Print ``figures`` (name -> number or text) for people, then as one JSON line for scripts."""
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        shown = f"{value:.2f}" if isinstance(value, float) else f"{value}"
        print(f"{key:>{width}}: {shown}")
    print(json.dumps({"bench": bench, **{k: round(v, 3) if isinstance(v, float) else v
                                         for k, v in figures.items()}}))
