"""Where `careflow forecast` spends its CPU time, step by step in one process (imports, reading the returns, fit,
the Monte Carlo runs, the band calibration's refits, writing the outputs), each step timed with
``time.process_time``. Run with ``CAREFLOW_THREADS=1`` so the Monte Carlo's CPU is not spread over threads.

    CAREFLOW_THREADS=1 .venv/bin/python benchmarks/forecast_steps.py FOLDER [--runs 1000] [--years 5]
"""

from __future__ import annotations

import time

T0 = time.process_time()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

import careflow.pipeline.forecast  # noqa: E402,F401
from careflow.model import calibration, fit, project  # noqa: E402
from careflow.pipeline.data import load_data  # noqa: E402

pipeline = sys.modules["careflow.pipeline.forecast"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--years", type=int, default=5)
    args = ap.parse_args()
    steps = {"imports (Python, numpy, pandas, careflow)": time.process_time() - T0}
    t = time.process_time()

    def lap(name):
        nonlocal t
        now = time.process_time()
        steps[name] = now - t
        t = now

    data = load_data(args.folder)
    lap("read, validate and clean the returns")
    start = data.data_end
    end = dt.date(start.year + args.years, start.month, start.day)
    model = fit(data.episodes, data_end=start, categories=data.categories)
    lap("fit")
    proj = project(model, start, end, runs=args.runs, rng=np.random.default_rng(0))
    lap(f"{args.runs} Monte Carlo runs")
    errors = calibration.past_errors(data.episodes, start, categories=data.categories)
    calibration.calibrate(proj, errors)
    lap("band calibration (refits at pseudo-origins)")
    result = pipeline.forecast(data, end=end, runs=args.runs)
    lap("the whole forecast again (fit, runs, calibration), as `careflow forecast` does it")
    import careflow.reports.charts  # noqa: F401

    lap("importing the chart module (matplotlib)")
    with tempfile.TemporaryDirectory() as out:
        pipeline.write_forecast(result, out)
    lap("writing forecast.csv, costs.csv, summary.json and the fan chart")
    for name, s in steps.items():
        print(f"{s:7.2f} s  {name}")


if __name__ == "__main__":
    main()
