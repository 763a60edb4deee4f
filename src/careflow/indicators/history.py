"""The history of a council's children looked after, by collection year and by month, for a chosen group of
children: the picture the Data journey of the web app shows, as Social Finance's regional app does.

A filter keeps the children of one LA (of a file stacking several), sex, ethnic group, UASC status, age band or
placement category. Sex, ethnic group, UASC status and LA belong to the child. Age band and placement category
change over time, so they are taken at the moment counted: the age and placement on the day for children looked
after, at the start for starts (the first placement's category), at the end for ceases (the last placement's
category). The groups are those of the standard measures' breakdowns (:mod:`careflow.indicators.measures`), so the
numbers agree with ``careflow indicators --by``. Counts follow the DfE's definitions: short-break-only care left
out, a child starting (or ceasing) more than once in a period counted once.

    h = history(data, sex="F", age_band="10 to 15")
    h.yearly   # year, at_31_march, starts, ceases
    h.monthly  # month_end, at_month_end, starts, ceases
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from careflow.errors import CareflowError
from careflow.fy import FinancialYear
from careflow.indicators.measures import _attributes, age_bands
from careflow.ssda903.summary import looked_after_on

# filter name -> the breakdown dimension whose groups it takes (careflow.indicators.measures)
FILTERS = {"sex": "sex", "ethnicity": "ethnicity", "uasc": "uasc", "age_band": "age_band", "category": "category"}
BY_CHILD = ("sex", "ethnicity", "uasc")  # the child's own, whatever the day


@dataclass
class History:
    yearly: pd.DataFrame
    monthly: pd.DataFrame
    filters: dict[str, str] = field(default_factory=dict)


def filter_options(data) -> dict[str, list[str]]:
    """The values each filter can take in ``data``: ``la`` (empty for one LA's own returns) and the groups of
    sex, ethnicity, UASC, age band and placement category found in the data."""
    ep = data.episodes.loc[~data.episodes["short_break"]]
    people = ep.drop_duplicates("child")
    options = {"la": sorted(str(v) for v in ep["la"].dropna().unique() if str(v))}
    for name in BY_CHILD:
        options[name] = sorted({str(g) for g in _attributes(people, None, FILTERS[name])})
    bands = [b[0] for b in age_bands()]
    options["age_band"] = bands
    present = set(ep["category"].dropna().astype(str))
    ordered = [c for c in getattr(data, "categories", ()) or () if c in present]
    options["category"] = ordered + sorted(present - set(ordered))
    return options


def history(data, *, la: str | None = None, sex: str | None = None, ethnicity: str | None = None,
            uasc: str | None = None, age_band: str | None = None, category: str | None = None,
            include_short_breaks: bool = False) -> History:
    """Children looked after at each 31 March and month end, starts and ceases by collection year and month, of
    the children matching every filter given (``data``: :class:`careflow.ssda903.Ssda903Data`). A filter value
    the data do not have is refused, naming the values they do have."""
    chosen = {k: v for k, v in {"la": la, "sex": sex, "ethnicity": ethnicity, "uasc": uasc, "age_band": age_band,
                                "category": category}.items() if v not in (None, "")}
    options = filter_options(data)
    for name, value in chosen.items():
        if value not in options[name]:
            known = ", ".join(options[name]) or "none"
            raise CareflowError(f"no {name.replace('_', ' ')} {value!r} in the data (the data have: {known})",
                                field=name, rule="history-filter")
    ep, periods = data.episodes, data.periods
    if not include_short_breaks:
        ep = ep.loc[~ep["short_break"]]
        periods = periods.loc[~periods["short_break"]]
    years = sorted({int(y) for y in data.episodes["year"].dropna().unique()})
    people = ep.drop_duplicates("child").set_index("child")
    keep = pd.Series(True, index=people.index)
    if "la" in chosen:
        keep &= people["la"].astype(str) == chosen["la"]
    for name in BY_CHILD:
        if name in chosen:
            keep &= _attributes(people, None, FILTERS[name]).astype(str) == chosen[name]
    children = people.index[keep]
    ep = ep.loc[ep["child"].isin(children)]
    periods = periods.loc[periods["child"].isin(children)]
    starts, ceases = _moves(ep, periods, chosen)

    def stock_on(day: pd.Timestamp) -> int:
        on = looked_after_on(ep, day, include_short_breaks=True)  # short breaks filtered above
        return int(_matching(on, day, chosen).sum()) if len(on) else 0

    def unique_between(frame: pd.DataFrame, column: str, first, last) -> int:
        return int(frame.loc[(frame[column] >= first) & (frame[column] <= last), "child"].nunique())

    monthly, yearly = [], []
    if years:
        for m_end in pd.date_range(pd.Timestamp(FinancialYear(years[0]).start),
                                   pd.Timestamp(FinancialYear(years[-1]).end), freq="ME"):
            m_start = m_end.replace(day=1)
            monthly.append({"month_end": m_end, "at_month_end": stock_on(m_end),
                            "starts": unique_between(starts, "start", m_start, m_end),
                            "ceases": unique_between(ceases, "end", m_start, m_end)})
        for y in range(years[0], years[-1] + 1):
            fy = FinancialYear(y)
            first, last = pd.Timestamp(fy.start), pd.Timestamp(fy.end)
            yearly.append({"year": fy.label, "at_31_march": stock_on(last),
                           "starts": unique_between(starts, "start", first, last),
                           "ceases": unique_between(ceases, "end", first, last)})
    return History(pd.DataFrame(yearly, columns=["year", "at_31_march", "starts", "ceases"]),
                   pd.DataFrame(monthly, columns=["month_end", "at_month_end", "starts", "ceases"]), chosen)


def _matching(frame: pd.DataFrame, day, chosen: dict) -> pd.Series:
    """Rows of an episode or period frame in the chosen age band and category (on ``day``: a date, or a Series
    of dates aligned with the rows)."""
    ok = pd.Series(True, index=frame.index)
    if "age_band" in chosen:
        ok &= _attributes(frame, day, "age_band").astype(str) == chosen["age_band"]
    if "category" in chosen:
        ok &= frame["category"].astype(str) == chosen["category"]
    return ok


def _moves(ep: pd.DataFrame, periods: pd.DataFrame, chosen: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Periods that count as starts (age and first category at the start) and as ceases (age and last
    category at the end) for the chosen age band and category."""
    starts = periods.assign(category=periods["first_category"])
    ended = periods.loc[periods["end"].notna()]
    last = ep.sort_values("decom").drop_duplicates(["child", "period"], keep="last").set_index(["child", "period"])
    cat = last["category"].reindex(pd.MultiIndex.from_arrays([ended["child"], ended["period"]])).to_numpy()
    ceases = ended.assign(category=cat)
    if not len(periods):
        return starts, ceases
    return (starts.loc[_matching(starts, starts["start"], chosen)] if len(starts) else starts,
            ceases.loc[_matching(ceases, ceases["end"], chosen)] if len(ceases) else ceases)
