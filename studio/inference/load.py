"""One entry for weights files: ``model.onnx`` -> OnnxPredictor, a Tern checkpoint (.pt) -> TorchPredictor."""

from __future__ import annotations

from pathlib import Path

from studio.errors import ConfigError
from studio.inference.onnx_session import choose_providers
from studio.inference.predictor import OnnxPredictor, TorchPredictor


def load_predictor(weights: Path | str, imgsz: int | None = None, device: str = "cpu", conf: float = 0.25,
                   iou: float = 0.7, max_det: int = 300):
    """A predictor for ``weights`` (dispatch on the suffix, then on the detector family: the two-stage
    detector has its own, ``studio.inference.rcnn_predictor``).

    imgsz: None for the size the model was trained (or exported) at; an ONNX export has a fixed size, so
    another imgsz is a ConfigError. device: a ``--device`` spec (cpu, cuda, 0, '' for auto); for ONNX, cpu
    means the CPU provider only, anything else the fastest providers onnxruntime offers.
    """
    weights = Path(weights)
    if weights.suffix.lower() == ".onnx":
        return _onnx(weights, imgsz, device, conf, iou, max_det)
    from studio.engine.checkpoint import load_checkpoint, model_from_checkpoint
    from studio.engine.device import select_device

    model, meta = model_from_checkpoint(load_checkpoint(weights))
    if meta.model_config.arch == "faster_rcnn":
        from studio.inference.rcnn_predictor import RCNNTorchPredictor

        return RCNNTorchPredictor(model.fuse(), imgsz or meta.imgsz, meta.max_size or meta.imgsz,
                                  select_device(device), conf, iou, names=meta.names,
                                  class_ids=meta.class_ids)
    return TorchPredictor(model.fuse(), imgsz or meta.imgsz, select_device(device), conf, iou, max_det,
                          names=meta.names, class_ids=meta.class_ids, skeleton=meta.skeleton)


def _onnx(weights: Path, imgsz: int | None, device: str, conf: float, iou: float,
          max_det: int) -> OnnxPredictor:
    import onnxruntime as ort

    from studio.export.onnx import read_metadata

    cpu = device.strip().lower() == "cpu"
    providers = ["CPUExecutionProvider"] if cpu else choose_providers(ort.get_available_providers())
    if weights.is_file() and read_metadata(weights).get("arch") == "faster_rcnn":
        from studio.inference.rcnn_predictor import RCNNOnnxPredictor

        return RCNNOnnxPredictor(weights, conf, iou, providers=providers)
    predictor = OnnxPredictor(weights, conf, iou, max_det, providers=providers)
    if imgsz and imgsz != predictor.imgsz:
        raise ConfigError(f"{weights} was exported for {predictor.imgsz} px inputs; predict with "
                          f"--imgsz {predictor.imgsz} (or 0), or export again with --imgsz {imgsz}")
    return predictor
