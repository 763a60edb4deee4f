"""Whole-process speed: `careflow forecast --runs 1000` (read, fit, 1,000 Monte Carlo runs, band calibration,
forecast.csv, costs.csv, summary.json and the fan chart) against one deterministic run of the Data to Insight peer
(`demand-model predict` from cs-demand-model 0.5.1, installed in a throw-away venv outside the repo), side by side
in one run: the two commands alternate, each as its own process, ``--repeat`` times, on the same data and horizon
(5 years from the end of the data; the peer's reference window is the last 12 months, careflow's is chosen from the
data, 12 months on both data sets below). Prints wall and CPU time per process and the ratios of the medians;
asserts nothing. On a shared machine compare the ratios, not the absolute times: both commands see the same load.

    .venv/bin/python benchmarks/bench_forecast_cli.py [--peer /work/peer-venv] [--repeat 3] [--large DIR]

Peer:  python3 -m venv /work/peer-venv && /work/peer-venv/bin/pip install cs-demand-model==0.5.1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "ssda903_samples" / "cs_demand_model_combined"
CAREFLOW = Path(sys.executable).with_name("careflow")


def timed(cmd: list[str], env: dict | None = None) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return {"wall_s": wall, "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "stdout": proc.stdout}


def data_end(path: Path) -> dt.date:
    import pandas as pd

    from careflow import ssda903

    return pd.Timestamp(ssda903.load(path).data_end).date()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer", type=Path, default=Path("/work/peer-venv"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--large", type=Path, help="the large LA's returns (else generated: 1,500 in care, 10 years, "
                    "seed 7, as bench_model.py)")
    ap.add_argument("--datasets", nargs="+", default=["sample", "large"])
    args = ap.parse_args()
    peer = args.peer / "bin" / "demand-model"
    if not peer.exists():
        raise SystemExit(f"peer not found at {peer}: see the module notes")
    tmp = tempfile.TemporaryDirectory(prefix="careflow-bench-cli-")
    sets = []
    if "sample" in args.datasets:
        sets.append(("sample (cs_demand_model_combined)", SAMPLE))
    if "large" in args.datasets:
        large = args.large
        if large is None:
            from careflow.synth import generate

            large = generate(children_in_care=1500, first_year=2016, years=10, seed=7,
                             output=Path(tmp.name) / "large_la")
        sets.append(("large synthetic LA (1,500 in care, 10 years)", large))
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start; "
          f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; careflow at commit {commit} ({CAREFLOW}), "
          f"CAREFLOW_THREADS={os.environ.get('CAREFLOW_THREADS', '2 (default)')}")
    summary = []
    for name, path in sets:
        end = data_end(path)
        pred = dt.date(end.year + args.years, end.month, end.day)
        start = dt.date(end.year - 1, end.month, end.day)
        peer_cmd = [str(peer), "predict", str(path), "-s", start.isoformat(), "-e", end.isoformat(),
                    "--pd", pred.isoformat()]
        cf_cmd = [str(CAREFLOW), "forecast", str(path), "--runs", str(args.runs), "--end", pred.isoformat(),
                  "--output", str(Path(tmp.name) / "out")]
        cf, pr = [], []
        for i in range(args.repeat):
            pr.append(timed(peer_cmd))
            cf.append(timed(cf_cmd))
            print(f"{name} #{i + 1}: peer predict {pr[-1]['wall_s']:.1f} s wall / {pr[-1]['cpu_s']:.1f} s CPU; "
                  f"careflow forecast --runs {args.runs} {cf[-1]['wall_s']:.1f} s wall / {cf[-1]['cpu_s']:.1f} s "
                  f"CPU", flush=True)
        row = {"data": name, "data_end": str(end), "prediction_date": str(pred),
               "peer_wall_s": median(r["wall_s"] for r in pr), "peer_cpu_s": median(r["cpu_s"] for r in pr),
               "careflow_wall_s": median(r["wall_s"] for r in cf), "careflow_cpu_s": median(r["cpu_s"] for r in cf)}
        row["ratio_wall"] = row["peer_wall_s"] / row["careflow_wall_s"]
        row["ratio_cpu"] = row["peer_cpu_s"] / row["careflow_cpu_s"]
        summary.append(row)
        print(f"{name}: medians peer {row['peer_wall_s']:.1f} s wall / {row['peer_cpu_s']:.1f} s CPU, careflow "
              f"{row['careflow_wall_s']:.1f} s / {row['careflow_cpu_s']:.1f} s: careflow {row['ratio_wall']:.1f}x "
              f"faster (wall), {row['ratio_cpu']:.1f}x (CPU)", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
