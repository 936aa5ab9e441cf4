"""Optimiser and learning-rate schedule: three parameter groups (decayed weights = pg0, norm weights,
biases), SGD with Nesterov momentum or AdamW, linear warmup then linear or cosine decay."""

from __future__ import annotations

import math

import torch
from torch import nn

from studio.engine.config import TrainConfig

# under optimizer=auto, short runs (fewer steps than this) use AdamW as YOLOv8 does on small datasets
AUTO_SGD_STEPS = 10_000
AUTO_ADAMW_LR = 0.002


def param_groups(model: nn.Module) -> tuple[list, list, list]:
    decay, norm, bias = [], [], []
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            if not p.requires_grad:
                continue
            if name == "bias":
                bias.append(p)
            elif isinstance(module, nn.modules.batchnorm._BatchNorm | nn.GroupNorm | nn.LayerNorm):
                norm.append(p)
            else:
                decay.append(p)
    return decay, norm, bias


def build_optimizer(model: nn.Module, cfg: TrainConfig, total_steps: int) -> torch.optim.Optimizer:
    kind, lr = cfg.optimizer, cfg.lr0
    if kind == "auto":
        kind, lr = ("sgd", cfg.lr0) if total_steps > AUTO_SGD_STEPS else ("adamw", AUTO_ADAMW_LR)
    decay, norm, bias = param_groups(model)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay},
              {"params": norm, "weight_decay": 0.0},
              {"params": bias, "weight_decay": 0.0}]
    if kind == "sgd":
        opt = torch.optim.SGD(groups, lr=lr, momentum=cfg.momentum, nesterov=True)
    else:
        opt = torch.optim.AdamW(groups, lr=lr, betas=(cfg.momentum, 0.999))
    for g in opt.param_groups:
        g["initial_lr"] = lr
    return opt


def lr_factor(epoch_float: float, cfg: TrainConfig) -> float:
    """Decay factor of lr0 at a fractional epoch: x0.1 after each of ``lr_steps`` (fractions of the run)
    when there are any, else 1 -> lrf linearly or by a cosine."""
    t = min(max(epoch_float / cfg.epochs, 0.0), 1.0)
    if cfg.lr_steps:
        return 0.1 ** sum(t >= step for step in cfg.lr_steps)
    if cfg.cosine:
        return cfg.lrf + (1 - cfg.lrf) * 0.5 * (1 + math.cos(math.pi * t))
    return (1 - t) * (1.0 - cfg.lrf) + cfg.lrf


def set_lr(opt: torch.optim.Optimizer, step: int, steps_per_epoch: int, cfg: TrainConfig) -> None:
    """Warmup over max(warmup_epochs * steps_per_epoch, 100) steps (capped at half the run): the bias
    group starts at lr 0.1 (SGD) and falls, the others rise from 0; momentum rises from 0.8 (SGD)."""
    epoch_float = step / max(steps_per_epoch, 1)
    total = cfg.epochs * steps_per_epoch
    warm = min(max(round(cfg.warmup_epochs * steps_per_epoch), 100), total // 2) if cfg.warmup_epochs else 0
    factor = lr_factor(epoch_float, cfg)
    bias_start = 0.1 if isinstance(opt, torch.optim.SGD) else 0.0  # no high bias lr for AdamW
    for i, g in enumerate(opt.param_groups):
        target = g["initial_lr"] * factor
        if step < warm:
            start = bias_start if i == 2 else 0.0
            g["lr"] = start + (target - start) * step / warm
            if "momentum" in g:
                g["momentum"] = 0.8 + (cfg.momentum - 0.8) * step / warm
        else:
            g["lr"] = target
            if "momentum" in g:
                g["momentum"] = cfg.momentum
