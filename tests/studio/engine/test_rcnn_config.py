"""--arch faster_rcnn brings the reference "1x" recipe unless options override it."""

from __future__ import annotations

import pytest

from studio.engine.config import TrainConfig
from studio.engine.optim import lr_factor
from studio.errors import ConfigError


def test_faster_rcnn_defaults_and_linear_lr_scaling():
    cfg = TrainConfig.for_arch({"arch": "faster_rcnn", "data": "x"})
    assert (cfg.backbone, cfg.neck, cfg.imgsz, cfg.epochs) == ("resnet50", "fpn", 800, 12)
    assert cfg.optimizer == "sgd"
    assert cfg.lr0 == pytest.approx(0.02 * cfg.batch / 16)
    assert cfg.momentum == 0.9 and cfg.weight_decay == 1e-4
    assert TrainConfig.for_arch({"arch": "faster_rcnn", "batch": 16}).lr0 == pytest.approx(0.02)
    given = TrainConfig.for_arch({"arch": "faster_rcnn", "lr0": 0.5, "backbone": "resnet18", "imgsz": 320})
    assert (given.lr0, given.backbone, given.imgsz) == (0.5, "resnet18", 320)
    assert TrainConfig.for_arch({"data": "x"}) == TrainConfig(data="x")  # yolo keeps its own defaults


def test_step_schedule_drops_tenfold_after_epochs_8_and_11_of_12():
    cfg = TrainConfig.for_arch({"arch": "faster_rcnn"})
    factors = [lr_factor(e, cfg) for e in (0, 7.99, 8.0, 10.99, 11.0, 11.9)]
    assert factors == pytest.approx([1, 1, 0.1, 0.1, 0.01, 0.01])


def test_config_round_trips_through_a_dict_with_its_steps():
    cfg = TrainConfig.for_arch({"arch": "faster_rcnn"})
    assert isinstance(cfg.to_dict()["lr_steps"], list)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


def test_unknown_arch_is_a_config_error():
    with pytest.raises(ConfigError, match="faster_rcnn"):
        TrainConfig(arch="retinanet")
