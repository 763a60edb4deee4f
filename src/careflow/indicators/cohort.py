"""A cohort: a named list of children (e.g. those who received an intervention) followed from a start date.

At each point (start + 3, 6, 12 months by default) each child is in one of three states: looked after that day (by
placement category), left care since the start (by the exit group of the period that ended last), or not looked
after since the start (never in the data, or out of care throughout). ``entered`` counts the children who started a
period of care after the start and by the point: the entries an edge-of-care service tries to prevent.

Children are named by their raw SSDA903 CHILD identifiers; careflow pseudonymises them with the same salt as the
data (:func:`careflow.ssda903.clean.resolve_salt`), so the list and the data meet without raw identifiers being
stored. Short-break-only care (V3/V4) is not care here, as in the DfE counts.

A comparison group (``compare=True``) is drawn from the same data: for each cohort child looked after on the start
date, another child looked after that day with the same age band and placement category, not in the cohort (drawn
without replacement with a seeded generator). Children not looked after at the start have no match in SSDA903
data (it holds only children looked after) and are left out of the comparison.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from careflow.errors import CareflowError, Finding
from careflow.indicators.measures import age_band, age_bands, age_on
from careflow.ssda903.clean import pseudonymise, resolve_salt
from careflow.ssda903.summary import looked_after_on

DEFAULT_MONTHS = (3, 6, 12)


@dataclass
class Point:
    """The cohort ``months`` after the start (``date``); counts are None after the end of the data."""

    months: int
    date: pd.Timestamp
    in_care: int | None
    by_category: dict[str, int] | None
    left: dict[str, int] | None
    not_looked_after: int | None
    entered: int | None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {"months": self.months, "date": self.date.date().isoformat(), "in_care": self.in_care,
             "by_category": self.by_category, "left": self.left, "not_looked_after": self.not_looked_after,
             "entered": self.entered}
        if self.note:
            d["note"] = self.note
        return d


@dataclass
class Cohort:
    children: int
    start: pd.Timestamp
    in_data: int  # children of the list found anywhere in the data
    in_care_at_start: int
    by_category_at_start: dict[str, int]
    status: list[Point]
    comparison: Cohort | None = None
    unmatched: int = 0  # cohort children looked after at the start with no comparison child left to draw
    notes: list[str] = field(default_factory=list)

    def point(self, months: int) -> Point:
        return next(p for p in self.status if p.months == months)

    def to_dict(self) -> dict[str, Any]:
        d = {"children": self.children, "start": self.start.date().isoformat(), "in_data": self.in_data,
             "at_start": {"in_care": self.in_care_at_start, "by_category": self.by_category_at_start},
             "status": [p.to_dict() for p in self.status], "notes": list(self.notes)}
        if self.comparison is not None:
            d["comparison"] = {**self.comparison.to_dict(), "unmatched": self.unmatched}
            d["comparison"].pop("notes", None)
        return d


def read_children(path: str | Path) -> pd.DataFrame:
    """A CSV of children: a ``CHILD`` column (any case) of raw SSDA903 identifiers and optionally ``LA``.

    Returns ``LA, CHILD`` (text, stripped); blank CHILD rows are reported, repeated ones counted once."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CareflowError(Finding("cohort-file", f"cannot read the children file: {exc}", file=str(p))) from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise CareflowError(Finding("cohort-file", "the children file is empty (it needs a CHILD column)",
                                    file=str(p)))
    head = [h.strip().upper() for h in rows[0]]
    if "CHILD" not in head:
        raise CareflowError(Finding("cohort-file", "no CHILD column in the first row (the header)", file=str(p),
                                    row=1, field="CHILD"))
    ci, li = head.index("CHILD"), head.index("LA") if "LA" in head else None
    out, findings = [], []
    for n, row in enumerate(rows[1:], start=2):
        child = row[ci].strip() if ci < len(row) else ""
        if not child:
            if any(v.strip() for v in row):
                findings.append(Finding("cohort-file", "blank CHILD", file=str(p), row=n, field="CHILD"))
            continue
        la = row[li].strip() if li is not None and li < len(row) else ""
        out.append((la, child))
    if findings:
        raise CareflowError(findings)
    if not out:
        raise CareflowError(Finding("cohort-file", "the children file lists no children", file=str(p)))
    return pd.DataFrame(out, columns=["LA", "CHILD"]).drop_duplicates(ignore_index=True)


def _pseudonyms(children: pd.DataFrame, data_las: list[str], salt: str) -> list[str]:
    la = children["LA"]
    if (la == "").all() and data_las != [""]:
        if len(data_las) > 1:
            raise CareflowError(Finding("cohort-la", f"the data holds {len(data_las)} LAs: give an LA column in the "
                                        "children file", field="LA"))
        la = pd.Series(data_las[0], index=children.index)
    return pseudonymise(la.astype(str), children["CHILD"].astype(str), salt).tolist()


def _status(ids: list[str], ep: pd.DataFrame, periods: pd.DataFrame, start: pd.Timestamp, day: pd.Timestamp,
            categories: list[str]) -> tuple[int, dict, dict, int, int]:
    on = looked_after_on(ep.loc[ep["child"].isin(ids)], day, include_short_breaks=True)
    in_care = set(on["child"])
    by_cat = on["category"].value_counts()
    mine = periods.loc[periods["child"].isin(ids)]
    ended = mine.loc[mine["end"].notna() & (mine["end"] > start) & (mine["end"] <= day)
                     & ~mine["child"].isin(in_care)]
    last = ended.sort_values("end").drop_duplicates("child", keep="last")
    left = last["exit_group"].fillna("other").value_counts()
    entered = int(mine.loc[(mine["start"] > start) & (mine["start"] <= day), "child"].nunique())
    n_left = len(last)
    return (len(in_care), {c: int(by_cat.get(c, 0)) for c in categories if by_cat.get(c, 0)},
            {g: int(v) for g, v in left.items()}, len(ids) - len(in_care) - n_left, entered)


def _follow_ids(ids: list[str], n_children: int, ep, periods, start, months, data_end, categories) -> Cohort:
    at_start = looked_after_on(ep.loc[ep["child"].isin(ids)], start, include_short_breaks=True)
    by_cat = at_start["category"].value_counts()
    points = []
    for m in months:
        day = start + pd.DateOffset(months=m)
        if data_end is not None and day > data_end:
            points.append(Point(m, day, None, None, None, None, None,
                                note=f"after the end of the data ({data_end.date().isoformat()})"))
            continue
        in_care, cats, left, not_la, entered = _status(ids, ep, periods, start, day, categories)
        points.append(Point(m, day, in_care, cats, left, not_la + (n_children - len(ids)), entered))
    return Cohort(children=n_children, start=start, in_data=len(set(ids) & set(ep["child"])),
                  in_care_at_start=len(at_start),
                  by_category_at_start={c: int(by_cat.get(c, 0)) for c in categories if by_cat.get(c, 0)},
                  status=points)


def follow(data, children, start, months=DEFAULT_MONTHS, *, salt: str | None = None, compare: bool = False,
           rng: np.random.Generator | None = None) -> Cohort:
    """Follow ``children`` (a :func:`read_children` frame, or a list of raw CHILD identifiers) from ``start``.

    ``data`` is :class:`careflow.ssda903.Ssda903Data` loaded with the same ``salt`` (default: the same as
    :func:`careflow.ssda903.load`'s). With ``compare``, ``rng`` draws the comparison group (default seed 0).
    """
    if not isinstance(children, pd.DataFrame):
        children = pd.DataFrame({"LA": "", "CHILD": [str(c).strip() for c in children]}).drop_duplicates()
    try:
        start = pd.Timestamp(start)
    except (ValueError, TypeError):
        raise CareflowError(Finding("cohort-start", f"not a date: {start!r} (use YYYY-MM-DD)",
                                    field="--start")) from None
    months = sorted({int(m) for m in months})
    if not months or months[0] < 1:
        raise CareflowError(Finding("cohort-months", "months must be whole numbers of 1 or more", field="--months"))
    ep, periods = data.episodes, data.periods
    ep = ep.loc[~ep["short_break"]]
    periods = periods.loc[~periods["short_break"]]
    first = ep["decom"].min()
    if data.data_end is not None and (start > data.data_end or (pd.notna(first) and start < first)):
        raise CareflowError(Finding("cohort-start", f"start {start.date()} is outside the data "
                                    f"({first.date()} to {data.data_end.date()})", field="--start"))
    las = sorted(data.episodes["la"].dropna().unique().tolist()) or [""]
    ids = sorted(set(_pseudonyms(children, las, resolve_salt(salt))))
    cats = list(data.categories) + ["unknown"]
    n = len(children)
    cohort = _follow_ids(ids, n, ep, periods, start, months, data.data_end, cats)
    cohort.notes.append(f"{n - cohort.in_data} of the {n} children are not in the data (never looked after in it): "
                        "counted as not looked after")
    if compare:
        matched, unmatched = _matched(ids, ep, start, rng or np.random.default_rng(0))
        cohort.comparison = _follow_ids(matched, len(matched), ep, periods, start, months, data.data_end, cats)
        cohort.unmatched = unmatched
    return cohort


def _matched(ids: list[str], ep: pd.DataFrame, start: pd.Timestamp, rng: np.random.Generator) -> tuple[list, int]:
    """One child per cohort child looked after at the start: same age band and category that day, not in the
    cohort, drawn without replacement. Returns (matched ids, cohort children left without a match)."""
    on = looked_after_on(ep, start, include_short_breaks=True)
    on = on.assign(band=age_band(age_on(on["dob"], start)).to_numpy())
    mine = on.loc[on["child"].isin(ids)]
    pool = on.loc[~on["child"].isin(ids)]
    need = mine.groupby(["band", "category"]).size()
    order = [b[0] for b in age_bands()]
    chosen, unmatched = [], 0
    for (band, cat), k in sorted(need.items(), key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else 99,
                                                               kv[0][1])):
        candidates = pool.loc[(pool["band"] == band) & (pool["category"] == cat), "child"].sort_values().to_numpy()
        take = min(int(k), len(candidates))
        unmatched += int(k) - take
        if take:
            chosen += rng.choice(candidates, size=take, replace=False).tolist()
    return sorted(chosen), unmatched
