"""The end of a denoising run: best.pt validated once more with the comparison grid, the results curves,
and model.onnx (dynamic batch and size) with its parity check. Returns the lines the terminal prints."""

from __future__ import annotations

from pathlib import Path

from studio.events import EventWriter


def finish_denoise(trainer, run: Path, events: EventWriter) -> list[str]:
    from studio.engine.denoise_meta import load_denoiser
    from studio.engine.validate_denoise import validate_denoiser

    weights = run / "weights" / ("best.pt" if (run / "weights" / "best.pt").is_file() else "last.pt")
    model, meta = load_denoiser(weights)
    model = model.to(trainer.device)
    plots = run / "plots"
    result = validate_denoiser(model, trainer.val_loader, trainer.task, trainer.device, plots=plots)
    events.artifact("plot", plots / "val_denoised.png")
    m = result.metrics
    lines = [f"{weights.name}: PSNR {m['val/psnr']:.2f} dB (input {m['val/psnr_noisy']:.2f} dB, "
             f"+{m['val/psnr'] - m['val/psnr_noisy']:.2f} dB)  SSIM {m['val/ssim']:.4f} "
             f"(input {m['val/ssim_noisy']:.4f}) on {len(result.psnr)} validation crops"]
    if (run / "results.csv").is_file():
        from studio.evaluation.plots import plot_results

        plot_results(run / "results.csv", plots / "results.png")
        events.artifact("plot", plots / "results.png")
    if trainer.cfg.export and not trainer.cancelled():
        lines += export_denoiser_with_parity(model.cpu(), meta, run / "model.onnx", events)
    lines.append(f"run folder: {run}")
    return lines


def export_denoiser_with_parity(model, meta, out: Path, events: EventWriter, *,
                                half: bool = False) -> list[str]:
    from studio.export.onnx_denoise import check_denoiser_parity, export_denoiser

    export_denoiser(model.eval(), out, half=half, metadata={"task": "denoise", "denoise": meta.to_json()})
    events.artifact("onnx", out)
    diff = check_denoiser_parity(model, out)
    text = f"largest |torch - onnx| {diff:.2e} (batch 1 and 2, two sizes)"
    events.log(f"ONNX parity: {text}")
    return [f"exported {out}", f"parity: {text}"]
