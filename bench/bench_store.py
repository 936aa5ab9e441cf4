"""Project-store and dataset-check figures on a generated YOLO dataset (issue 2's goals in brackets):

* import N images x B boxes into a .tern project: seconds and peak RSS   [100k: < 30 s, < 1 GB]
* open that project and read its first page of 200 images: ms            [< 200 ms]
* one edit committed (set_box): median and p99 ms                        [p99 < 5 ms]
* ``tern data check`` on the dataset: seconds

Each phase runs in a fresh process so peak memory is that phase's own. Prints a table and one JSON line.

    python bench/bench_store.py [--images 100000] [--boxes 10] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import print_figures  # bench/ is on sys.path when a bench runs as a script

REPO = Path(__file__).resolve().parents[1]

IMPORT = """
import time, resource, json, sys
from studio.io.yolo import load_yolo
from studio.store.project import Project
t = time.perf_counter()
ds, problems = load_yolo(sys.argv[1])
t_load = time.perf_counter() - t
Project.create(sys.argv[2], ds).close()
print(json.dumps({"load_s": t_load, "import_s": time.perf_counter() - t,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

OPEN_PAGE = """
import time, json, sys
t = time.perf_counter()
from studio.store.project import Project
p = Project.open(sys.argv[1])
rows = p.page(0, 200)
dt = time.perf_counter() - t
assert len(rows) == 200
anns = p.annotations(rows[0].id)
times = []
for i in range(500):
    a = anns[i % len(anns)]
    t = time.perf_counter()
    p.set_box(a.id, (a.box[0] + (i % 3), a.box[1], a.box[2] + (i % 3), a.box[3]))
    times.append((time.perf_counter() - t) * 1000)
p.close()
times.sort()
print(json.dumps({"open_page_ms": dt * 1000, "edit_median_ms": times[len(times) // 2],
                  "edit_p99_ms": times[int(len(times) * 0.99)]}))
"""

CHECK = """
import contextlib, io, json, resource, sys, time
from studio.cli import main
t = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["data", "check", sys.argv[1]])
print(json.dumps({"check_s": time.perf_counter() - t, "check_exit": code,
                  "check_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(code: str, *args: str) -> dict:
    run = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--boxes", type=int, default=10)
    parser.add_argument("--work", type=Path, default=None, help="keep the generated data here")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "bench"))
    from gen_yolo import generate

    work = args.work or Path(tempfile.mkdtemp(prefix="tern-bench-"))
    data = work / "data"
    t = time.perf_counter()
    yaml = data / "data.yaml"
    if not yaml.exists():
        generate(data, args.images, args.boxes)
    gen_s = time.perf_counter() - t
    project = work / "bench.tern"
    for leftover in work.glob("bench.tern*"):
        leftover.unlink()
    figures = {"images": args.images, "boxes_per_image": args.boxes, "generate_s": round(gen_s, 1)}
    figures.update(_child(IMPORT, str(yaml), str(project)))
    figures.update(_child(OPEN_PAGE, str(project)))
    figures.update(_child(CHECK, str(yaml)))
    print_figures("store", figures)


if __name__ == "__main__":
    main()
