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
    # Each year is counted over all LAs at once and split by LA afterwards: one pass per year, not per LA and year.
    span = {la: (int(g.min()), int(g.max())) for la, g in ep.groupby("la", sort=True)["year"]}
    counts: dict[tuple[str, int], dict] = {}
    years = range(min(lo for lo, _ in span.values()), max(hi for _, hi in span.values()) + 1) if span else []
    for y in years:
        fy = FinancialYear(y)
        start, end = pd.Timestamp(fy.start), pd.Timestamp(fy.end)
        stock = _on_day(ep, end, include_short_breaks)
        by_cat = stock.groupby(["la", "category"]).size()
        started = periods.loc[(periods["start"] >= start) & (periods["start"] <= end)].groupby("la")["child"].nunique()
        ceased = periods.loc[(periods["end"] >= start) & (periods["end"] <= end)].groupby("la")["child"].nunique()
        at = stock.groupby("la").size()
        for la, (lo, hi) in span.items():
            if lo <= y <= hi:
                row = {"la": la, "year": fy.label, "at_31_march": int(at.get(la, 0)),
                       "starts": int(started.get(la, 0)), "ceases": int(ceased.get(la, 0))}
                row.update({c: int(by_cat.get((la, c), 0)) for c in cats})
                counts[(la, y)] = row
    rows = [counts[k] for k in sorted(counts)]
    return pd.DataFrame(rows, columns=["la", "year", "at_31_march", "starts", "ceases", *cats])
