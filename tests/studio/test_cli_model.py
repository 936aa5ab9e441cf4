"""``tern val``, ``tern predict`` and ``tern export`` as a user runs them on a run trained from a COCO
dataset: predictions carry the dataset's own image and category ids, best.pt and model.onnx predict
the same, export writes best.onnx beside the weights with a parity line (and with --int8 a quantized file
compared on val), val of an export measures what val of the checkpoint does, and mistakes are one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from studio.cli import main
from studio.evaluation.review import load_review
from studio.events import read_events
from studio.shapes import make_shapes

CATEGORY_IDS = {1: 3, 2: 5, 3: 9}     # converted ids 1..3 -> ids that are neither index nor index + 1
VAL_IMAGE_IDS = [101, 205, 307, 450]  # the val json's image ids, not positions


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One torch thread: on a shared 2-core machine a second OpenMP thread spins waiting for a busy
    core and a step takes 10x longer; the CLI behaves the same either way."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _renumber(json_path: Path, image_ids: list[int] | None) -> None:
    data = json.loads(json_path.read_text())
    for cat in data["categories"]:
        cat["id"] = CATEGORY_IDS[cat["id"]]
    images = {}
    if image_ids is not None:
        images = {img["id"]: new for img, new in zip(data["images"], image_ids, strict=True)}
        for img in data["images"]:
            img["id"] = images[img["id"]]
    for ann in data["annotations"]:
        ann["category_id"] = CATEGORY_IDS[ann["category_id"]]
        ann["image_id"] = images.get(ann["image_id"], ann["image_id"])
    json_path.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    """A COCO dataset from `tern data convert` with its ids renumbered, and a 2-epoch run on it."""
    root = tmp_path_factory.mktemp("model")
    yaml_path = make_shapes(root / "shapes", num_images=8, size=64, val_images=4)
    assert main(["data", "convert", str(yaml_path), str(root / "coco"), "--to", "coco"]) == 0
    _renumber(root / "coco" / "annotations" / "instances_train.json", None)
    _renumber(root / "coco" / "annotations" / "instances_val.json", VAL_IMAGE_IDS)
    project = root / "P"
    code = main(["train", "detect", "--data", str(root / "coco"), "--epochs", "2", "--imgsz", "64",
                 "--batch", "4", "--workers", "0", "--device", "cpu", "--quiet", "--project", str(project),
                 "--name", "ships"])
    assert code == 0
    run = project / "detect" / "ships"
    return {"coco": root / "coco", "project": project, "best": run / "weights" / "best.pt",
            "onnx": run / "model.onnx", "val_images": root / "coco" / "images" / "val"}


def _tern(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _run_folder(out: str, prefix: str) -> Path:
    line = next(line for line in out.splitlines() if prefix in line)
    return Path(line.split(prefix)[-1].strip())


@pytest.mark.parametrize("data", ["annotations/instances_val.json", "."])
def test_val_reports_map_and_writes_predictions_with_the_datasets_ids(trained, capsys, data):
    source = trained["coco"] / data  # the val json alone (no train split in it), or the whole folder
    code, out, err = _tern(capsys, "val", "--weights", trained["best"], "--data", source,
                           "--project", trained["project"])
    assert code == 0, err
    assert re.search(r"^4 val images: mAP50 \d\.\d{4}  mAP50-95 \d\.\d{4}", out, re.MULTILINE), out
    run = _run_folder(out, "results in ")
    results = json.loads((run / "predictions.json").read_text())
    assert results, "an untrained model still scores boxes above validation's 0.001"
    assert {r["image_id"] for r in results} <= set(VAL_IMAGE_IDS)
    assert {r["category_id"] for r in results} <= set(CATEGORY_IDS.values())
    assert all(len(r["bbox"]) == 4 and 0 < r["score"] <= 1 for r in results)
    events = [e for _, e in read_events(run / "events.jsonl")]
    assert events[0].type == "started" and events[-1].type == "finished" and events[-1].status == "ok"
    assert {e.name for e in events if e.type == "metric"} == {
        "metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)"}
    plots = {"pr_curve.png", "confusion_matrix.png", "val_predictions.png"}
    assert {Path(e.path).name for e in events if e.type == "artifact"} == {
        "predictions.json", "review.json", *plots}
    assert {p.name for p in (run / "plots").iterdir()} == plots
    review = load_review(run / "review.json")  # what the results view shows
    assert sorted(img.image_id for img in review.images) == sorted(VAL_IMAGE_IDS)


def _predict(capsys, trained, weights: Path) -> Path:
    code, out, err = _tern(capsys, "predict", "--weights", weights, "--source", trained["val_images"],
                           "--conf", "0.001", "--save-txt", "--save-conf", "--project", trained["project"])
    assert code == 0, err
    assert re.match(r"4 images, \d+ detections -> ", out), out
    return _run_folder(out, "detections -> ")


def test_predict_with_best_pt_and_model_onnx_agree(trained, capsys):
    torch_run = _predict(capsys, trained, trained["best"])
    onnx_run = _predict(capsys, trained, trained["onnx"])
    names = sorted(p.name for p in trained["val_images"].iterdir())
    for run in (torch_run, onnx_run):
        images = json.loads((run / "images.json").read_text())
        assert [(i["id"], i["file_name"], i["width"], i["height"]) for i in images] == [
            (k + 1, name, 64, 64) for k, name in enumerate(names)]  # sorted position from 1
        for name in names:
            assert (run / name).read_bytes()[:4] == b"\x89PNG"  # annotated copy, same format
    ours = json.loads((torch_run / "predictions.json").read_text())
    theirs = json.loads((onnx_run / "predictions.json").read_text())
    assert ours and len(ours) == len(theirs)
    assert {r["category_id"] for r in ours} <= set(CATEGORY_IDS.values())
    free = list(theirs)
    for r in ours:  # each torch detection has its own ONNX twin (order may differ between near-ties)
        twin = next((t for t in free if _twins(r, t)), None)
        assert twin is not None, r
        free.remove(twin)
    for k, name in enumerate(names):  # --save-txt --save-conf: one row (cls cx cy w h conf) per detection
        rows = [line.split() for line in (torch_run / "labels" / f"{Path(name).stem}.txt").read_text()
                .splitlines() if line.strip()]
        assert len(rows) == sum(r["image_id"] == k + 1 for r in ours)
        assert all(len(row) == 6 and row[0] in ("0", "1", "2") for row in rows)
        values = np.array([[float(v) for v in row[1:]] for row in rows]).reshape(-1, 5)
        assert ((values >= 0) & (values <= 1)).all()


def _twins(a: dict, b: dict, atol: float = 1e-3) -> bool:
    return (a["image_id"] == b["image_id"] and a["category_id"] == b["category_id"]
            and abs(a["score"] - b["score"]) <= atol
            and float(np.abs(np.subtract(a["bbox"], b["bbox"])).max()) <= atol)


def test_export_writes_onnx_beside_the_weights_with_a_parity_line(trained, capsys):
    import onnxruntime as ort

    code, out, err = _tern(capsys, "export", "--weights", trained["best"], "--dynamic-batch")
    assert code == 0, err
    target = trained["best"].with_suffix(".onnx")
    assert f"exported {target}" in out
    parity = next(line for line in out.splitlines() if line.startswith("parity: "))
    assert [float(v) for v in re.findall(r"raw ([0-9.e+-]+)", parity)] and all(
        float(v) <= 1e-3 for v in re.findall(r"raw ([0-9.e+-]+)", parity)), parity
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name: np.zeros((3, 3, 64, 64), np.float32)})
    assert outputs[0].shape[0] == 3  # --dynamic-batch: any batch size at run time


def _val(capsys, trained, weights: Path) -> tuple[str, Path]:
    code, out, err = _tern(capsys, "val", "--weights", weights, "--data", trained["coco"], "--no-plots",
                           "--project", trained["project"])
    assert code == 0, err
    return out.splitlines()[0], _run_folder(out, "results in ")


def test_val_of_the_onnx_export_measures_what_val_of_the_checkpoint_measures(trained, capsys):
    torch_line, torch_run = _val(capsys, trained, trained["best"])
    onnx_line, onnx_run = _val(capsys, trained, trained["onnx"])
    assert onnx_line == torch_line and torch_line.startswith("4 val images: mAP50 ")
    ours = json.loads((torch_run / "predictions.json").read_text())
    theirs = json.loads((onnx_run / "predictions.json").read_text())
    # scores at validation's 0.001 threshold may fall either side of it in float rounding
    assert ours and sum(any(_twins(a, b) for b in theirs) for a in ours) >= 0.9 * max(len(ours), len(theirs))


def test_export_int8_writes_both_files_and_compares_them_on_val(trained, tmp_path, capsys):
    target = tmp_path / "ships.onnx"
    code, out, err = _tern(capsys, "export", "--weights", trained["best"], "--int8", "--out", target)
    assert code == 0, err
    assert f"exported {target}\n" in out and target.with_suffix(".int8.onnx").is_file()
    assert re.search(r"int8, calibrated on 8 images of the training images of ", out), out
    line = next(line for line in out.splitlines() if line.startswith("int8 vs float32"))
    assert re.match(r"int8 vs float32 on 4 val images: mAP50-95 \d\.\d{4} \(float32 \d\.\d{4}\)", line)
    int8_line, run = _val(capsys, trained, target.with_suffix(".int8.onnx"))
    assert re.match(r"4 val images: mAP50 \d\.\d{4}  mAP50-95 \d\.\d{4}", int8_line)
    assert json.loads((run / "predictions.json").read_text())
    code, out, err = _tern(capsys, "export", "--weights", trained["best"], "--int8", "--out",
                           tmp_path / "folder.onnx", "--calib", trained["val_images"])
    assert code == 0 and "calibrated on 4 images of " in out, err


def test_mistakes_are_one_line_without_traceback(trained, tmp_path, capsys):
    project, missing = tmp_path / "P", tmp_path / "no.pt"
    cases = [
        (["val", "--weights", missing, "--data", trained["coco"]], 1, "no.pt: no such weights file"),
        (["predict", "--weights", missing, "--source", trained["val_images"]], 1, "no such weights"),
        (["predict", "--weights", trained["best"], "--source", tmp_path / "nowhere"], 2, "no such image"),
        (["predict", "--weights", trained["onnx"], "--source", trained["val_images"], "--imgsz", "96"], 1,
         "exported for 64 px"),
        (["export", "--weights", missing], 1, "no such weights file"),
        (["export", "--weights", trained["best"], "--int8", "--half"], 1, "drop --half"),
        (["export", "--weights", trained["best"], "--int8", "--out", tmp_path / "x.onnx", "--calib",
          tmp_path], 2, "holds no images"),
        (["val", "--weights", trained["best"], "--data", trained["coco"] / "annotations"], 2,
         "holds no data.yaml"),
    ]
    if not torch.cuda.is_available():
        cases += [(["val", "--weights", trained["best"], "--data", trained["coco"], "--device", "0"], 1,
                   "no CUDA GPU"),
                  (["export", "--weights", trained["best"], "--half"], 1, "needs a CUDA GPU")]
    for argv, expected, message in cases:
        extra = ["--project", project] if argv[0] != "export" else []
        code, _, err = _tern(capsys, *argv, *extra)
        assert code == expected, (argv, err)
        assert err.startswith("tern: ") and err.count("\n") == 1 and message in err, (argv, err)
