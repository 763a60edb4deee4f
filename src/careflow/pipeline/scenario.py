"""Price a scenario: the levers in scenario files against the forecast of the user's data.

:func:`price_scenario` returns a :class:`careflow.levers.ScenarioResult`; :func:`write_scenario` is the separate
step that writes difference.csv, difference_by_month.csv, summary.json and savings.png.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from careflow import safecsv
from careflow.costs import CASH as PRICE_BASE
from careflow.costs import UnitCosts, load_unit_costs
from careflow.levers import Scenario, ScenarioResult, evaluate
from careflow.levers.model_projector import ModelProjector
from careflow.model import fit
from careflow.pipeline.data import Data, load_data
from careflow.pipeline.forecast import default_end


def load_scenarios(files) -> Scenario:
    """One scenario from one or more scenario YAML files (several combine)."""
    scenarios = [Scenario.load(f) for f in files]
    return scenarios[0] if len(scenarios) == 1 else Scenario.combine(*scenarios)


def fitted_projector(data: Data | str | Path, start: dt.date | None = None, end: dt.date | None = None,
                     categories_file: str | Path | None = None, window_months: int | None = None) -> ModelProjector:
    """Fit the child-level model to ``data`` (a :class:`Data`, SSDA903 files or cleaned episodes) and wrap it as
    the scenario engine's projector from ``start`` (default: the end of the data) to ``end`` (default: 31 March
    five years after the start)."""
    if not isinstance(data, Data):
        data = load_data(data, categories_file)
    model = fit(data.episodes, data_end=data.data_end, window_months=window_months, categories=data.categories)
    start = start or model.data_end
    return ModelProjector(model, start=start, end=end or default_end(start))


def price_scenario(scenario: Scenario, data: Data | str | Path | ModelProjector, *, runs: int = 200, seed: int = 0,
                   deterministic: bool = False, start: dt.date | None = None, end: dt.date | None = None,
                   costs: str | Path | UnitCosts | None = None, categories_file: str | Path | None = None,
                   inflation: str | Path | None = None,
                   progress: Callable[[float, str], None] | None = None) -> ScenarioResult:
    """Savings of ``scenario`` against the baseline forecast of ``data`` (or an already fitted projector), by
    lever and financial year. ``start``/``end`` default to the scenario's horizon. ``progress(fraction, step)``,
    when given, is told each step as it starts and 1.0 at the end (as :func:`careflow.pipeline.forecast`)."""
    def step(fraction: float, what: str) -> None:
        if progress is not None:
            progress(fraction, what)

    if isinstance(data, ModelProjector):
        projector = data
    else:
        step(0.0, "fitting the model to the data")
        projector = fitted_projector(data, start or scenario.horizon[0], end or scenario.horizon[1], categories_file)
    unit_costs = costs if isinstance(costs, UnitCosts) else load_unit_costs(costs, inflation=inflation,
                                                                            categories=projector.categories)
    n = len(scenario.levers)
    step(0.1, f"pricing {n} lever{'s' * (n != 1)} against the baseline"
              + ("" if deterministic else f" ({runs:,} Monte Carlo runs)"))
    result = evaluate(scenario, projector, unit_costs, runs=runs, seed=seed, deterministic=deterministic)
    step(1.0, "done")
    return result


def write_scenario(result: ScenarioResult, out: str | Path, data: str | None = None, seed: int | None = None
                   ) -> dict[str, Path]:
    """Write difference.csv (by financial year), difference_by_month.csv, summary.json and savings.png."""
    from careflow.reports.charts import savings_png

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    diff = result.difference()
    paths = {"difference": out / "difference.csv", "by_month": out / "difference_by_month.csv",
             "chart": out / "savings.png", "summary": out / "summary.json"}
    safecsv.to_csv(diff, paths["difference"], index=False, float_format="%.2f")
    safecsv.to_csv(result.difference_by_month(), paths["by_month"], index=False, float_format="%.2f")
    savings_png(diff, paths["chart"], f"{result.scenario.name}: savings by lever")
    paths["summary"].write_text(json.dumps(scenario_summary(result, data, seed), indent=2))
    return paths


def scenario_summary(result: ScenarioResult, data: str | None = None, seed: int | None = None) -> dict:
    """The run's settings and levers (what summary.json holds); ``data``: what it was priced on, and ``seed``,
    as given."""
    return {
        "scenario": result.scenario.name, "file": result.scenario.file, "data": data, "runs": result.runs,
        "seed": seed,
        "deterministic": result.deterministic, "attribution": "Shapley" + ("" if result.exact else " (sampled)"),
        "first_month": result.month_starts[0].isoformat(), "last_day": result.month_ends[-1].isoformat(),
        "weekly_costs_first_year": result.weekly_costs,
        "levers": [{"name": lv.label(), "type": lv.type, "start": lv.start.isoformat()}  # type: ignore[attr-defined]
                   for lv in result.scenario.levers],
        "delivery": [d.as_dict() for d in result.delivery],
        "warnings": result.warnings(),
        "signs": "baseline minus scenario: savings, fewer children and fewer care-days are positive",
        "price_base": PRICE_BASE + (f"; the scenario's own weekly costs are {result.scenario.prices_year} prices, "
                                    "carried by careflow's index" if result.scenario.prices_year else ""),
    }
