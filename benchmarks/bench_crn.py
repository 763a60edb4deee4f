"""How well the Monte Carlo's common random numbers hold: baseline vs scenario run by run, same seed.

Prints the spread over runs of (scenario - baseline) total care-days for a scenario that moves ONE child from IFA to
in-house fostering in the first month (true effect: a few hundred days; every run's difference is bounded by one
child's days over the horizon) and for a 5% entry cut (every run's stock should fall or stay, never rise).

    .venv/bin/python benchmarks/bench_crn.py [--data FOLDER] [--runs 200] [--months 36]

Without --data it uses a small synthetic LA (careflow.synth.generate(150, 2021, 4, seed=5)); ``--data anyshire``
uses Anyshire. To see the engine before common random numbers, run this script against an older checkout's src on
PYTHONPATH (main at 58cb37c).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from careflow.model import FlowChanges, Move, fit, project
from careflow.ssda903 import load


class _FirstMonth:
    def __init__(self, changes):
        self._changes = changes

    def changes(self, step):
        return self._changes if step.index == 0 else FlowChanges()


class _Always:
    def __init__(self, changes):
        self._changes = changes

    def changes(self, step):
        return self._changes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.data is None or args.data == "anyshire":
            from careflow.synth import anyshire, generate

            folder = anyshire(Path(tmp) / "la") if args.data else generate(150, 2021, 4, 5, Path(tmp) / "la")
        else:
            folder = Path(args.data)
        model = fit(load(folder))
    kw = dict(months=args.months, runs=args.runs)
    base = project(model, rng=np.random.default_rng(args.seed), **kw)
    horizon = base.days.sum()
    for name, adj in [("move one child IFA -> in-house", _FirstMonth(FlowChanges(
            moves=[Move("ifa_fostering", "in_house_fostering", 1)]))),
            ("entries 5% lower", _Always(FlowChanges(entry_multiplier=0.95)))]:
        scen = project(model, rng=np.random.default_rng(args.seed), adjustment=adj, **kw)
        d = scen.care_days_runs.sum(axis=(1, 2)) - base.care_days_runs.sum(axis=(1, 2))
        ds = scen.stock_runs.sum(axis=(2, 3)) - base.stock_runs.sum(axis=(2, 3))
        exp = scen.expected_care_days.sum() - base.expected_care_days.sum()
        print(f"{name}: care-days difference per run: sd {d.std():,.0f}, min {d.min():,.0f}, max {d.max():,.0f}, "
              f"mean {d.mean():,.0f} (expected {exp:,.0f}; one child over the horizon = {horizon:,.0f} days); "
              f"largest rise in a run's month-end stock: {ds.max()}")


if __name__ == "__main__":
    main()
