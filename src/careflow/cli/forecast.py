"""``careflow forecast`` and ``careflow backtest``: the child-level demand model from the command line.

Thin wrappers over :mod:`careflow.model` and :mod:`careflow.costs`; :func:`write_forecast` is shared with the demo.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
import numpy as np
import pandas as pd

from careflow import safecsv
from careflow.cli.data import reading_options
from careflow.cli.dates import parse_date
from careflow.cli.outputs import output_folder
from careflow.errors import CareflowError
from careflow.model import DEFAULT_CATEGORIES, fit, project
from careflow.model import episodes as epi
from careflow.model.rates import UNKNOWN

CONTRACT_COLUMNS = {"child", "dob", "decom", "dec", "category", "period", "exit_group"}


FORECAST_FILES = ("forecast.csv", "costs.csv", "summary.json", "fan_chart.png")


def load_data(path: str | Path, categories: str | Path | None = None, *, year: str | None = None,
              la: str | None = None, date_format: str | None = None, columns: str | Path | None = None,
              pool: bool = False):
    """SSDA903 files through :func:`careflow.ssda903.load`, or one CSV of cleaned episodes in the reader's
    contract (columns child, dob, decom, dec, category, period, exit_group...). Returns (episodes, data_end,
    categories). Several LAs are refused unless ``la`` picks one or ``pool`` is set; thin data are warned about."""
    from careflow.ssda903.modelling import minimum_data, one_la

    p = Path(path)
    if not p.exists():
        raise CareflowError(f"no such file or folder: {p}", file=str(p), rule="file")
    if p.is_file() and p.suffix.lower() == ".csv":
        try:
            head = pd.read_csv(p, nrows=0)
            df = pd.read_csv(p, dtype={"child": str}) if CONTRACT_COLUMNS <= set(head.columns) else None
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise CareflowError(f"cannot read the episodes CSV: {str(exc).strip()}", file=str(p),
                                rule="file") from None
        if df is not None:
            df = _episodes_contract(df, str(p))
            if "la" in df.columns:
                if la is not None:
                    df = df.loc[df["la"].astype(str).str.casefold() == la.strip().casefold()]
                one_la(sorted({str(v) for v in df["la"].dropna().unique() if str(v)}), pool)
            _warn(minimum_data(df, epi.data_end_of(df)))
            cats = _categories(df, categories)
            return df, None, cats
    from careflow import ssda903

    data = ssda903.load(p, categories=categories, year=year, la=la, date_format=date_format, columns=columns)
    one_la(data.las, pool)
    errors = [f for f in getattr(data, "findings", []) if getattr(f, "severity", "") == "error"]
    if errors:
        click.echo(f"{len(errors)} validation errors in the data (see `careflow validate`); modelling the rows "
                   "that could be read", err=True)
    from careflow.fy import FinancialYear

    _warn(minimum_data(data.episodes, data.data_end, FinancialYear(int(data.episodes["year"].min())).start))
    return data.episodes, getattr(data, "data_end", None), categories_for(data, categories)


def _warn(findings) -> None:
    for f in findings:
        click.echo(str(f), err=True)


def categories_for(data, categories_file=None) -> tuple[str, ...]:
    """The model's categories: the reader's (from its mapping), plus ``unknown`` when some codes were unmapped."""
    cats = tuple(getattr(data, "categories", None) or _categories(data.episodes, categories_file))
    if UNKNOWN not in cats and (data.episodes["category"] == UNKNOWN).any():
        cats = cats + (UNKNOWN,)
    return cats


def _episodes_contract(df: pd.DataFrame, file: str) -> pd.DataFrame:
    """Check a cleaned-episodes CSV against the reader's contract: ISO dates from 1900 to 2100 (decom required),
    whole-number periods, True/False short breaks. Every bad cell is a finding (file line, column); none is
    dropped or guessed."""
    from careflow.errors import Finding
    from careflow.numbers import FIRST_YEAR, LAST_YEAR

    findings: list[Finding] = []

    def bad(mask, column: str, why: str) -> None:
        for i in np.flatnonzero(np.asarray(mask))[:20]:
            findings.append(Finding("episodes-csv", f"{why}: {df[column].iloc[i]!r:.40}", file=file, row=int(i) + 2,
                                    field=column))
        if int(np.asarray(mask).sum()) > 20:
            findings.append(Finding("episodes-csv", f"{int(np.asarray(mask).sum()) - 20} more like this", file=file,
                                    field=column))

    df = df.copy()
    for c in ("dob", "decom", "dec"):
        raw = df[c]
        parsed = pd.to_datetime(raw.astype("string"), errors="coerce", format="ISO8601")
        years = parsed.dt.year
        bad(raw.notna() & parsed.isna(), c, "not a date (YYYY-MM-DD)")
        bad(parsed.notna() & ((years < FIRST_YEAR) | (years > LAST_YEAR)), c,
            f"date outside {FIRST_YEAR}-{LAST_YEAR}")
        if c == "decom":
            bad(raw.isna(), c, "episode start (decom) is missing")
        df[c] = parsed.astype("datetime64[ns]")
    period = pd.to_numeric(df["period"], errors="coerce")
    bad(period.isna() | (period % 1 != 0) | (period < 0), "period", "not a whole number of 0 or more")
    if "short_break" in df.columns:
        flags = df["short_break"].astype("string").str.strip().str.lower().map(
            {"true": True, "false": False, "1": True, "0": False})
        bad(flags.isna(), "short_break", "expected True or False")
        df["short_break"] = flags.fillna(False).astype(bool)
    if findings:
        raise CareflowError(findings)
    df["period"] = period.astype("int64")
    return df


def _categories(episodes: pd.DataFrame, categories_file) -> tuple[str, ...]:
    if categories_file is None:
        return DEFAULT_CATEGORIES
    present = [c for c in pd.unique(episodes["category"].dropna().astype(str))]
    known = [c for c in DEFAULT_CATEGORIES if c in present]
    return tuple(known + sorted(c for c in present if c not in DEFAULT_CATEGORIES))


def fan_chart(projection, history: pd.Series | None, path: Path, title: str) -> None:
    """Total children in care: history, mean, P50 and the P10-P90 band, readable in greyscale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = projection.stock_table()
    tot = t[(t["category"] == "all") & (t["age_band"] == "all")]
    dates = pd.to_datetime(tot["date"])
    fig, ax = plt.subplots(figsize=(9, 5), dpi=120)
    if history is not None and len(history):
        ax.plot(history.index, history.values, color="black", lw=1.8, label="actual (month end)")
    if tot["p10"].notna().all():
        ax.fill_between(dates, tot["p10"], tot["p90"], color="0.8", label="P10 to P90 (80% of runs)")
        ax.plot(dates, tot["p50"], color="0.35", lw=1.2, ls="--", label="P50 (median run)")
    ax.plot(dates, tot["mean"], color="black", lw=1.8, ls=":", label="forecast mean")
    ax.axvline(pd.Timestamp(projection.start), color="0.5", lw=0.8)
    ax.set_title(title)
    ax.set_ylabel("children in care (excluding short breaks)")
    ax.set_xlabel("month end")
    ax.set_ylim(bottom=0)
    ax.grid(True, color="0.9")
    ax.legend(loc="best", frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def history_series(episodes: pd.DataFrame, start: dt.date, years: int = 3) -> pd.Series:
    days = [(pd.Timestamp(start) + pd.Timedelta(days=1) - pd.DateOffset(months=k) - pd.Timedelta(days=1)).date()
            for k in range(12 * years, -1, -1)]
    counts = [len(epi.stock_on(episodes, d)) for d in days]
    return pd.Series(counts, index=pd.to_datetime(days))


def write_forecast(out: Path, episodes: pd.DataFrame, *, data_end=None, start=None, end=None, window_months=None,
                   runs=1000, seed=0, categories=DEFAULT_CATEGORIES, costs=None, trend=False, calibrate=True,
                   title="Children in care: forecast") -> dict:
    """Fit, project, price and write forecast.csv, costs.csv, summary.json and fan_chart.png into ``out``."""
    from careflow.costs import cost_table, load_unit_costs

    unit_costs = load_unit_costs(costs, categories=categories)
    if UNKNOWN in categories and UNKNOWN not in unit_costs.weekly and "other" in unit_costs.weekly:
        unit_costs.weekly[UNKNOWN] = unit_costs.weekly["other"]
        unit_costs.sources[UNKNOWN] = ("careflow assumption: placements whose codes could not be mapped (reported "
                                       "by the reader) are priced as 'other'")
    for c in categories:
        if c not in unit_costs.weekly:
            raise CareflowError(f"no unit cost for category '{c}': add it to your costs file", field=c,
                                rule="unit-costs")
    data_end = pd.Timestamp(data_end or epi.data_end_of(episodes)).date()
    start = start or data_end
    if start > data_end:
        raise CareflowError(f"the start ({start}) is after the end of the data ({data_end})", field="start",
                            rule="model-dates")
    # rates come from the window of data before the start (all of it when starting at the end of the data)
    model = fit(episodes, data_end=start, window_months=window_months, categories=categories, trend=trend)
    if end is None:
        end = dt.date(start.year + 5 + (start.month > 3), 3, 31)
    if end <= start:
        raise CareflowError(f"the end ({end}) must be after the start ({start})", field="end", rule="model-dates")
    if runs < 1:
        raise CareflowError("--runs must be at least 1", field="runs", rule="model-runs")
    proj = project(model, start, end, runs=runs, rng=np.random.default_rng(seed))
    calibration = {"applied": False}
    if calibrate:
        from careflow.model.calibration import calibrate as calibrated
        from careflow.model.calibration import past_errors

        errors = past_errors(episodes, start, window_months=window_months, categories=categories, trend=trend)
        proj = calibrated(proj, errors)
        rms = errors.rms()
        calibration = {"applied": True, "pseudo_origins": [str(o) for o in errors.pseudo_origins],
                       "rms_log_error_by_lead_month": [None if np.isnan(x) else round(float(x), 4) for x in rms],
                       "band_factor_at_12_months": float(proj.band_factor[min(11, proj.months - 1)]),
                       "band_factor_max": float(proj.band_factor.max())}
    out.mkdir(parents=True, exist_ok=True)
    table = proj.stock_table()
    table["date"] = pd.to_datetime(table["date"]).dt.strftime("%Y-%m-%d")
    safecsv.to_csv(table[["date", "category", "age_band", "mean", "p10", "p50", "p90"]], out / "forecast.csv",
                   index=False, float_format="%.3f")
    ct = cost_table(proj, unit_costs)
    safecsv.to_csv(ct[["financial_year", "category", "mean", "p10", "p50", "p90"]], out / "costs.csv", index=False,
                   float_format="%.2f")
    tot = table[(table["category"] == "all") & (table["age_band"] == "all")]
    fy_tot = ct[ct["category"] == "all"]
    summary = {
        "data_end": str(data_end), "start": str(start), "end": str(proj.month_ends[-1]),
        "reference_window": [str(model.window_start), str(model.window_end)],
        "window_months": model.window_months, "window_chosen_from_data": window_months is None,
        "time_in_care_cuts_months": list(model.duration_cuts) if model.duration == "care" else [],
        "runs": runs, "seed": seed, "band_calibration": calibration,
        "trend": trend, "entry_trend_per_year": float(np.expm1(model.trend_per_month * 12)),
        "categories": list(categories), "age_bands": list(model.age_bands.labels),
        "children_at_start": float(proj.start_stock.sum()),
        "entries_per_year_expected": float(model.entry_rates.sum() * 365.25),
        "children_at_end": {k: float(tot.iloc[-1][k]) for k in ("mean", "p10", "p50", "p90")},
        "cost_by_financial_year": {r.financial_year: {"mean": r.mean, "p10": r.p10, "p50": r.p50, "p90": r.p90,
                                                      "months": int(r.months)} for r in fy_tot.itertuples()},
        "unit_costs_weekly": {c: {fy: round(unit_costs.weekly_cost(c, fy), 2) for fy in fy_tot["financial_year"]}
                              for c in categories},
        "unit_cost_sources": unit_costs.sources,
        "warnings": list(model.warnings),
        "notes": ["children counted at each month end; short-break-only care (V3/V4) excluded",
                  "costs are care-days x weekly unit cost / 7 priced run by run; bands are quantiles over runs",
                  "a financial year with fewer than 12 months is part of a year (see 'months')"],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    fan_chart(proj, history_series(episodes, start), out / "fan_chart.png", title)
    return summary


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
    @click.option("--trend/--no-trend", default=False, show_default=True,
                  help="Continue the recent trend in entries instead of holding them at the recent mean.")
    @click.option("--calibrate/--no-calibrate", default=True, show_default=True,
                  help="Widen the bands to the model's own errors at earlier quarter ends (docs/model.md).")
    @click.option("--output", required=True, type=click.Path(), help="Folder for the outputs.")
    @reading_options(pool=True)
    def forecast_cmd(path, start, end, window_months, runs, seed, categories_file, costs_file, trend, calibrate,
                     output, read):
        """Forecast children in care by placement category and age band, and placement spend by financial year.

        Writes forecast.csv (date, category, age_band, mean, p10, p50, p90), costs.csv (financial_year, category,
        mean, p10, p50, p90 in pounds), summary.json and fan_chart.png into --output.
        """
        output = output_folder(output, [path, categories_file, costs_file, read.get("columns")],
                               names=FORECAST_FILES)
        episodes, data_end, cats = load_data(path, categories_file, **read)
        s = write_forecast(Path(output), episodes, data_end=data_end,
                           start=parse_date(start, "start") if start else None,
                           end=parse_date(end, "end") if end else None, window_months=window_months, runs=runs,
                           seed=seed, categories=cats, costs=costs_file, trend=trend, calibrate=calibrate)
        e = s["children_at_end"]
        for w in s["warnings"]:
            click.echo(f"warning: {w}", err=True)
        click.echo(f"children in care at {s['start']}: {s['children_at_start']:.0f}; at {s['end']}: "
                   f"mean {e['mean']:.0f} (P10 {e['p10']:.0f} to P90 {e['p90']:.0f}) from {runs} runs")
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
        episodes, data_end, cats = load_data(path, categories_file, **read)
        res = backtest(episodes, origins, horizon_months, window_months=window_months, runs=runs, seed=seed,
                       trend=trend, categories=cats, data_end=data_end, calibrate=calibrate)
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
    return "\n".join(lines)
