"""Where `careflow forecast` spends its CPU time, step by step in one process, in the order the command takes them
(imports, reading the returns, fit, the Monte Carlo runs, the band calibration's refits, pricing, the stock table,
writing the outputs, matplotlib and the fan chart), each step timed with ``time.process_time``; ``--repeat`` runs
the steps after the imports again and keeps each step's fastest time (a shared machine's noise only adds). Run with
``CAREFLOW_THREADS=1`` so the Monte Carlo's CPU is not spread over threads.

    CAREFLOW_THREADS=1 .venv/bin/python benchmarks/forecast_steps.py FOLDER [--runs 1000] [--years 5] [--repeat 3]
"""

from __future__ import annotations

import time

T0 = time.process_time()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from careflow.cli import main as cli  # noqa: E402

cli.get_command(None, "forecast")  # what `careflow forecast` imports before it starts
IMPORTS = time.process_time() - T0

import careflow.pipeline.forecast  # noqa: E402,F401  (the module, not the function the package exports)
from careflow import pipeline  # noqa: E402
from careflow.model import calibration, fit, project  # noqa: E402

forecast_module = sys.modules["careflow.pipeline.forecast"]


def steps(folder: str, runs: int, years: int, out: Path) -> dict[str, float]:
    took: dict[str, float] = {}
    t = time.process_time()

    def lap(name):
        nonlocal t
        now = time.process_time()
        took[name] = now - t
        t = now

    data = pipeline.load_data(folder)
    lap("read, validate and clean the returns")
    start = data.data_end
    end = dt.date(start.year + years, start.month, start.day)
    model = fit(data.episodes, data_end=start, categories=data.categories)
    lap("fit")
    proj = project(model, start, end, runs=runs, rng=np.random.default_rng(0))
    lap(f"{runs} Monte Carlo runs (and the expected values)")
    errors = calibration.past_errors(data.episodes, start, categories=data.categories)
    lap("band calibration: refits and projections at the pseudo-origins")
    proj = calibration.calibrate(proj, errors)
    lap("band calibration: widening the runs")
    result = forecast_module.Forecast(
        model=model, projection=proj, unit_costs=forecast_module.forecast_unit_costs(None, data.categories),
        data_end=start, start=start, runs=runs, seed=0, trend=False, window_chosen_from_data=True,
        history=forecast_module.history_series(data.episodes, start), files=list(data.files),
        validation=data.validation)
    lap("unit costs and the history before the start")
    result.costs()
    lap("pricing the runs (costs by financial year)")
    result.stock()
    lap("the stock table (quantiles over the runs)")
    from careflow.reports.charts import forecast_fan_png

    lap("importing the chart module (matplotlib)")
    pipeline.write_forecast(result, out)
    lap("writing forecast.csv, costs.csv, summary.json and the fan chart")
    result.summary()
    lap("the summary the command prints")
    assert forecast_fan_png
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for name, s in steps(args.folder, args.runs, args.years, Path(tmp)).items():
                # an import is timed the first time only (then the module is loaded)
                best[name] = s if name not in best else best[name] if name.startswith("importing") else min(
                    best[name], s)
    print(f"{IMPORTS:7.2f} s  imports (Python, numpy, pandas, careflow's forecast command)")
    for name, s in best.items():
        print(f"{s:7.2f} s  {name}")
    print(f"{IMPORTS + sum(best.values()):7.2f} s  in all (the chart module's import counted once)")


if __name__ == "__main__":
    main()
