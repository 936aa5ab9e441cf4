"""The demo project: the bundled, read-only ``resources/demo`` copied to the user's data folder.

Layout made under ``data_dir`` (the caller decides it, e.g. ``platformdirs.user_data_dir("tern-studio")``)::

    data_dir/demo/dataset/   a copy of resources/demo (YOLO pose: data.yaml, images/, labels/)
    data_dir/demo/demo.tern  the project made from it
"""

from __future__ import annotations

import shutil
from pathlib import Path

from studio.errors import DatasetNotFoundError
from studio.resources import resource

DEMO_SOURCE = resource("demo")


def ensure_demo_project(data_dir: Path | str, *, source: Path | str = DEMO_SOURCE) -> Path:
    """Return ``data_dir/demo/demo.tern``, making it first when it does not exist.

    The dataset is copied (not linked) so the user may edit the demo freely; an existing copy is
    reused. DatasetNotFoundError when ``source`` (the bundled demo) is missing.
    """
    from studio.io.yolo import load_yolo
    from studio.store.project import Project

    demo_dir = Path(data_dir) / "demo"
    project_path = demo_dir / "demo.tern"
    if project_path.exists():
        return project_path
    source = Path(source)
    if not (source / "data.yaml").is_file():
        raise DatasetNotFoundError(source, "the bundled demo dataset is missing; reinstall Tern Studio "
                                           "or regenerate it with studio.demo.generate_demo")
    dataset_dir = demo_dir / "dataset"
    if not (dataset_dir / "data.yaml").is_file():
        partial = demo_dir / ".dataset.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(source, partial)
        shutil.rmtree(dataset_dir, ignore_errors=True)
        partial.rename(dataset_dir)  # a copy interrupted midway is never taken for a whole one
    dataset, _ = load_yolo(dataset_dir / "data.yaml")
    Project.create(project_path, dataset).close()
    return project_path
