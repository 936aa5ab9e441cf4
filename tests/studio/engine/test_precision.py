"""Mixed precision: which dtype each device, task and option trains in, and a ``--bf16`` CPU run really
computing its convolutions in bfloat16 while the weights, the checkpoint and validation stay float32."""

from __future__ import annotations

import torch
from torch import nn

from studio.engine import precision
from studio.engine.config import TrainConfig
from studio.engine.precision import autocast_dtype, describe
from studio.events import read_events
from studio.jobs.train_job import run_training
from studio.shapes import make_shapes


def test_dtype_by_device_task_and_cpu(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)
    assert autocast_dtype(cuda, True) == torch.float16
    assert autocast_dtype(cpu, True) is None  # float32 unless --bf16 asks
    assert autocast_dtype(cpu, True, cpu_bf16=True) == torch.bfloat16
    assert autocast_dtype(cpu, False, cpu_bf16=True) is None  # --no-amp
    assert autocast_dtype(cuda, False) is None
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: False)
    assert autocast_dtype(cpu, True, cpu_bf16=True) is None  # emulated bfloat16 would be slower
    assert describe(torch.bfloat16) == "bfloat16 mixed precision" and describe(None) == "float32"


def test_native_bf16_is_read_from_the_cpu_flags(monkeypatch, tmp_path):
    info = tmp_path / "cpuinfo"
    monkeypatch.setattr(precision, "Path", lambda _: info)
    monkeypatch.setattr(precision.sys, "platform", "linux")
    for flags, expected in (("fpu avx2 avx512f avx512_bf16 avx512_vnni", True),
                            ("fpu avx2 amx_tile amx_bf16", True), ("fpu avx2 avx512f avx512_vnni", False)):
        info.write_text(f"processor : 0\nflags : {flags}\n")
        precision.cpu_has_native_bf16.cache_clear()
        assert precision.cpu_has_native_bf16() is expected, flags
    precision.cpu_has_native_bf16.cache_clear()


def test_a_bf16_cpu_run_keeps_float32_weights(monkeypatch, tmp_path):
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)
    seen: list[torch.dtype] = []
    original = nn.Conv2d.forward

    def spy(self, x):
        out = original(self, x)
        if torch.is_grad_enabled():
            seen.append(out.dtype)
        return out

    monkeypatch.setattr(nn.Conv2d, "forward", spy)
    data = make_shapes(tmp_path / "shapes", num_images=4, size=64)
    cfg = TrainConfig(data=str(data), imgsz=64, epochs=1, batch=4, workers=0, device="cpu", export=False,
                      project=str(tmp_path / "runs"), bf16=True)
    outcome = run_training(cfg, bar=False)
    assert outcome.status == "ok"
    assert seen and set(seen) == {torch.bfloat16}  # every training convolution ran in bfloat16
    logs = [e.message for _, e in read_events(outcome.run / "events.jsonl") if e.type == "log"]
    assert any("training in bfloat16 mixed precision on cpu" in m for m in logs), logs
    ckpt = torch.load(outcome.run / "weights" / "last.pt", weights_only=True)
    assert {t.dtype for t in ckpt["model"].values() if t.is_floating_point()} == {torch.float32}


def test_bf16_on_a_cpu_without_it_says_so_and_trains_in_float32(monkeypatch, tmp_path):
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: False)
    data = make_shapes(tmp_path / "shapes", num_images=4, size=64)
    cfg = TrainConfig(data=str(data), imgsz=64, epochs=1, batch=4, workers=0, device="cpu", export=False,
                      project=str(tmp_path / "runs"), bf16=True, max_steps=1)
    outcome = run_training(cfg, bar=False)
    warnings = [e.message for _, e in read_events(outcome.run / "events.jsonl")
                if e.type == "log" and e.level == "warning"]
    assert any(m.startswith("--bf16: this CPU has no native bfloat16") and m.endswith("training in float32")
               for m in warnings), warnings
