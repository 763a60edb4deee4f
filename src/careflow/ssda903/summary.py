"""Counts per collection year, as the DfE publishes them (children looked after on 31 March, starts, ceases).

DfE definitions (Children looked after in England including adoptions, data guidance 2023): figures exclude
children looked after only under a series of short breaks (legal status V3/V4); "only the first occasion on which a
child started to be looked after in the year has been counted" and "only the last occasion on which a child ceased
to be looked after in the year" — i.e. starts and ceases count children, not periods of care.
"""

from __future__ import annotations

import pandas as pd

from careflow.fy import FinancialYear


def _on_day(episodes: pd.DataFrame, day: pd.Timestamp, include_short_breaks: bool) -> pd.DataFrame:
    ep = episodes
    mask = (ep["decom"] <= day) & (ep["dec"].isna() | (ep["dec"] > day))
    if not include_short_breaks:
        mask &= ~ep["short_break"]
    # A child counted once: the latest-starting episode on the day gives the category.
    return ep.loc[mask].sort_values("decom").drop_duplicates("child", keep="last")


def looked_after_on(episodes: pd.DataFrame, day, include_short_breaks: bool = False) -> pd.DataFrame:
    """The episode of each child looked after on ``day`` (one row per child: the latest-starting episode that
    day), as the 31 March counts of :func:`summarise` take them."""
    return _on_day(episodes, pd.Timestamp(day), include_short_breaks)


def in_care_on(episodes: pd.DataFrame, day, include_short_breaks: bool = False) -> int:
    """Children looked after on ``day`` (episode started on or before it and not ceased by it)."""
    return len(_on_day(episodes, pd.Timestamp(day), include_short_breaks))


def summarise(data, include_short_breaks: bool = False) -> pd.DataFrame:
    """One row per LA and collection year: ``la`` ("" for one LA's own returns), ``year`` label, ``at_31_march``,
    ``starts``, ``ceases`` and one column per placement category (children on 31 March by the category of their
    placement that day). Several LAs in a stacked file are counted separately, each over its own years."""
    ep, periods = data.episodes, data.periods
    cats = list(data.categories)
    if (ep["category"] == "unknown").any():
        cats.append("unknown")
    if not include_short_breaks:
        periods = periods.loc[~periods["short_break"]]
    rows = []
    for la in sorted(ep["la"].astype(str).unique()):
        la_ep, la_periods = ep.loc[ep["la"] == la], periods.loc[periods["la"] == la]
        years = sorted({int(y) for y in la_ep["year"].dropna().unique()})
        for y in range(years[0], years[-1] + 1) if years else []:
            fy = FinancialYear(y)
            start, end = pd.Timestamp(fy.start), pd.Timestamp(fy.end)
            stock = _on_day(la_ep, end, include_short_breaks)
            started = la_periods.loc[(la_periods["start"] >= start) & (la_periods["start"] <= end), "child"].nunique()
            ceased = la_periods.loc[(la_periods["end"] >= start) & (la_periods["end"] <= end), "child"].nunique()
            by_cat = stock["category"].value_counts()
            row = {"la": la, "year": fy.label, "at_31_march": len(stock), "starts": int(started),
                   "ceases": int(ceased)}
            row.update({c: int(by_cat.get(c, 0)) for c in cats})
            rows.append(row)
    return pd.DataFrame(rows, columns=["la", "year", "at_31_march", "starts", "ceases", *cats])
