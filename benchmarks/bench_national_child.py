"""A national child-level forecast: 153 synthetic LAs (about 80,000 children in care), each read, fitted,
projected with 1,000 Monte Carlo runs over 5 years and calibrated to its own record, as `careflow forecast` does,
in a process pool over the machine's cores (one LA per task). The national total is the sum of the LAs' runs, run
by run (LAs independent). Prints wall time, CPU time and peak memory (parent and the largest worker); asserts
nothing.

    .venv/bin/python benchmarks/bench_national_child.py [--las 153] [--children 80000] [--runs 1000] [--years 5]
        [--workers 2] [--data DIR]   # DIR: LA folders from an earlier run (else generated into a temp folder)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

FIRST_YEAR, YEARS = 2019, 7  # collection years ending 31 March 2019 .. 2025


def forecast_la(folder: str, runs: int, years: int) -> dict:
    """One LA: read, fit, 1,000 runs, band calibration; the total's runs [R, M] back to the parent."""
    os.environ["CAREFLOW_THREADS"] = "1"  # one process per core already
    import sys

    import careflow.model.project  # noqa: F401  (the module: careflow.model exports the function project)
    project_module = sys.modules["careflow.model.project"]
    from careflow import ssda903
    from careflow.model import calibrate, fit, past_errors, project

    project_module.MAX_THREADS = 1
    t0, c0 = time.perf_counter(), time.process_time()
    data = ssda903.load(folder)
    model = fit(data)
    proj = project(model, model.data_end, months=12 * years, runs=runs, rng=np.random.default_rng(0))
    proj = calibrate(proj, past_errors(data.episodes, model.data_end))
    total = proj.stock_runs.sum(axis=(2, 3)).astype(np.float32)
    return {"la": Path(folder).name, "children": float(proj.start_stock.sum()), "total_runs": total,
            "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--las", type=int, default=153)
    ap.add_argument("--children", type=int, default=80_000)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--data", type=Path, help="folder of LA folders (LA<number>/<year>/...) from an earlier run")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="careflow-national-")
    folder = args.data
    if folder is None:
        from careflow.synth import generate_many

        t = time.perf_counter()
        folder = generate_many(args.las, args.children, FIRST_YEAR, YEARS, 1, Path(tmp.name) / "national",
                               layout="folders")
        print(f"generated {args.las} LAs in {folder} ({time.perf_counter() - t:.0f} s, not timed below)", flush=True)
    las = sorted(str(p) for p in Path(folder).iterdir() if p.is_dir())
    t0, c0 = time.perf_counter(), time.process_time()
    results = []
    # largest LAs first, so the pool does not end waiting on one big LA
    las.sort(key=lambda p: -sum(f.stat().st_size for f in Path(p).rglob("*.csv")))
    with ProcessPoolExecutor(args.workers) as pool:
        futures = [pool.submit(forecast_la, la, args.runs, args.years) for la in las]
        for i, f in enumerate(futures, 1):
            results.append(f.result())
            if i % 25 == 0:
                print(f"{i}/{len(las)} LAs done, {time.perf_counter() - t0:.0f} s", flush=True)
    wall = time.perf_counter() - t0
    national = sum(r["total_runs"] for r in results)  # [R, M]
    children = sum(r["children"] for r in results)
    child_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    p10, p50, p90 = np.quantile(national[:, -1], [0.1, 0.5, 0.9])
    out = {"las": len(results), "children_in_care_at_start": children, "runs": args.runs, "years": args.years,
           "workers": args.workers, "wall_s": round(wall, 1),
           "cpu_s_workers": round(child_cpu.ru_utime + child_cpu.ru_stime, 1),
           "cpu_s_parent": round(time.process_time() - c0, 1),
           "peak_rss_mb_parent": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
           "peak_rss_mb_largest_worker": round(child_cpu.ru_maxrss / 1024),
           "slowest_la_s": round(max(r["wall_s"] for r in results), 1),
           "national_total_at_end_p10_p50_p90": [round(float(x)) for x in (p10, p50, p90)]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
