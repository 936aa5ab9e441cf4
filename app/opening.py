"""What a PATH given to the studio means, without any dialog (the dialogs are in app/opener.py).

* a ``.tern`` file is a project;
* a YOLO ``data.yaml`` (or its folder), a COCO json, or a folder with ``annotations/*.json`` is a
  dataset, whose project lives beside it: ``<dataset folder>/<name>.tern``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.io.dataset import detect_format
from studio.io.problems import Problem


@dataclass(frozen=True)
class Target:
    """project: the .tern to open (it may not exist yet); dataset: the source to import into it,
    or None when PATH was a project."""

    project: Path
    dataset: Path | None


def resolve_target(path: Path | str) -> Target:
    """Map PATH to the project to open. Raises DatasetNotFoundError when PATH is neither."""
    path = Path(path).absolute()
    fmt = detect_format(path)
    if fmt == "project":
        return Target(path, None)
    if fmt == "coco":  # instances_val.json -> <json folder>/instances_val.tern
        return Target(path.with_suffix(".tern"), path)
    folder = path.parent if path.is_file() else path  # a data.yaml, or a dataset folder
    return Target(folder / f"{folder.name}.tern", path)


def import_dataset(dataset: Path, project: Path) -> list[Problem]:
    """Read ``dataset`` and make the project file ``project`` from it (images are referenced, not
    copied; the project remembers ``dataset`` as its source). Returns the problems the reader found
    (bad rows it skipped)."""
    from studio.io.dataset import load_dataset
    from studio.store.project import Project

    data, problems = load_dataset(dataset)
    with Project.create(project, data) as made:
        made.set_source(dataset, detect_format(dataset))  # where "export back into the source" goes
    return problems


def problems_summary(problems: list[Problem], limit: int = 8) -> str:
    """A short text for a message box: counts, then the first ``limit`` problems."""
    errors = sum(p.is_error for p in problems)
    head = f"{errors} error(s), {len(problems) - errors} warning(s) while reading the dataset."
    lines = [head, "", *(str(p) for p in problems[:limit])]
    if len(problems) > limit:
        lines.append(f"… and {len(problems) - limit} more (run `tern data check` for the full list)")
    return "\n".join(lines)
