"""Helpers the model tests share (import as ``tests.model_helpers``)."""

from __future__ import annotations

import torch
from torch import nn


def liven(model: nn.Module, seed: int = 0) -> nn.Module:
    """``model`` (a one-stage detector) with random BatchNorm statistics and its head's last convs scaled
    up (class bias -1), so scores, boxes and keypoints vary as a trained model's do (some scores > 0.25);
    returned in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    head = model.head
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
        for branch in (*head.box, *head.cls, *getattr(head, "kpt", ())):
            branch[-1].weight.mul_(20)
        for branch in head.cls:
            branch[-1].bias.fill_(-1.0)
    return model.eval()


def step_losses(cfg, **kwargs):
    """(outcome, {global step: loss parts}) of ``run_training(cfg, **kwargs)``: what the resume tests
    compare between an interrupted and an uninterrupted run."""
    from studio.jobs.train_job import run_training

    seen: dict[int, list[float]] = {}
    outcome = run_training(cfg, bar=False, on_step=lambda step, parts: seen.__setitem__(step, parts),
                           **kwargs)
    return outcome, seen
