"""Speed of the child-level demand model, side by side with the Data to Insight peer model.

Runs careflow (read + fit + deterministic projection; read + fit + 1,000 Monte Carlo runs + band calibration, as
`careflow forecast` does) and the peer
(`demand-model predict` from cs-demand-model 0.5.1, installed outside the repo in /tmp/peer-venv) on the same data
and horizons (1, 2 and 5 years), each in its own process so peak memory (max RSS) is the process's own, and prints
wall-clock and CPU times and their ratios. Datasets: the peer's own sample (../shared/data/ssda903_samples/
cs_demand_model_combined) and a large synthetic LA (1,500 children in care, ten years of returns) made with
careflow's generator. The peer is skipped, with a message, when /tmp/peer-venv is absent.

    .venv/bin/python benchmarks/bench_model.py [--horizons 1 2 5] [--runs 1000] [--skip-peer]

Install the peer:  python3 -m venv /tmp/peer-venv && /tmp/peer-venv/bin/pip install cs-demand-model==0.5.1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "ssda903_samples" / "cs_demand_model_combined"
PEER = Path("/tmp/peer-venv/bin/demand-model")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def careflow_worker(path: str, years: int, runs: int) -> dict:
    """One careflow run in this process: read, fit, deterministic projection, then Monte Carlo."""
    import numpy as np

    from careflow import ssda903
    from careflow.model import fit, project

    try:
        from careflow.model.calibration import calibrate, past_errors
    except ImportError:  # older careflow (comparisons with PYTHONPATH set to an earlier commit)
        calibrate = past_errors = None

    t0, c0 = time.perf_counter(), _cpu()
    data = ssda903.load(path)
    t1, c1 = time.perf_counter(), _cpu()
    model = fit(data)
    t2, c2 = time.perf_counter(), _cpu()
    end = dt.date(model.data_end.year + years, model.data_end.month, model.data_end.day)
    det = project(model, model.data_end, end)
    t3, c3 = time.perf_counter(), _cpu()
    mc = project(model, model.data_end, end, runs=runs, rng=np.random.default_rng(1))
    t4, c4 = time.perf_counter(), _cpu()
    if calibrate is not None:  # the band calibration `careflow forecast` adds to the Monte Carlo
        mc = calibrate(mc, past_errors(data.episodes, model.data_end))
    t5 = time.perf_counter()
    return {"read_s": t1 - t0, "fit_s": t2 - t1, "deterministic_s": t3 - t2, "monte_carlo_s": t4 - t3,
            "calibration_s": t5 - t4,
            "read_cpu": c1 - c0, "fit_cpu": c2 - c1, "deterministic_cpu": c3 - c2, "monte_carlo_cpu": c4 - c3,
            "children_at_start": float(det.start_stock.sum()), "expected_end": float(det.expected_stock[-1].sum()),
            "mc_mean_end": float(mc.stock_runs[:, -1].sum(axis=(1, 2)).mean()),
            "data_end": str(model.data_end), "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def peer_worker(path: str, years: int, data_end: str) -> dict:
    """The peer's `demand-model predict`, reference window = the 12 months before the end of the data."""
    end = dt.date.fromisoformat(data_end)
    start = dt.date(end.year - 1, end.month, end.day)
    pred = dt.date(end.year + years, end.month, end.day)
    cmd = [str(PEER), "predict", path, "-s", start.isoformat(), "-e", end.isoformat(), "--pd", pred.isoformat()]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall_s": wall, "cpu_s": r.ru_utime + r.ru_stime, "max_rss_mb": r.ru_maxrss / 1024,
            "returncode": proc.returncode, "stderr_tail": proc.stderr[-300:] if proc.returncode else ""}


def _in_subprocess(*args) -> dict:
    out = subprocess.run([sys.executable, __file__, *map(str, args)], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"worker failed: {args}\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def large_la(folder: Path) -> Path | None:
    try:
        from careflow.synth import generate
    except ImportError:
        return None
    generate(children_in_care=1500, first_year=2016, years=10, seed=7, output=folder)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--horizons", type=int, nargs="+", default=[1, 2, 5])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--datasets", nargs="+", default=["sample", "large"])
    ap.add_argument("--large", type=Path, help="use this folder of returns as the large LA instead of generating")
    args = ap.parse_args()
    peer = PEER.exists() and not args.skip_peer
    if not peer:
        print(f"peer: skipped ({PEER} not found; install with `python3 -m venv /tmp/peer-venv && "
              "/tmp/peer-venv/bin/pip install cs-demand-model==0.5.1`)" if not args.skip_peer else "peer: skipped")
    tmp = tempfile.TemporaryDirectory(prefix="careflow-bench-")
    datasets = []
    if "sample" in args.datasets:
        if SAMPLE.is_dir():
            datasets.append(("peer sample (cs_demand_model_combined)", SAMPLE))
        else:
            print(f"sample data not found at {SAMPLE}; skipped")
    if "large" in args.datasets:
        t0 = time.perf_counter()
        folder = args.large or large_la(Path(tmp.name) / "large_la")
        if folder is None:
            print("large synthetic LA: careflow.synth.generate not available; skipped")
        else:
            print(f"large synthetic LA in {folder} ({time.perf_counter() - t0:.1f} s to generate)")
            datasets.append(("synthetic large LA (1,500 in care, 10 years)", folder))
    rows = []
    for name, path in datasets:
        for years in args.horizons:
            cf = _in_subprocess("--careflow-worker", path, years, args.runs)
            pr = _in_subprocess("--peer-worker", path, years, cf["data_end"]) if peer else None
            rows.append((name, years, cf, pr))
            fit_det = cf["read_s"] + cf["fit_s"] + cf["deterministic_s"]
            fit_mc = cf["read_s"] + cf["fit_s"] + cf["monte_carlo_s"] + cf.get("calibration_s", 0.0)
            line = (f"{name}, {years} y: careflow read {cf['read_s']:.2f} s, fit {cf['fit_s']:.2f} s, "
                    f"deterministic {cf['deterministic_s']:.3f} s, {args.runs} runs {cf['monte_carlo_s']:.2f} s, "
                    f"band calibration {cf.get('calibration_s', 0.0):.2f} s, "
                    f"peak {cf['max_rss_mb']:.0f} MB; start {cf['children_at_start']:.0f}, expected at end "
                    f"{cf['expected_end']:.0f}, runs' mean {cf['mc_mean_end']:.0f}")
            print(line)
            if pr:
                if pr["returncode"]:
                    print(f"  peer failed (exit {pr['returncode']}): {pr['stderr_tail']}")
                    continue
                det_cpu = cf["read_cpu"] + cf["fit_cpu"] + cf["deterministic_cpu"]
                print(f"  peer predict {pr['wall_s']:.1f} s wall, {pr['cpu_s']:.1f} s CPU, peak "
                      f"{pr['max_rss_mb']:.0f} MB | ratio peer/careflow deterministic (read+fit+project): "
                      f"{pr['wall_s'] / fit_det:.0f}x wall, {pr['cpu_s'] / det_cpu:.0f}x CPU; projection "
                      f"alone {pr['wall_s'] / cf['deterministic_s']:.0f}x | {args.runs} runs incl. read+fit+calibration "
                      f"{fit_mc:.1f} s vs peer's one deterministic run {pr['wall_s']:.1f} s "
                      f"({pr['wall_s'] / fit_mc:.1f}x)")
    print(json.dumps([{"dataset": n, "years": y, "careflow": c, "peer": p} for n, y, c, p in rows], default=float))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--careflow-worker":
        print(json.dumps(careflow_worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "--peer-worker":
        print(json.dumps(peer_worker(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
    else:
        main()
