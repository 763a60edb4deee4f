"""Preparing cleaned episodes (the ``careflow.ssda903`` contract) for the model: censoring, stock, events.

Everything here works on the ``episodes`` DataFrame only, so the model does not depend on how it was read.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from careflow.errors import CareflowError

if TYPE_CHECKING:
    from careflow.ssda903 import Ssda903Data

REQUIRED = ("child", "dob", "decom", "dec", "category", "period", "exit_group")


def as_timestamp(day) -> pd.Timestamp:
    return pd.Timestamp(day).normalize()


def check_columns(episodes: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED if c not in episodes.columns]
    if missing:
        raise CareflowError(f"episodes are missing columns: {', '.join(missing)}", field=",".join(missing),
                            rule="model-input")


def usable(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes the model counts: short-break-only care (V3/V4) is left out, as in the DfE's figures."""
    check_columns(episodes)
    ep = episodes
    if "short_break" in ep.columns:
        ep = ep[~ep["short_break"].fillna(False).astype(bool)]
    ep = ep[ep["decom"].notna() & ep["dob"].notna()]
    return ep


def censor(episodes: pd.DataFrame, at) -> pd.DataFrame:
    """The episodes as they would have looked at the end of day ``at``: later starts dropped, later ends opened."""
    at = as_timestamp(at)
    ep = episodes[episodes["decom"] <= at].copy()
    late = ep["dec"].notna() & (ep["dec"] > at)
    ep.loc[late, "dec"] = pd.NaT
    ep["exit_group"] = ep["exit_group"].astype("object")
    ep.loc[late, "exit_group"] = None
    if "rec" in ep.columns:
        ep["rec"] = ep["rec"].astype("object")
        ep.loc[late, "rec"] = None
    return ep


def age_months(dob, day) -> np.ndarray:
    """Age in completed months on ``day`` (vectorised over ``dob`` and/or ``day``)."""
    dob = pd.DatetimeIndex(np.atleast_1d(pd.to_datetime(dob)))
    day = pd.DatetimeIndex(np.atleast_1d(pd.to_datetime(day)))
    y1, m1, d1 = year_month_day(dob)
    y2, m2, d2 = year_month_day(day)
    return (y2 - y1) * 12 + (m2 - m1) - (d2 < d1).astype(np.int64)


def year_month_day(days: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calendar year, month and day as int64 arrays: pandas' fields, read from the dates' array (the index's own
    fields wrap each in a new Index, which costs more than the fields themselves for a few thousand dates)."""
    values = days.array
    return tuple(np.asarray(x, dtype=np.int64) for x in (values.year, values.month, values.day))


def add_months(year, month, day, months) -> np.ndarray:
    """The dates ``months`` calendar months after ``year``-``month``-``day`` (numbers or arrays) as pandas'
    ``DateOffset(months=...)`` gives them: the same day of the month, or the month's last day when it is shorter
    (datetime64[D], with numpy's calendar units: months since 1970, the first and the length of that month)."""
    first = (np.asarray(year) * 12 + np.asarray(month) - 1 + np.asarray(months) - 1970 * 12).astype(
        "datetime64[M]").astype("datetime64[D]")
    length = ((first.astype("datetime64[M]") + 1).astype("datetime64[D]") - first).astype(np.int64)
    return first + (np.minimum(day, length) - 1)


def category_index(values: pd.Series, categories: tuple[str, ...], unknown_code: int | None = None) -> np.ndarray:
    """Each value's place in ``categories``. A value not among them (or missing) is an error naming it, or, with
    ``unknown_code``, is given that code (for a caller that checks later which of them it uses)."""
    lookup = {c: i for i, c in enumerate(categories)}
    # Each distinct value is looked up once; missing values (code -1) are never a category.
    codes_, distinct = pd.factorize(values)
    index = np.array([lookup.get(v, -1) for v in distinct], dtype=np.int64)
    if unknown_code is not None:
        # the code -1 of a missing value picks the appended last entry
        return np.r_[np.where(index < 0, unknown_code, index), unknown_code].astype(np.int64)[codes_]
    unknown = {v for v, i in zip(distinct, index, strict=True) if i < 0} | ({None} if (codes_ < 0).any() else set())
    if unknown:
        raise CareflowError(
            f"placement categories not in the model's list: {', '.join(map(str, sorted(unknown, key=str)))} "
            f"(known: {', '.join(categories)})", field="category", rule="unknown-category")
    return index[codes_] if len(codes_) else np.zeros(0, dtype=np.int64)


def with_clocks(ep: pd.DataFrame) -> pd.DataFrame:
    """Add ``care_start`` (start of the period of care) and ``placement_start`` (start of the run of consecutive
    episodes in the same placement category within the period) to each episode."""
    child, period, decom = ep["child"], ep["period"], ep["decom"]
    plain = all(isinstance(c.dtype, np.dtype) for c in (period, decom)) and period.dtype.kind in "iu" \
        and decom.dtype.kind == "M" and pd.api.types.is_string_dtype(child)  # text ids, integers, plain dates
    if not (len(ep) and plain and not child.isna().any() and not decom.isna().any()
            and not ep["category"].isna().any()):
        ep = ep.sort_values(["child", "period", "decom"]).reset_index(drop=True)
        new_period = (ep["child"] != ep["child"].shift()) | (ep["period"] != ep["period"].shift())
        ep["care_start"] = ep.groupby(new_period.cumsum())["decom"].transform("min")
        new_spell = new_period | (ep["category"] != ep["category"].shift())
        ep["placement_start"] = ep.groupby(new_spell.cumsum())["decom"].transform("min")
        return ep
    # The same, on integers: a stable sort by (child, period, decom) as sort_values does it (children in string
    # order), and each run's first start date, which is its earliest as the run is sorted by start.
    key = pd.factorize(child, sort=True)[0]
    order = np.lexsort((decom.to_numpy().view("int64"), period.to_numpy(), key))
    ep = ep.take(order).reset_index(drop=True)
    key, per = key[order], period.to_numpy()[order]
    start = ep["decom"].to_numpy()
    new_period = np.r_[True, (key[1:] != key[:-1]) | (per[1:] != per[:-1])]
    cat = ep["category"].to_numpy(dtype=object)
    new_spell = new_period | np.r_[True, cat[1:] != cat[:-1]]
    ep["care_start"] = np.repeat(start[new_period], np.diff(np.r_[np.flatnonzero(new_period), len(ep)]))
    ep["placement_start"] = np.repeat(start[new_spell], np.diff(np.r_[np.flatnonzero(new_spell), len(ep)]))
    return ep


def months_between(start, day) -> np.ndarray:
    """Completed months from ``start`` to ``day`` (vectorised)."""
    return age_months(start, day)


def stock_on(episodes: pd.DataFrame, day) -> pd.DataFrame:
    """Episodes open at the end of ``day`` (one per child in care), with ``age_months`` on that day and the
    months in care and in the current placement category."""
    day = as_timestamp(day)
    ep = usable(episodes)
    # the clocks of the children in care that day need only their own episodes (a clock is a child's own: the
    # start of its period of care or of its run of placements), not years of other children's
    open_ = (ep["decom"] <= day) & (ep["dec"].isna() | (ep["dec"] > day))
    ep = with_clocks(ep[ep["child"].isin(ep.loc[open_, "child"].unique())])
    open_ = ep[(ep["decom"] <= day) & (ep["dec"].isna() | (ep["dec"] > day))]
    open_ = open_.sort_values("decom").drop_duplicates("child", keep="last")
    out = open_[["child", "dob", "decom", "category", "care_start", "placement_start"]].copy()
    empty = np.array([], dtype=np.int64)
    out["age_months"] = age_months(out["dob"], day) if len(out) else empty
    out["months_in_care"] = months_between(out["care_start"], day) if len(out) else empty
    out["months_in_placement"] = months_between(out["placement_start"], day) if len(out) else empty
    out = out[(out["age_months"] >= 0) & (out["age_months"] < 216)]
    return out


def period_starts(episodes: pd.DataFrame, prepared: bool = False) -> pd.DataFrame:
    """First episode of each period of care: the entry date, age and first placement category. ``prepared``:
    ``episodes`` is already ``with_clocks(usable(...))``, hence sorted."""
    ep = episodes if prepared else usable(episodes).sort_values(["child", "period", "decom"])
    first = ep.drop_duplicates(["child", "period"], keep="first")
    out = first[["child", "period", "dob", "decom", "category"]].rename(columns={"decom": "start"})
    out["age_months"] = age_months(out["dob"], out["start"]) if len(out) else np.array([], dtype=np.int64)
    return out


def moves_and_exits(episodes: pd.DataFrame, prepared: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Changes of placement category within a period (``from_category, to_category, date, dob``) and exits from
    care (``category, exit_group, date, dob``). ``prepared``: ``episodes`` is already ``with_clocks(usable(...))``
    (as in :func:`careflow.model.fit`), so the sort and clocks are not done again."""
    ep = episodes if prepared else with_clocks(usable(episodes))
    same = (ep["child"].shift(-1) == ep["child"]) & (ep["period"].shift(-1) == ep["period"])
    nxt_cat = ep["category"].shift(-1)
    is_move = same & ep["dec"].notna() & (nxt_cat != ep["category"])
    clocks = ["care_start", "placement_start"]
    moves = pd.DataFrame({"from_category": ep.loc[is_move, "category"].to_numpy(),
                          "to_category": nxt_cat[is_move].to_numpy(),
                          "date": ep.loc[is_move, "dec"].to_numpy(), "dob": ep.loc[is_move, "dob"].to_numpy(),
                          **{c: ep.loc[is_move, c].to_numpy() for c in clocks}})
    last = ~same & ep["dec"].notna() & ep["exit_group"].notna()
    exits = pd.DataFrame({"category": ep.loc[last, "category"].to_numpy(),
                          "exit_group": ep.loc[last, "exit_group"].astype("object").to_numpy(),
                          "date": ep.loc[last, "dec"].to_numpy(), "dob": ep.loc[last, "dob"].to_numpy(),
                          **{c: ep.loc[last, c].to_numpy() for c in clocks}})
    return moves, exits


def episodes_of(data: pd.DataFrame | Ssda903Data) -> tuple[pd.DataFrame, dt.date | None, tuple[str, ...]]:
    """What the model reads from ``data``: the episodes table, the data's end (None when a bare table does not say)
    and its placement categories (() when a bare table does not say)."""
    from careflow.ssda903 import Ssda903Data

    if isinstance(data, Ssda903Data):
        end = None if data.data_end is None else pd.Timestamp(data.data_end).date()
        return data.episodes, end, tuple(data.categories)
    if isinstance(data, pd.DataFrame):
        return data, None, ()
    raise TypeError(f"expected episodes (a DataFrame) or careflow.ssda903 data, not {type(data).__name__}")


def data_end_of(episodes: pd.DataFrame) -> dt.date:
    """Last date seen in the data, when the caller gives no ``data_end``: the 31 March on or after it."""
    last = pd.concat([episodes["decom"], episodes["dec"]]).max()
    if pd.isna(last):
        raise CareflowError("no episodes with dates: nothing to model", rule="model-input")
    year = last.year if last.month <= 3 else last.year + 1
    return dt.date(year, 3, 31)
