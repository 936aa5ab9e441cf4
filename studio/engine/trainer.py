"""The shared trainer: one loop for every task (the task object supplies model, criterion, data and
validation). EMA, AMP on CUDA with an fp32 fallback, gradient clipping, warmup + linear/cosine LR,
checkpoints that resume exactly (mid-epoch too), graceful stop, DDP under torchrun (rank 0 writes)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from studio.data.loader import build_loader
from studio.engine import distributed as ddp
from studio.engine.checkpoint import load_matching, save_checkpoint, state_from_weights_file
from studio.engine.config import TrainConfig
from studio.engine.device import select_device
from studio.engine.ema import ModelEMA, unwrap
from studio.engine.optim import build_optimizer, set_lr
from studio.engine.precision import autocast_dtype, bf16_problem, describe
from studio.engine.progress import ProgressReporter
from studio.engine.results import ResultsTable
from studio.engine.run_sampler import RunSampler
from studio.engine.stop import StopFlag
from studio.errors import StudioError
from studio.events import EventWriter


@dataclass
class TrainState:
    """Where the run is; saved in every checkpoint (epochs 0-based here, 1-based in events and csv)."""

    epoch: int = 0
    step_in_epoch: int = 0
    global_step: int = 0
    best_fitness: float = -math.inf
    best_epoch: int = 0
    loss_sum: list[float] = field(default_factory=list)
    loss_count: int = 0


class Trainer:
    def __init__(self, cfg: TrainConfig, run: Path, task, *, events: EventWriter, dist: ddp.DistInfo,
                 stop: StopFlag, resume: dict | None = None,
                 on_step: Callable[[int, list[float]], None] | None = None, bar: bool = True) -> None:
        self.cfg, self.run, self.task, self.events, self.dist = cfg, run, task, events, dist
        self.stop, self.resume, self.on_step, self.bar = stop, resume, on_step, bar
        self.state = TrainState()
        self.amp_failed = False

    # ---- set-up -------------------------------------------------------------------------------
    def setup(self) -> None:
        cfg, dist = self.cfg, self.dist
        self.device = select_device(cfg.device, dist.local_rank)
        ddp.init(dist, self.device)
        _seed_everything(cfg.seed + dist.rank, cfg.deterministic)
        data = self.task.load_data()
        for note in data.notes:
            self.events.log(note, "warning")
        self.model = self.task.build_model().to(self.device)
        self._initial_weights()
        self.criterion = self.task.build_criterion(self.model)
        self.train_ds, self.val_ds = self.task.datasets(cfg.epochs)
        cached = sum(ds.cache.nbytes for ds in (self.train_ds, self.val_ds) if getattr(ds, "cache", None))
        if cached:
            self.events.log(f"decoded images kept in RAM: {cached / 2**20:.0f} MB")
        self.batch_per_rank = max(cfg.batch // dist.world_size, 1)
        self.sampler = RunSampler(len(self.train_ds), seed=cfg.seed, rank=dist.rank,
                                  world_size=dist.world_size)
        self.loader = build_loader(self.train_ds, self.sampler, self.batch_per_rank, cfg.workers,
                                   persistent=True, collate_fn=self.task.collate)
        self.val_loader = build_loader(self.val_ds, RunSampler(len(self.val_ds), shuffle=False),
                                       self.batch_per_rank, cfg.workers, persistent=True,
                                       collate_fn=self.task.collate)
        self.steps_per_epoch = math.ceil(self.sampler.per_rank / self.batch_per_rank)
        self.optimizer = build_optimizer(self.model, cfg, self.steps_per_epoch * cfg.epochs)
        self.amp_dtype = autocast_dtype(self.device, cfg.amp, cpu_bf16=cfg.bf16 and self.task.cpu_bf16)
        if cfg.bf16 and self.device.type == "cpu" and self.amp_dtype is None:
            self.events.log(f"--bf16: {bf16_problem(self.task.cpu_bf16, cfg.amp)}; training in float32",
                            "warning")
        self.use_amp = self.amp_dtype is not None
        # loss scaling is for float16 only: bfloat16 has float32's range
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        if self.use_amp:
            self.events.log(f"training in {describe(self.amp_dtype)} on {self.device.type}")
        self.ema = ModelEMA(self.model) if cfg.ema else None
        self.results = ResultsTable(self.run / "results.csv")
        if self.resume is not None:
            self._restore(self.resume)
        if dist.enabled:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.model = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        self.progress = ProgressReporter(self.events, self.steps_per_epoch * cfg.epochs, cfg.batch,
                                         bar=self.bar and dist.is_main)

    def _initial_weights(self) -> None:
        if not self.cfg.weights or self.resume is not None:
            return
        from studio.models.pretrained import backbone_state

        state = backbone_state(state_from_weights_file(self.cfg.weights), self.cfg.backbone)
        copied, total = load_matching(self.model, state)
        if copied == 0:
            raise StudioError(f"{self.cfg.weights}: none of its tensors fit this model "
                              f"({self.cfg.arch} {self.cfg.model} {self.cfg.backbone}+{self.cfg.neck}); "
                              "pick weights of the same architecture, or an ImageNet checkpoint of the "
                              "backbone (torchvision or timm names)")
        self.events.log(f"initialised {copied}/{total} tensors from {self.cfg.weights}")

    def _restore(self, ckpt: dict) -> None:
        self.model.load_state_dict(ckpt["raw_model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        if self.ema is not None:
            self.ema.module.load_state_dict(ckpt["model"])
            self.ema.updates = int(ckpt["ema_updates"])
        if ckpt.get("scaler"):
            self.scaler.load_state_dict(ckpt["scaler"])
        s = self.state
        s.epoch, s.step_in_epoch, s.global_step = int(ckpt["epoch"]), int(ckpt["step_in_epoch"]), \
            int(ckpt["global_step"])
        s.best_fitness, s.best_epoch = float(ckpt["best_fitness"]), int(ckpt["best_epoch"])
        s.loss_sum, s.loss_count = [float(v) for v in ckpt["loss_sum"]], int(ckpt["loss_count"])
        torch.set_rng_state(ckpt["rng"]["torch"])
        self.results.drop_after(s.epoch)

    # ---- the loop -----------------------------------------------------------------------------
    def fit(self) -> str:
        """Train to the last epoch: 'ok', 'stopped' (max_steps reached) or 'cancelled'."""
        for epoch in range(self.state.epoch, self.cfg.epochs):
            status = self._train_epoch(epoch)
            if status != "ok":
                self._save()
                return status
            if self._end_epoch(epoch):
                break
        self.progress.close()
        return "ok"

    def _train_epoch(self, epoch: int) -> str:
        s = self.state
        self.sampler.set_epoch(epoch, start=s.step_in_epoch * self.batch_per_rank)
        self.progress.start_epoch(epoch, self.cfg.epochs, self.steps_per_epoch, s.step_in_epoch)
        self.model.train()
        for batch in self.loader:
            self._step(epoch, batch)
            if self._should_stop():
                self.progress.close()
                return "stopped" if self.stop.reason == "max_steps" else "cancelled"
        return "ok"

    def _step(self, epoch: int, batch: dict) -> None:
        s, cfg = self.state, self.cfg
        set_lr(self.optimizer, s.global_step, self.steps_per_epoch, cfg)
        images, targets = self.task.batch_inputs(batch, self.device)
        with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.use_amp):
            loss, parts = self.criterion(self.task.forward(self.model, images, targets), targets)
        if not torch.isfinite(loss):
            self._non_finite(epoch)
            return
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.ema is not None:
            self.ema.update(self.model)
        values = [float(v) for v in parts]
        s.loss_sum = [a + b for a, b in zip(s.loss_sum or [0.0] * len(values), values, strict=True)]
        s.loss_count += 1
        s.step_in_epoch += 1
        s.global_step += 1
        if self.on_step is not None:
            self.on_step(s.global_step, values)
        self.progress.step(epoch, s.global_step, dict(zip(self.task.loss_names, values, strict=True)))

    def _non_finite(self, epoch: int) -> None:
        if self.use_amp and not self.amp_failed:
            self.amp_failed, self.use_amp = True, False
            self.scaler = torch.amp.GradScaler("cuda", enabled=False)
            self.events.log(f"epoch {epoch + 1}: the loss overflowed in mixed precision; continuing in fp32",
                            "warning")
            return
        raise StudioError(f"the loss became non-finite at epoch {epoch + 1}, step {self.state.global_step}: "
                          "lower --lr0, check the labels (tern data check), or turn off --amp")

    def _should_stop(self) -> bool:
        if self.cfg.max_steps and self.state.global_step >= self.cfg.max_steps and not self.stop.is_set():
            self.stop.set("max_steps")
        flag = self.stop.is_set()
        if self.dist.enabled:
            t = torch.tensor([float(flag)], device=self.device)
            torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
            flag = bool(t.item())
            if flag and not self.stop.is_set():
                self.stop.set("cancelled")
        return flag

    # ---- epoch end ------------------------------------------------------------------------------
    def _end_epoch(self, epoch: int) -> bool:
        """Log, validate (rank 0), save; True when patience ran out."""
        s, cfg = self.state, self.cfg
        self.progress.close()
        mean = torch.tensor(s.loss_sum or [0.0] * len(self.task.loss_names), dtype=torch.float64)
        mean = ddp.all_reduce_mean(mean.to(self.device), self.dist).cpu() / max(s.loss_count, 1)
        metrics = dict(zip(self.task.loss_names, mean.tolist(), strict=True))
        metrics["lr/pg0"] = self.optimizer.param_groups[0]["lr"]
        s.epoch, s.step_in_epoch, s.loss_sum, s.loss_count = epoch + 1, 0, [], 0
        if self.dist.is_main:
            val = self.task.validate(self.eval_model(), self.val_loader, self.device,
                                     heartbeat=lambda _d, _t: self.progress.tick(epoch, s.global_step))
            metrics.update(val)
            fitness = self.task.fitness(val)
            improved = fitness > s.best_fitness
            if improved:
                s.best_fitness, s.best_epoch = fitness, epoch + 1
            self._save(best=improved)
            self._record(epoch + 1, metrics)
        ddp.barrier(self.dist)
        done = cfg.patience and s.epoch - s.best_epoch >= cfg.patience
        done = ddp.broadcast(bool(done), self.dist)
        if done and self.dist.is_main:
            self.events.log(f"no better fitness for {cfg.patience} epochs: stopping at epoch {s.epoch}")
        return bool(done)

    def _record(self, epoch: int, metrics: dict[str, float]) -> None:
        for name, value in metrics.items():
            split = "val" if name.startswith(("metrics/", "val/")) else "train"
            self.events.metric(epoch, name, value, split)
        self.results.add(epoch, metrics)
        self.results.write()

    def cancelled(self) -> bool:
        """SIGTERM / Ctrl-C arrived (reaching --max-steps is not a cancel)."""
        return self.stop.is_set() and self.stop.reason != "max_steps"

    def eval_model(self) -> nn.Module:
        return self.ema.module if self.ema is not None else unwrap(self.model)

    # ---- checkpoints ----------------------------------------------------------------------------
    def _save(self, best: bool = False) -> None:
        if not self.dist.is_main:
            return
        s = self.state
        weights = self.run / "weights"
        weights.mkdir(parents=True, exist_ok=True)
        model_state = {k: v.detach().float().cpu() if v.dtype.is_floating_point else v.cpu()
                       for k, v in self.eval_model().state_dict().items()}
        common = {"model": model_state, **self.task.checkpoint_meta(self.eval_model()),
                  "train_config": self.cfg.to_dict(), "epoch": s.epoch, "step_in_epoch": s.step_in_epoch,
                  "global_step": s.global_step, "best_fitness": s.best_fitness, "best_epoch": s.best_epoch}
        last = {**common, "raw_model": unwrap(self.model).state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "ema_updates": self.ema.updates if self.ema is not None else 0,
                "scaler": self.scaler.state_dict(), "loss_sum": list(s.loss_sum), "loss_count": s.loss_count,
                "rng": {"torch": torch.get_rng_state()}}
        save_checkpoint(weights / "last.pt", last)
        self.events.artifact("checkpoint", weights / "last.pt")
        if best:
            save_checkpoint(weights / "best.pt", common)
            self.events.artifact("best", weights / "best.pt")


def _seed_everything(seed: int, deterministic: bool) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
