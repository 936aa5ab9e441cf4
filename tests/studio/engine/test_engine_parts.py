"""Engine pieces that need no dataset: LR schedule, results.csv, run folders, devices, EMA, checkpoints."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from studio.engine.checkpoint import load_checkpoint, load_matching, save_checkpoint, state_from_weights_file
from studio.engine.config import TrainConfig
from studio.engine.device import parse_devices, select_device, wants_launcher
from studio.engine.ema import ModelEMA
from studio.engine.optim import build_optimizer, lr_factor, param_groups, set_lr
from studio.engine.results import ResultsTable
from studio.engine.run_dir import next_run_dir
from studio.errors import CheckpointError, ConfigError


def _net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 2, 1))


def test_param_groups_split_weights_norms_and_biases():
    decay, norm, bias = param_groups(_net())
    assert [p.shape for p in decay] == [(4, 3, 3, 3), (2, 4, 1, 1)]
    assert [p.shape for p in norm] == [(4,)]
    assert [p.shape for p in bias] == [(4,), (4,), (2,)]


def test_linear_and_cosine_decay_end_at_lrf():
    cfg = TrainConfig(epochs=10, lrf=0.05)
    assert lr_factor(0, cfg) == 1.0 and math.isclose(lr_factor(10, cfg), 0.05)
    assert math.isclose(lr_factor(5, cfg), 0.525)
    cos = cfg.with_(cosine=True)
    assert math.isclose(lr_factor(5, cos), 0.525) and lr_factor(2, cos) > lr_factor(2, cfg)


def test_warmup_rises_from_zero_and_bias_falls_from_point_one_for_sgd():
    cfg = TrainConfig(epochs=10, optimizer="sgd", lr0=0.01, warmup_epochs=1.0)
    opt = build_optimizer(_net(), cfg, total_steps=100_000)
    set_lr(opt, 0, 200, cfg)
    assert opt.param_groups[0]["lr"] == 0.0 and opt.param_groups[2]["lr"] == pytest.approx(0.1)
    set_lr(opt, 100, 200, cfg)
    mid = opt.param_groups[0]["lr"]
    set_lr(opt, 200, 200, cfg)
    assert 0 < mid < opt.param_groups[0]["lr"] <= 0.01
    assert opt.param_groups[2]["lr"] == pytest.approx(opt.param_groups[0]["lr"])


def test_auto_optimizer_takes_adamw_for_short_runs_and_sgd_for_long():
    assert isinstance(build_optimizer(_net(), TrainConfig(), 500), torch.optim.AdamW)
    assert isinstance(build_optimizer(_net(), TrainConfig(), 50_000), torch.optim.SGD)


def test_results_table_rewrites_rows_and_survives_a_reload(tmp_path):
    table = ResultsTable(tmp_path / "results.csv")
    table.add(1, {"train/box_loss": 2.0, "lr/pg0": 0.01})
    table.add(2, {"train/box_loss": 1.5, "metrics/mAP50(B)": 0.25})
    table.write()
    lines = (tmp_path / "results.csv").read_text().splitlines()
    assert lines[0] == "epoch,train/box_loss,lr/pg0,metrics/mAP50(B)"
    assert lines[1] == "1,2,0.01," and lines[2] == "2,1.5,,0.25"
    again = ResultsTable(tmp_path / "results.csv")
    again.drop_after(1)
    assert list(again.rows) == [1] and again.rows[1]["train/box_loss"] == 2.0


def test_run_folders_count_up(tmp_path):
    assert next_run_dir(tmp_path, "detect").name == "train"
    (tmp_path / "detect" / "train").mkdir(parents=True)
    (tmp_path / "detect" / "train" / "events.jsonl").write_text("")
    (tmp_path / "detect" / "train2" / "weights").mkdir(parents=True)
    assert next_run_dir(tmp_path, "detect").name == "train3"
    assert next_run_dir(tmp_path, "detect", "ships").name == "ships"
    (tmp_path / "detect" / "ships" / "dataset").mkdir(parents=True)  # prepared by the studio: still free
    assert next_run_dir(tmp_path, "detect", "ships").name == "ships"


def test_devices_parse_and_fail_clearly_without_cuda():
    assert parse_devices("cpu") is None and parse_devices("") == [] and parse_devices("0,1") == [0, 1]
    assert select_device("cpu").type == "cpu"
    with pytest.raises(ConfigError, match="use cpu, cuda"):
        parse_devices("gpu-please")
    if not torch.cuda.is_available():
        assert select_device("").type == "cpu"
        with pytest.raises(ConfigError, match="no CUDA GPU"):
            select_device("0")
    assert not wants_launcher("0") and not wants_launcher("cpu")


def test_ema_follows_the_model_with_the_ramped_decay():
    model = nn.Linear(2, 1, bias=False)
    ema = ModelEMA(model, decay=0.9, tau=1.0)
    with torch.no_grad():
        model.weight.fill_(1.0)
    start = ema.module.weight.detach().clone()
    ema.update(model)
    d = 0.9 * (1 - math.exp(-1))
    assert torch.allclose(ema.module.weight, start * d + (1 - d))


def test_checkpoints_round_trip_and_refuse_foreign_files(tmp_path):
    save_checkpoint(tmp_path / "a.pt", {"model": _net().state_dict(), "epoch": 3})
    assert load_checkpoint(tmp_path / "a.pt")["epoch"] == 3
    torch.save({"w": torch.zeros(2)}, tmp_path / "plain.pt")
    with pytest.raises(CheckpointError, match="not a Tern checkpoint"):
        load_checkpoint(tmp_path / "plain.pt")
    (tmp_path / "bad.pt").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="no such"):
        load_checkpoint(tmp_path / "none.pt")


def test_fine_tuning_copies_only_tensors_that_fit(tmp_path):
    source, target = _net(), nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 5, 1))
    torch.save(source.state_dict(), tmp_path / "w.pt")
    copied, total = load_matching(target, state_from_weights_file(tmp_path / "w.pt"))
    assert (copied, total) == (7, 9)  # conv0 w/b + bn w/b/mean/var/count; the 5-class conv does not fit
    assert torch.equal(target[0].weight, source[0].weight)
