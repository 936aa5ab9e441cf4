"""`tern data ...` end to end on small generated datasets: exit codes, messages, round trips."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.cli import main

REPO = Path(__file__).resolve().parents[2]


def make_yolo(root: Path, rows: dict[str, str], names=("ship", "boat"), pose: bool = False) -> Path:
    """A YOLO dataset: one 64x48 PNG per entry of ``rows`` (split/name -> label text, None = no file)."""
    for key, text in rows.items():
        split, name = key.split("/")
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((48, 64, 3), 90, np.uint8)).save(root / "images" / split / f"{name}.png")
        if text is not None:
            (root / "labels" / split / f"{name}.txt").write_text(text)
    splits = sorted({k.split("/")[0] for k in rows})
    lines = ["path: ."] + [f"{s}: images/{s}" for s in splits] + ["names:"]
    lines += [f"  {i}: {n}" for i, n in enumerate(names)]
    if pose:
        lines += ["kpt_shape: [2, 3]", "flip_idx: [1, 0]"]
    (root / "data.yaml").write_text("\n".join(lines) + "\n")
    return root / "data.yaml"


GOOD = {
    "train/a": "0 0.5 0.5 0.25 0.5\n1 0.25 0.25 0.125 0.125\n",
    "train/b": "1 0.6 0.4 0.2 0.3\n",
    "train/bg": "",
    "val/c": "0 0.3 0.7 0.1 0.2\n",
}


def read_rows(folder: Path) -> dict[str, list[list[float]]]:
    return {p.relative_to(folder).as_posix(): [[float(v) for v in line.split()]
                                               for line in p.read_text().splitlines() if line.strip()]
            for p in sorted(folder.rglob("*.txt"))}


def test_check_clean_dataset_exits_0(tmp_path, capsys):
    yaml = make_yolo(tmp_path / "ds", GOOD)
    assert main(["data", "check", str(yaml)]) == 0
    out = capsys.readouterr().out
    assert "4 images" in out and "4 objects" in out and "0 errors" in out


def test_check_reports_file_and_line_and_exits_1(tmp_path, capsys):
    rows = dict(GOOD, **{"train/b": "1 0.6 0.4 0.2 0.3\n7 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.1\n"})
    yaml = make_yolo(tmp_path / "ds", rows)
    assert main(["data", "check", str(yaml)]) == 1
    out = capsys.readouterr().out
    label = tmp_path / "ds" / "labels" / "train" / "b.txt"
    assert f"{label}:2: error: class index 7" in out
    assert f"{label}:3: error:" in out and "columns" in out
    assert "2 errors" in out


def test_check_warnings_keep_exit_0(tmp_path, capsys):
    rows = dict(GOOD, **{"train/nolabel": None, "train/dup": "0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n"})
    yaml = make_yolo(tmp_path / "ds", rows)
    assert main(["data", "check", str(yaml)]) == 0
    out = capsys.readouterr().out
    assert "nolabel.png: warning:" in out
    assert "dup.txt:2: warning:" in out


def test_unreadable_path_exits_2(tmp_path, capsys):
    assert main(["data", "check", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["data", "check", str(tmp_path / "empty")]) == 2


@pytest.mark.parametrize("content, expected", [
    ('[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.9}]', "results"),
    ('{"images": [], "annotations": [', "JSON"),
    ('"just a string"', "not a COCO dataset"),
])
def test_check_rejects_json_that_is_not_a_dataset(tmp_path, capsys, content, expected):
    path = tmp_path / "x.json"
    path.write_text(content)
    assert main(["data", "check", str(path)]) == 1
    captured = capsys.readouterr()
    assert expected in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_yolo_to_coco_to_yolo_reproduces_label_files(tmp_path, capsys):
    yaml = make_yolo(tmp_path / "ds", GOOD)
    assert main(["data", "convert", str(yaml), str(tmp_path / "coco"), "--to", "coco"]) == 0
    assert main(["data", "convert", str(tmp_path / "coco"), str(tmp_path / "back"), "--to", "yolo"]) == 0
    original, back = read_rows(tmp_path / "ds" / "labels"), read_rows(tmp_path / "back" / "labels")
    assert sorted(original) == sorted(back)
    for name, rows in original.items():
        np.testing.assert_allclose(np.asarray(back[name]).reshape(-1), np.asarray(rows).reshape(-1),
                                   atol=1e-6, err_msg=name)


def test_convert_refuses_a_dataset_with_errors_unless_told(tmp_path, capsys):
    yaml = make_yolo(tmp_path / "ds", dict(GOOD, **{"train/b": "9 0.5 0.5 0.1 0.1\n"}))
    assert main(["data", "convert", str(yaml), str(tmp_path / "out"), "--to", "coco"]) == 1
    assert "nothing was written" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_stats_counts_and_plot(tmp_path, capsys):
    yaml = make_yolo(tmp_path / "ds", GOOD)
    png = tmp_path / "chart.png"
    assert main(["data", "stats", str(yaml), "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    ship_row = next(line for line in out.splitlines() if line.startswith("ship"))
    assert ship_row.split()[1:] == ["1", "1", "2"]  # train, val, all
    assert "[train] 3 images (1 background" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_import_export_relink(tmp_path, capsys):
    yaml = make_yolo(tmp_path / "ds", GOOD)
    project = tmp_path / "p" / "ships.tern"
    assert main(["data", "import", str(yaml), str(project)]) == 0
    assert main(["data", "export", str(project), str(tmp_path / "out"), "--to", "yolo"]) == 0
    assert read_rows(tmp_path / "out" / "labels").keys() == read_rows(tmp_path / "ds" / "labels").keys()
    (tmp_path / "ds").rename(tmp_path / "moved")
    assert main(["data", "relink", str(project), str(tmp_path / "moved")]) == 0
    assert "relinked 4 images; 0 still missing" in capsys.readouterr().out


def test_coco_json_round_trip_through_project_keeps_unused_fields(tmp_path, capsys):
    images = tmp_path / "coco" / "images"
    images.mkdir(parents=True)
    Image.fromarray(np.zeros((40, 50, 3), np.uint8)).save(images / "one.png")
    data = {
        "info": {"description": "ours"}, "licenses": [{"id": 3, "name": "x"}],
        "images": [{"id": 7, "file_name": "one.png", "width": 50, "height": 40, "license": 3}],
        "annotations": [
            {"id": 11, "image_id": 7, "category_id": 5, "bbox": [1.5, 2.25, 10, 20], "area": 123.0,
             "iscrowd": 0, "segmentation": [[1.5, 2.25, 11.5, 2.25, 11.5, 22.25]], "attributes": {"a": 1}},
            {"id": 12, "image_id": 7, "category_id": 9, "bbox": [0, 0, 5, 5], "area": 25.0, "iscrowd": 1,
             "segmentation": {"counts": [0, 25], "size": [40, 50]}},
        ],
        "categories": [{"id": 5, "name": "ship", "supercategory": "vessel"},
                       {"id": 9, "name": "buoy", "supercategory": "marker"}],
    }
    src = tmp_path / "coco" / "images" / "instances.json"
    src.write_text(json.dumps(data))
    project = tmp_path / "p.tern"
    assert main(["data", "import", str(src), str(project)]) == 0
    assert main(["data", "export", str(project), str(tmp_path / "out"), "--to", "coco"]) == 0
    written = [json.loads(p.read_text()) for p in (tmp_path / "out" / "annotations").glob("*.json")]
    assert len(written) == 1
    out = written[0]
    assert out["info"] == data["info"] and out["licenses"] == data["licenses"]
    assert out["categories"] == data["categories"]
    anns = [{k: v for k, v in a.items() if k != "num_keypoints"} for a in out["annotations"]]
    assert anns == data["annotations"]
    assert out["images"][0]["license"] == 3 and out["images"][0]["id"] == 7


def test_tern_module_runs_without_arguments():
    run = subprocess.run([sys.executable, "-m", "studio.cli"], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0 and "tern data" not in run.stderr and "data" in run.stdout


def test_check_finds_a_truncated_jpeg_without_a_full_decode(tmp_path, capsys):
    yaml = make_yolo(tmp_path / "ds", GOOD)
    jpeg = tmp_path / "ds" / "images" / "train" / "cut.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(jpeg)
    jpeg.write_bytes(jpeg.read_bytes()[:-300])  # a copy cut short: the header still reads
    (tmp_path / "ds" / "labels" / "train" / "cut.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    assert main(["data", "check", str(yaml)]) == 1
    assert f"{jpeg}: error: image cannot be read (truncated JPEG" in capsys.readouterr().out
    assert main(["data", "check", str(yaml), "--verify-images"]) == 1
    assert f"{jpeg}: error: image cannot be read" in capsys.readouterr().out
