"""Training throughput of the one-stage detector (issue 4): images/s of full training steps (data loading,
augmentation, forward, loss, backward, optimiser, EMA) and peak memory, on a generated shapes dataset
big enough that every timed step lies inside the first epoch (no validation or checkpoint in the window).

For reference (issue 4): the most used YOLO trainer (YOLOv8n, imgsz 320, batch 16, 2 threads) ran about
21-24 images/s on the 2-core machine of the time; the goal is 1.5x that. Machines change, so compare on
one: on a 2-core AMD EPYC (Zen 5) of 2026-11-25, Ultralytics 8.4.190 (its defaults: no data workers on a CPU;
2 torch threads, mosaic on, the same generated images, its own callback timing the same 30 steps) ran
YOLOv8n at 30.7-33.9 images/s at 320 (33.2-33.8 with its RAM cache) and 6.7-7.1 at 640. ``--task pose``
trains the pose model on generated stick figures (7 keypoints) instead. ``--cache`` forces the RAM cache
(a set this small is cached anyway unless it exceeds a quarter of the free memory or of /dev/shm).

    python bench/bench_train.py [--imgsz 320 640] [--batch 16] [--steps 12] [--model n]
        [--backbone elan] [--neck pan] [--device cpu] [--task pose] [--bf16] [--cache] [--workers 2]

Each size runs in a fresh process (peak RSS is that run's own). Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from report import print_figures  # bench/ is on sys.path when a bench runs as a script

REPO = Path(__file__).resolve().parents[1]

ONE_RUN = """
import json, resource, sys, time
import torch
from studio.engine.config import TrainConfig
from studio.jobs.train_job import run_training
data, imgsz, batch, steps, model, device, backbone, neck, workers, task, bf16, cache = sys.argv[1:13]
imgsz, batch, steps, workers = int(imgsz), int(batch), int(steps), int(workers)
stamps = []
cfg = TrainConfig(task=task, data=data, imgsz=imgsz, batch=batch, epochs=1000, model=model, device=device,
                  backbone=backbone, neck=neck, workers=workers, project=sys.argv[13], max_steps=steps,
                  export=False, bf16=bf16 == "1", cache=cache == "1")
run_training(cfg, bar=False, on_step=lambda step, parts: stamps.append(time.perf_counter()))
warm = 2  # the first steps pay for lazy initialisation and worker start-up
rate = (len(stamps) - 1 - warm) * batch / (stamps[-1] - stamps[warm])
print(json.dumps({"images_per_s": rate, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "threads": torch.get_num_threads()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imgsz", type=int, nargs="+", default=[320, 640])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--model", default="n")
    parser.add_argument("--backbone", default="elan")
    parser.add_argument("--neck", default="pan")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--task", default="detect", choices=["detect", "pose"])
    parser.add_argument("--bf16", action="store_true", help="train in bfloat16 (a CPU with native bf16)")
    parser.add_argument("--cache", action="store_true", help="decoded images in RAM (tern train --cache)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from studio.pose_shapes import make_stick_figures
    from studio.shapes import make_shapes

    figures: dict[str, float | str] = {"model": f"{args.model}-{args.backbone}-{args.neck}",
                                       "task": args.task, "batch": args.batch, "device": args.device,
                                       "bf16": args.bf16, "cache": args.cache}
    with tempfile.TemporaryDirectory() as tmp:
        for imgsz in args.imgsz:
            images = args.batch * (args.steps + 1)
            data = make_stick_figures(Path(tmp) / f"figures{imgsz}", num_images=images, size=imgsz,
                                      val_images=8) if args.task == "pose" else \
                make_shapes(Path(tmp) / f"shapes{imgsz}", num_images=images, size=imgsz, max_objects=6,
                            val_images=8)
            out = subprocess.run([sys.executable, "-c", ONE_RUN, str(data), str(imgsz), str(args.batch),
                                  str(args.steps), args.model, args.device, args.backbone, args.neck,
                                  str(args.workers), args.task, "1" if args.bf16 else "0",
                                  "1" if args.cache else "0",
                                  str(Path(tmp) / "runs")],
                                 cwd=REPO, check=True, capture_output=True, text=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            figures[f"train_images_per_s_{imgsz}"] = result["images_per_s"]
            figures[f"train_peak_mb_{imgsz}"] = result["peak_mb"]
            figures["torch_threads"] = result["threads"]
    print_figures("train", figures)


if __name__ == "__main__":
    main()
