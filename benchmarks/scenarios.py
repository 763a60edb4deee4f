"""Scenario pricing speed on Anyshire: each worked example (expected values and Monte Carlo), and one scenario of
every worked example's levers together (exact Shapley values over its flow levers).

Run: .venv/bin/python benchmarks/scenarios.py [RUNS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from careflow.costs import load_unit_costs
from careflow.levers import Scenario, evaluate
from careflow.pipeline import fitted_projector
from careflow.synth import anyshire

ROOT = Path(__file__).resolve().parents[1]


def main(runs: int = 200) -> None:
    files = sorted((ROOT / "examples" / "scenarios").glob("*.yaml"))
    scenarios = [Scenario.load(f) for f in files]
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        data = anyshire(Path(tmp) / "anyshire")
        projector = fitted_projector(data, *scenarios[0].horizon)
        print(f"generate Anyshire and fit the model: {time.perf_counter() - t:.2f} s")
    costs = load_unit_costs(categories=projector.categories)
    for f, sc in zip(files, scenarios, strict=True):
        t = time.perf_counter()
        evaluate(sc, projector, costs, deterministic=True)
        det = time.perf_counter() - t
        t = time.perf_counter()
        evaluate(sc, projector, costs, runs=runs, seed=1)
        mc = time.perf_counter() - t
        print(f"{f.stem}: {len(sc.flow_levers)} flow levers; expected values {det:.2f} s; {runs} runs {mc:.2f} s")
    together = Scenario.combine(*[s for f, s in zip(files, scenarios, strict=True) if f.stem != "brief_example"],
                                name="all worked examples")
    t = time.perf_counter()
    res = evaluate(together, projector, costs, runs=runs, seed=1)
    print(f"all worked examples together: {len(together.levers)} levers, {len(together.flow_levers)} flow levers, "
          f"Shapley {'exact' if res.exact else 'sampled'}: {time.perf_counter() - t:.2f} s for {runs} runs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
