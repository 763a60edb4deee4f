"""Foster carer sufficiency: in-house fostering capacity against the forecast's demand for foster placements, by
age band and month (DESIGN.md 5.4).

Demand in a month and age band = the forecast's children in in-house and independent (IFA) fostering at the
month's end (kinship care is left out: it is not a recruited carer's place). Capacity = the in-house places now in
that band plus new places from a recruitment pipeline (levers/recruitment.py), shared between bands as the user
says (default: in proportion to the band's demand in the first month). Shortfall = demand - capacity where
positive: the foster placements that must come from agencies (or kin) if capacity is the limit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from careflow import numbers
from careflow.errors import CareflowError
from careflow.levers.recruitment import pipeline
from careflow.levers.schema import Recruitment
from careflow.workforce.staff import read_forecast_table

FOSTERING = ("in_house_fostering", "ifa_fostering")


def fostering_demand(forecast_dir: str | Path, categories: tuple[str, ...] = FOSTERING) -> pd.DataFrame:
    """Children in the fostering categories by month and age band (mean, p10, p90 summed over the categories; the
    P10/P90 of a sum of categories are approximated by the sums of their quantiles, an upper bound on the band's
    width)."""
    path = Path(forecast_dir) / "forecast.csv"
    if not path.exists():
        raise CareflowError("no forecast.csv in the forecast folder", file=str(path), rule="carers-forecast")
    df = read_forecast_table(path, "carers-forecast")
    need = {"date", "category", "age_band", "mean", "p10", "p90"}
    if not need <= set(df.columns):
        raise CareflowError(f"forecast.csv lacks column(s) {', '.join(sorted(need - set(df.columns)))}",
                            file=str(path), row=1, rule="carers-forecast")
    rows = df[df.category.isin(categories) & (df.age_band != "all")].copy()
    if rows.empty:
        raise CareflowError(f"forecast.csv has no rows for {', '.join(categories)} by age band", file=str(path),
                            rule="carers-forecast")
    for col in ("mean", "p10", "p90"):
        values = rows[col].map(_children).astype(float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            i = rows.index[bad.to_numpy()][0]
            raise CareflowError(f"not a number of children: {rows.at[i, col]!r}", file=str(path), row=int(i) + 2,
                                field=col, rule="carers-forecast")
        rows[col] = values
    dates = pd.to_datetime(rows["date"].astype(str), errors="coerce", format="%Y-%m-%d")
    dates = dates.where((dates.dt.year >= numbers.FIRST_YEAR) & (dates.dt.year <= numbers.LAST_YEAR))
    if dates.isna().any():
        i = rows.index[dates.isna().to_numpy()][0]
        raise CareflowError(f"not a date (YYYY-MM-DD): {rows.at[i, 'date']!r}", file=str(path), row=int(i) + 2,
                            field="date", rule="carers-forecast")
    rows["date"] = dates
    out = rows.groupby(["date", "age_band"], sort=False)[["mean", "p10", "p90"]].sum().reset_index()
    out["month"] = out["date"].dt.strftime("%Y-%m")
    return out[["month", "age_band", "mean", "p10", "p90"]]


def _children(value) -> float:
    """A forecast cell as a number of children, NaN if it is not one (text, or an integer too large for a float:
    pandas keeps a 400-digit number as a Python int)."""
    try:
        return numbers.finite(float(value) if isinstance(value, str) else value)
    except ValueError:
        return float("nan")


def sufficiency(demand: pd.DataFrame, capacity_now: dict[str, float], recruitment: Recruitment | None = None,
                shares: dict[str, float] | None = None) -> pd.DataFrame:
    """month, age_band, demand_mean, demand_p90, capacity, shortfall_mean, shortfall_p90 (see the module notes)."""
    bands = list(dict.fromkeys(demand.age_band))
    unknown = set(capacity_now) - set(bands)
    if unknown:
        raise CareflowError(f"age band(s) {', '.join(sorted(unknown))} are not in the forecast "
                            f"(it has: {', '.join(bands)})", field="capacity", rule="carers-band")
    months = list(dict.fromkeys(demand.month))
    added = pipeline(recruitment, len(months))["placements_available"] if recruitment else np.zeros(len(months))
    if shares is None:
        first = demand[demand.month == months[0]].set_index("age_band")["mean"]
        total = float(first.sum())
        shares = {b: (float(first.get(b, 0.0)) / total if total > 0 else 1 / len(bands)) for b in bands}
    elif abs(sum(shares.values()) - 1) > 1e-6:
        raise CareflowError("the age band shares of new places must add up to 1", field="shares",
                            rule="carers-band")
    rows = []
    for i, m in enumerate(months):
        here = demand[demand.month == m].set_index("age_band")
        for b in bands:
            cap = float(capacity_now.get(b, 0.0)) + added[i] * shares.get(b, 0.0)
            mean, p90 = float(here.loc[b, "mean"]), float(here.loc[b, "p90"])
            rows.append({"month": m, "age_band": b, "demand_mean": mean, "demand_p90": p90, "capacity": cap,
                         "shortfall_mean": max(0.0, mean - cap), "shortfall_p90": max(0.0, p90 - cap)})
    return pd.DataFrame(rows)
