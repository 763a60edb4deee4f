"""Mean of the Monte Carlo runs against the deterministic price, for every flow lever type (docs/scenarios.md).

Each lever of tests/test_levers_monte_carlo.py alone, on a synthetic LA, three financial years from its data end:
the deterministic price, the mean of RUNS runs and its standard error, with the model's parameter uncertainty (the
default) and without it (process uncertainty only, where the runs' mean converges on the expected values and what
is left is the levers' own doing). Also A/R.6.253 (cap_growth) and A/R.6.255's sufficiency lever as the examples
state them, against the 3-placement bound for the first.

Run: .venv/bin/python benchmarks/lever_agreement.py [RUNS] [LA]   (LA: anyshire (default) or small: 150 children)
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from careflow.costs import load_unit_costs
from careflow.levers import Scenario, evaluate
from careflow.levers.model_projector import ModelProjector
from careflow.model import fit
from careflow.ssda903 import load
from careflow.synth import anyshire, generate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_levers_monte_carlo import LEVERS  # noqa: E402  (one definition of the levers tested and measured)


def _by_year(result):
    fys, agg = result._by_fy(result.total)
    return [fy.label for fy in fys], agg[2]


def table(projector, costs, scenarios, runs: int, seed: int = 7) -> None:
    print("| lever | financial year | deterministic | mean of runs | difference (standard errors) | process only: "
          "mean of runs | difference (standard errors) |")
    print("|---|---|---|---|---|---|---|")
    for name, sc in scenarios:
        cells: dict[str, list[str]] = {}
        for pu in (True, False):
            projector.parameter_uncertainty = pu
            labels, det = _by_year(evaluate(sc, projector, costs, deterministic=True))
            _, mc = _by_year(evaluate(sc, projector, costs, runs=runs, seed=seed))
            for f, fy in enumerate(labels):
                d, m = det[0, f], mc[:, f].mean()
                se = mc[:, f].std(ddof=1) / np.sqrt(runs)
                rel = f"{(m - d) / abs(d):+.1%}" if abs(d) >= 1 else "-"
                z = f" ({(m - d) / se:+.1f})" if se > 0 else ""
                cells.setdefault(fy, [f"£{d:,.0f}"]).extend([f"£{m:,.0f}", rel + z])
        for fy, row in cells.items():
            print(f"| {name} | {fy} | " + " | ".join(row) + " |")
    projector.parameter_uncertainty = True


def main(runs: int = 500, la: str = "anyshire") -> None:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        data = anyshire(Path(tmp) / "la") if la == "anyshire" else generate(150, 2021, 4, 5, Path(tmp) / "la")
        model = fit(load(data))
    projector = ModelProjector(model, model.data_end, dt.date(model.data_end.year + 3, 3, 31))
    costs = load_unit_costs(categories=projector.categories)
    print(f"{la}: data end {model.data_end}, {runs} runs, seed 7, {dt.date.today()}\n")
    scenarios = [(k, Scenario.from_dict({"name": k, "levers": [v]})) for k, v in LEVERS.items()]
    if la == "anyshire":
        mix = Scenario.load(ROOT / "examples" / "scenarios" / "ar6255_placement_mix.yaml")
        # (A/R.6.253 is cap_remove_to: 3 of the external residential additions held back in IFA)
        scenarios += [("A/R.6.255 sufficiency", Scenario.from_dict({
                          "name": "sufficiency", "unit_costs": dict(mix.unit_costs),
                          "prices_year": str(mix.prices_year) if mix.prices_year else None,
                          "levers": [mix.levers[0].model_dump(exclude_none=True)]}))]
    table(projector, costs, scenarios, runs)
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500, sys.argv[2] if len(sys.argv) > 2 else "anyshire")
