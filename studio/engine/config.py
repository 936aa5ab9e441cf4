"""The training run's configuration: one typed frozen dataclass; YAML is only its serialisation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from studio.data.augment import AugmentConfig
from studio.engine.denoise_options import DenoiseOptions
from studio.errors import ConfigError
from studio.utils.config_keys import check_keys

TASKS = ("detect", "pose", "denoise")
DENOISE_ARCHS = ("nafnet", "unet")
OPTIMIZERS = ("auto", "sgd", "adamw")


RCNN_LR_PER_16 = 0.02  # faster_rcnn: SGD lr for 16 images per step, scaled linearly with the batch
# what --arch changes unless given: Faster R-CNN's "1x" recipe (the reference size m; 12 epochs, lr x0.1
# after 8 and 11; SGD momentum 0.9, weight decay 1e-4; short side 800; flips only)
ARCH_DEFAULTS: dict[str, dict[str, Any]] = {
    "faster_rcnn": {"model": "m", "backbone": "resnet50", "neck": "fpn", "imgsz": 800, "epochs": 12,
                    "batch": 4, "optimizer": "sgd", "momentum": 0.9, "weight_decay": 1e-4,
                    "lr_steps": (8 / 12, 11 / 12), "warmup_epochs": 0.5},
}
# what `tern train denoise` changes unless given: NAFNet's recipe (AdamW, cosine decay, no weight decay) on
# 256-px RAW crops (128 px packed), the small preset
TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "denoise": {"arch": "nafnet", "model": "small", "imgsz": 256, "epochs": 50, "batch": 8,
                "optimizer": "adamw", "lr0": 1e-3, "lrf": 0.01, "momentum": 0.9, "weight_decay": 0.0,
                "cosine": True, "warmup_epochs": 0.0, "grad_clip": 1.0, "ema": False, "patience": 0},
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run needs; saved as ``config.yaml`` and inside every checkpoint."""

    task: str = "detect"            # detect | pose | denoise
    data: str = ""                  # data.yaml or folder, COCO json, .tern project (denoise: clean RAWs)
    images: str = ""                # image folder of a COCO json when it is not found by convention
    arch: str = "yolo"              # detector family (denoise: nafnet | unet)
    model: str = "n"                # scale: n | s | m (denoise: a preset, small | width32)
    backbone: str = "elan"          # a BACKBONES name
    neck: str = "pan"               # a NECKS name
    assigner: str = "tal"           # tal (task-aligned) | simota
    imgsz: int = 640                # square network input, a multiple of 32 (faster_rcnn: the short side)
    max_size: int = 1333            # faster_rcnn: the long side is at most this
    epochs: int = 100               # total epochs (resume with a larger value extends a run)
    batch: int = 16                 # images per step over all processes
    device: str = ""                # "" auto, cpu, cuda, 0, 0,1
    workers: int = 2                # DataLoader worker processes (spawn)
    project: str = "runs"           # runs go to <project>/<task>/<name>
    name: str = ""                  # run name; empty -> train, train2, ...
    weights: str = ""               # initial weights (fine-tuning): a checkpoint whose tensors fit
    optimizer: str = "auto"         # auto (AdamW for short runs, else SGD) | sgd | adamw
    lr0: float = 0.01               # initial learning rate (SGD; AdamW under auto picks its own)
    lrf: float = 0.01               # final learning rate as a fraction of lr0
    momentum: float = 0.937         # SGD momentum / AdamW beta1
    weight_decay: float = 5e-4      # applied to conv and linear weights only
    warmup_epochs: float = 3.0      # linear warmup (at least 100 steps when the run is long enough)
    cosine: bool = False            # cosine decay instead of linear
    lr_steps: tuple[float, ...] = ()  # step schedule: lr x0.1 after each of these fractions of the run
    ema: bool = True                # keep an exponential moving average of the weights
    amp: bool = True                # mixed precision on CUDA (fp32 again when the loss turns non-finite)
    bf16: bool = False              # CPU: train in bfloat16 where the CPU computes it natively (precision.py)
    grad_clip: float = 10.0         # max gradient norm
    seed: int = 0                   # data order and augmentation seed
    deterministic: bool = False     # bit-reproducible kernels (slower)
    cache: bool = False             # keep decoded images in RAM (small sets are kept unasked: auto_cache)
    val_fraction: float = 0.2       # val share for sources without a val split
    patience: int = 50              # stop after this many epochs without a better fitness (0: never)
    export: bool = True             # export model.onnx at the end
    max_steps: int = 0              # stop (as if cancelled) after this many steps in total; 0: no limit
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    denoise: DenoiseOptions = field(default_factory=DenoiseOptions)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ConfigError(f"task {self.task!r} is not one of {', '.join(TASKS)}")
        if self.task == "denoise":
            self._check_denoise()
        else:
            self._check_detector()
        if self.epochs < 1 or self.batch < 1:
            raise ConfigError("--epochs and --batch must be at least 1")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"--optimizer {self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")

    def _check_detector(self) -> None:
        from studio.models.registry import ARCHS

        if self.arch not in ARCHS:
            raise ConfigError(f"--arch {self.arch!r}: choose one of {', '.join(ARCHS)}")
        if self.task == "pose" and self.arch != "yolo":
            raise ConfigError(f"tern train pose --arch {self.arch}: pose models are one-stage (--arch yolo)")
        if self.imgsz < 32 or self.imgsz % 32:
            raise ConfigError(f"--imgsz {self.imgsz}: use a multiple of 32 (e.g. 320, 640)")

    def _check_denoise(self) -> None:
        if self.arch not in DENOISE_ARCHS:
            raise ConfigError(f"tern train denoise --arch {self.arch}: choose one of "
                              f"{', '.join(DENOISE_ARCHS)}")
        if self.imgsz < 32 or self.imgsz % 32:
            raise ConfigError(f"--imgsz {self.imgsz}: the training crop side, a multiple of 32 (e.g. 256)")

    def to_dict(self) -> dict[str, Any]:
        """Plain YAML-safe values (tuples become lists)."""
        values = asdict(self)
        values["lr_steps"] = list(self.lr_steps)
        return values

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        check_keys(cls, data, "config")
        values = dict(data)
        if "lr_steps" in values:
            values["lr_steps"] = tuple(float(v) for v in values["lr_steps"] or ())
        if isinstance(values.get("augment"), dict):
            check_keys(AugmentConfig, values["augment"], "augment")
            values["augment"] = AugmentConfig(**values["augment"])
        if isinstance(values.get("denoise"), dict):
            values["denoise"] = DenoiseOptions.from_dict(values["denoise"])
        return cls(**values)

    @classmethod
    def for_arch(cls, values: dict[str, Any]) -> TrainConfig:
        """A config from ``values`` over the defaults of their arch (ARCH_DEFAULTS; the "1x" recipe for
        faster_rcnn, whose lr0 scales linearly with the batch unless given)."""
        task_defaults = TASK_DEFAULTS.get(values.get("task", cls.task), {})
        arch = values.get("arch", task_defaults.get("arch", cls.arch))
        merged = {**task_defaults, **ARCH_DEFAULTS.get(arch, {}), **values}
        if arch in ARCH_DEFAULTS and "lr0" not in values:
            merged["lr0"] = RCNN_LR_PER_16 * merged.get("batch", cls.batch) / 16
        return cls.from_dict(merged)

    def with_(self, **changes: Any) -> TrainConfig:
        return replace(self, **changes)


def save_config(config: TrainConfig, path: Path) -> None:
    from studio.utils.atomic import atomic_write_text

    atomic_write_text(path, yaml.safe_dump(config.to_dict(), sort_keys=False))


def load_config(path: Path) -> TrainConfig:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the run config ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a run config (expected a mapping)")
    return TrainConfig.from_dict(data)
