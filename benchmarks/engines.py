"""The two Monte Carlo engines of the baseline side by side (docs/decisions/0007): the numpy engine ("steps", every
child of every run a month at a time) and the compiled one ("children", each child followed alone), on the same
model and seed, for each kind of duration clock the fit offers. Prints each engine's CPU time for ``project``
(the expected values and the runs, one thread), the compiled kernel's own share, and whether every array of runs
is identical; asserts nothing.

    CAREFLOW_THREADS=1 .venv/bin/python benchmarks/engines.py FOLDER [--runs 1000] [--years 5]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import careflow.model.project  # noqa: F401  (the module: careflow.model exports the function project)
from careflow import pipeline
from careflow.model import fit

P = sys.modules["careflow.model.project"]
FIELDS = ("stock_runs", "care_days_runs", "entries_runs", "exits_runs", "capped_runs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--years", type=int, default=5)
    args = ap.parse_args()
    data = pipeline.load_data(args.folder)
    P.MAX_THREADS = 1
    print(f"{args.folder}: {args.runs} runs, {args.years} years from {data.data_end}")
    kernel = [0.0]  # CPU inside the compiled kernel itself (the rest: numpy's draws and the expected values)
    simulate = P._children.simulate

    def timed_simulate(*a):
        t = time.process_time()
        simulate(*a)
        kernel[0] += time.process_time() - t

    P._children.simulate = timed_simulate
    for duration in (None, "care", "placement"):
        model = fit(data.episodes, data_end=data.data_end, categories=data.categories, duration=duration)
        out, took = {}, {}
        for engine in ("steps", "children"):
            P.ENGINE = engine
            kernel[0] = 0.0
            t = time.process_time()
            out[engine] = P.project(model, data.data_end, months=12 * args.years, runs=args.runs,
                                    rng=np.random.default_rng(0))
            took[engine] = time.process_time() - t
        same = all(np.array_equal(getattr(out["steps"], f), getattr(out["children"], f)) for f in FIELDS)
        print(f"  duration clock {duration or 'none'}: numpy engine {took['steps']:.2f} s CPU, compiled "
              f"{took['children']:.2f} s ({took['steps'] / took['children']:.1f}x; the kernel itself "
              f"{kernel[0]:.2f} s); runs identical: {same}")
        stock = out["children"]
        print(f"    per run: {stock.start_stock.sum():.0f} starting children, "
              f"{stock.entries_runs.sum(axis=(1, 2)).mean():.0f} entrants, "
              f"{stock.exits_runs.sum(axis=(1, 2, 3)).mean():.0f} exits (mean of the runs)")


if __name__ == "__main__":
    main()
