"""Where a one-shot job (val, predict) writes: runs/pose/ for a pose model's weights, else runs/detect/."""

from __future__ import annotations

import onnx
from onnx import TensorProto, helper

from studio.engine.checkpoint import save_checkpoint
from studio.jobs.job_run import weights_task


def _onnx_with(path, **metadata):
    node = helper.make_node("Identity", ["x"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph)
    for key, value in metadata.items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(path))
    return path


def test_weights_task_reads_checkpoints_and_exports(tmp_path):
    save_checkpoint(tmp_path / "pose.pt", {"model_config": {"num_keypoints": 17}})
    save_checkpoint(tmp_path / "boxes.pt", {"model_config": {"num_keypoints": 0}})
    assert weights_task(tmp_path / "pose.pt") == "pose"
    assert weights_task(tmp_path / "boxes.pt") == "detect"
    assert weights_task(_onnx_with(tmp_path / "pose.onnx", task="pose")) == "pose"
    assert weights_task(_onnx_with(tmp_path / "det.onnx", task="detect")) == "detect"


def test_unreadable_weights_go_to_detect_where_the_job_reports_them(tmp_path):
    (tmp_path / "broken.onnx").write_bytes(b"not a model")
    (tmp_path / "broken.pt").write_bytes(b"not a checkpoint")
    assert weights_task(tmp_path / "broken.onnx") == "detect"
    assert weights_task(tmp_path / "broken.pt") == "detect"
    assert weights_task(tmp_path / "missing.pt") == "detect"
