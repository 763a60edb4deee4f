"""``careflow forecast`` and ``careflow backtest``: the child-level demand model from the command line.

Thin wrappers over :mod:`careflow.pipeline` (load, forecast, write) and :mod:`careflow.model.backtest`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from careflow import pipeline
from careflow.cli.data import reading_options
from careflow.cli.dates import parse_date
from careflow.cli.outputs import output_folder

FORECAST_FILES = ("forecast.csv", "costs.csv", "summary.json", "fan_chart.png", "validation.json")


def load_data(path, categories_file=None, **read) -> pipeline.Data:
    """The pipeline's :func:`~careflow.pipeline.load_data`, saying on stderr when rows have validation errors and
    when the data are thin for the model."""
    data = pipeline.load_data(path, categories_file, **read)
    if data.errors:
        click.echo(f"{len(data.errors)} validation errors in the data (see `careflow validate`); modelling the rows "
                   "that could be read", err=True)
    for f in data.thin:
        click.echo(str(f), err=True)
    return data


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""

    @group.command("forecast")
    @click.argument("path", type=click.Path())
    @click.option("--start", help="Start date (YYYY-MM-DD); default: the last date of the data.")
    @click.option("--end", help="End date (YYYY-MM-DD); default: 31 March five years after the start.")
    @click.option("--window-months", default=None, type=int,
                  help="Months of data before the start used to estimate rates (the reference window); default: "
                       "12 or 24, chosen from the data's own drift and noise (docs/model.md).")
    @click.option("--runs", default=1000, show_default=True, type=int, help="Monte Carlo runs.")
    @click.option("--seed", default=0, show_default=True, type=int, help="Random seed (same seed, same result).")
    @click.option("--categories", "categories_file", type=click.Path(), help="Placement category mapping (YAML).")
    @click.option("--costs", "costs_file", type=click.Path(), help="Weekly unit costs (YAML, as unit_costs.yaml).")
    @click.option("--inflation", "inflation_file", type=click.Path(),
                  help="Your MTFS inflation rates (YAML, as inflation.yaml): they replace careflow's price index "
                       "from their first date, for the categories listed.")
    @click.option("--trend/--no-trend", default=False, show_default=True,
                  help="Continue the recent trend in entries instead of holding them at the recent mean.")
    @click.option("--calibrate/--no-calibrate", default=True, show_default=True,
                  help="Widen the bands to the model's own errors at earlier quarter ends (docs/model.md).")
    @click.option("--output", required=True, type=click.Path(), help="Folder for the outputs.")
    @reading_options(pool=True)
    def forecast_cmd(path, start, end, window_months, runs, seed, categories_file, costs_file, inflation_file, trend,
                     calibrate, output, read):
        """Forecast children in care by placement category and age band, and placement spend by financial year.

        Writes forecast.csv (date, category, age_band, mean, p10, p50, p90), costs.csv (financial_year, category,
        mean, p10, p50, p90 in pounds), summary.json and fan_chart.png into --output.
        """
        output = output_folder(output, [path, categories_file, costs_file, inflation_file, read.get("columns")],
                               names=FORECAST_FILES)
        data = load_data(path, categories_file, **read)
        result = pipeline.forecast(data, start=parse_date(start, "start") if start else None,
                                   end=parse_date(end, "end") if end else None, window_months=window_months,
                                   runs=runs, seed=seed, costs=costs_file, trend=trend, calibrate=calibrate,
                                   inflation=inflation_file)
        pipeline.write_forecast(result, Path(output))
        s = result.summary()
        e = s["children_at_end"]
        for w in s["warnings"]:
            click.echo(f"warning: {w}", err=True)
        click.echo(f"children in care at {s['start']}: {s['children_at_start']:.0f}; at {s['end']}: "
                   f"mean {e['mean']:.0f} (P10 {e['p10']:.0f} to P90 {e['p90']:.0f}) from {runs} runs")
        click.echo(f"placement spend, {s['price_base']}:")
        for fy, c in s["cost_by_financial_year"].items():
            part = "" if c["months"] == 12 else f" ({c['months']} months)"
            click.echo(f"  {fy}{part}: £{c['mean'] / 1e6:,.2f}m (P10 £{c['p10'] / 1e6:,.2f}m to "
                       f"P90 £{c['p90'] / 1e6:,.2f}m)")
        click.echo(f"outputs in {output}")

    @group.command("backtest")
    @click.argument("path", type=click.Path())
    @click.argument("more_origins", nargs=-1)
    @click.option("--origins", "origin", required=True, help="Origin date(s): --origins 2019-03-31 2020-03-31.")
    @click.option("--horizon-months", required=True, type=int, help="Months forecast from each origin.")
    @click.option("--window-months", default=None, type=int,
                  help="Reference window in months; default: 12 or 24 at each origin, chosen from the data before it.")
    @click.option("--runs", default=200, show_default=True, type=int)
    @click.option("--seed", default=0, show_default=True, type=int)
    @click.option("--categories", "categories_file", type=click.Path())
    @click.option("--trend/--no-trend", default=False, show_default=True)
    @click.option("--calibrate/--no-calibrate", default=True, show_default=True,
                  help="Widen the bands to the model's own errors before each origin, as forecast does.")
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
    @reading_options(pool=True)
    def backtest_cmd(path, more_origins, origin, horizon_months, window_months, runs, seed, categories_file, trend,
                     calibrate, fmt, read):
        """Refit at each origin on the data before it, forecast, and compare with what happened, against naive
        last-value and linear-trend forecasts."""
        from careflow.model.backtest import backtest

        origins = [parse_date(o, "origins") for o in (origin, *more_origins)]
        data = load_data(path, categories_file, **read)
        res = backtest(data.episodes, origins, horizon_months, window_months=window_months, runs=runs, seed=seed,
                       trend=trend, categories=data.categories, data_end=data.data_end, calibrate=calibrate)
        if fmt == "json":
            click.echo(json.dumps({"summary": res.summary(), "rows": res.rows.to_dict(orient="records")},
                                  indent=2, default=float))
            return
        click.echo(format_backtest(res))


def format_backtest(res) -> str:
    lines = [f"Backtest, horizon {res.horizon_months} months (children in care at the horizon)"]
    hdr = f"{'origin':<11} {'series':<24} {'actual':>7} {'careflow':>9} {'P10-P90':>13} {'err%':>7} " \
          f"{'last%':>7} {'trend%':>7}"
    lines.append(hdr)

    def pct(x):
        return "   n/a" if pd.isna(x) else f"{x:+6.1f}"

    for r in res.rows.itertuples():
        lines.append(f"{r.origin:<11} {r.series:<24} {r.actual:7.0f} {r.careflow_mean:9.1f} "
                     f"{r.careflow_p10:6.0f}-{r.careflow_p90:<6.0f} {pct(r.careflow_pct_error):>7} "
                     f"{pct(r.last_value_pct_error):>7} {pct(r.linear_trend_pct_error):>7}")
    windows = res.rows.drop_duplicates("origin")
    lines.append("reference window (months) and band widening at the horizon, at each origin: "
                 + ", ".join(f"{r.origin} {r.window_months} x{r.band_factor_at_horizon:.2f}"
                             for r in windows.itertuples()))
    s = res.summary()
    for k in ("total", "categories"):
        v = s[k]
        lines.append(f"{k}: mean abs error careflow {v['careflow_mae']:.1f}, last value {v['last_value_mae']:.1f}, "
                     f"linear trend {v['linear_trend_mae']:.1f}; share of month-end actuals inside P10-P90 "
                     f"{v['coverage_p10_p90']:.0%}")
        lines.append(f"{k}: CRPS careflow {v['careflow_crps']:.1f} (last value {v['last_value_crps']:.1f}, linear "
                     f"trend {v['linear_trend_crps']:.1f}: a point forecast's CRPS is its absolute error); "
                     f"P10-P90 interval score {v['careflow_interval_score']:.1f} (lower is better)")
    return "\n".join(lines)
