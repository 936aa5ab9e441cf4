"""Worker command lines for training runs, and the YOLO export of a project that a GUI run trains on."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from studio.demo_project import ensure_demo_project
from studio.engine.data_source import load_training_data
from studio.errors import ProjectError
from studio.io.splits import hash_split
from studio.jobs.train_command import (
    default_run_name,
    export_split,
    resume_argv,
    split_counts,
    train_argv,
    worker_argv,
)
from studio.store.project import Project


def test_the_worker_is_this_python_running_the_cli():
    assert worker_argv() == [sys.executable, "-m", "studio.cli"]


def test_options_become_flags_in_order():
    argv = train_argv("detect", {"data": Path("d/data.yaml"), "epochs": 3, "no_export": True, "model": "n",
                                 "lr0": 0.01, "cache": False, "seed": None, "val_fraction": 0.25})
    assert argv == [*worker_argv(), "train", "detect", "--data", str(Path("d/data.yaml")), "--epochs", "3",
                    "--no-export", "--model", "n", "--lr0", "0.01", "--val-fraction", "0.25"]


def test_events_is_never_passed_and_tasks_are_checked():
    assert "--events" not in train_argv("pose", {"events": True, "data": "x"})
    with pytest.raises(ValueError, match="unknown training task"):
        train_argv("segment", {})


def test_resume_and_extend(tmp_path):
    run = tmp_path / "runs" / "pose" / "train2"
    assert resume_argv(run) == [*worker_argv(), "train", "pose", "--resume", str(run)]
    assert resume_argv(run, 20) == [*worker_argv(), "train", "pose", "--resume", str(run), "--epochs", "20"]


def test_default_run_names_count_up(tmp_path):
    assert default_run_name(tmp_path, "detect") == "train"
    (tmp_path / "detect" / "train").mkdir(parents=True)
    assert default_run_name(tmp_path, "detect") == "train2"
    assert default_run_name(tmp_path, "pose") == "train"


@pytest.fixture
def demo(tmp_path) -> Path:
    return ensure_demo_project(tmp_path / "data")


def test_export_split_writes_a_yolo_dataset_training_reads(demo, tmp_path):
    run = tmp_path / "runs" / "pose" / "train"
    yaml_path = export_split(demo, run)
    assert yaml_path == run / "dataset" / "data.yaml" and yaml_path.is_file()
    data = load_training_data(str(yaml_path))
    with Project.open(demo, readonly=True) as project:
        dataset = project.to_dataset()
        train, val = project.count_images(split="train"), project.count_images(split="val")
    assert (len(data.train), len(data.val)) == (train, val)
    assert split_counts(dataset) == {"train": train, "val": val, "test": 0}
    assert data.names == ["ship", "boat"] and data.pose is not None
    image = next((run / "dataset" / "images" / "train").iterdir())
    source = next(s.path for s in dataset.samples if s.path is not None and s.path.name == image.name)
    assert os.path.samefile(image, source) or image.read_bytes() == source.read_bytes()  # linked or copied


def test_only_done_images_are_exported_and_a_rerun_replaces_the_export(demo, tmp_path):
    run = tmp_path / "runs" / "pose" / "train"
    export_split(demo, run)
    with Project.open(demo) as project:
        rows = project.page(0, 1000, split="train")
        project.set_status(rows[0].id, "in_progress")
    yaml_path = export_split(demo, run)
    data = load_training_data(str(yaml_path))
    assert len(data.train) == len(rows) - 1
    labels = (run / "dataset" / "labels").rglob("*.txt")
    assert not any(p.stem == Path(rows[0].file_name).stem for p in labels)
    assert not list(run.joinpath("dataset").glob("backup-*"))


def test_a_project_without_val_gets_the_hash_split(demo, tmp_path):
    with Project.open(demo) as project:
        for row in project.page(0, 1000, split="val"):
            project.set_split(row.id, "train")
        names = [row.file_name for row in project.page(0, 1000)]
        counts = split_counts(project.to_dataset(), 0.5)
    expected_val = sum(hash_split(name, 0.5) == "val" for name in names)
    assert counts == {"train": len(names) - expected_val, "val": expected_val, "test": 0}
    assert 0 < expected_val < len(names)
    data = load_training_data(str(export_split(demo, tmp_path / "runs" / "pose" / "train", val_fraction=0.5)))
    assert (len(data.train), len(data.val)) == (len(names) - expected_val, expected_val)


def test_a_project_with_nothing_done_cannot_train(demo, tmp_path):
    with Project.open(demo) as project:
        for row in project.page(0, 1000):
            project.set_status(row.id, "unlabeled")
    with pytest.raises(ProjectError, match="no image is marked done"):
        export_split(demo, tmp_path / "runs" / "pose" / "train")
