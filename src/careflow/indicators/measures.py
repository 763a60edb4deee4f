"""The standard measures of children looked after, computed from the cleaned SSDA903 data (:mod:`careflow.ssda903`).

Every measure follows the DfE's definitions in "Children looked after in England including adoptions" (data
guidance, 2023 release; ``shared/data/dfe/release_2023/data-guidance.txt``): children looked after only under a
series of short breaks (legal status V3/V4) are left out; starts count the first start of each child in the period,
ceases the last cease. :data:`MEASURES` holds each measure's definition and reference; docs/indicators.md prints them.

Counts on a day use :func:`careflow.ssda903.summary.looked_after_on`, the function ``careflow summary`` counts
with, so the two agree by construction on 31 March (and a test checks it stays so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from careflow.errors import CareflowError
from careflow.fy import FinancialYear
from careflow.parameters import load_parameter
from careflow.ssda903.summary import looked_after_on
from careflow.vocabulary import INDICATOR_BREAKDOWNS, UNKNOWN_CATEGORY

RESIDENTIAL = ("in_house_residential", "external_residential", "secure")
FOSTERING = ("kinship_fostering", "in_house_fostering", "ifa_fostering")
IFA = ("ifa_fostering",)
ADOPTION_PLACES = frozenset({"A3", "A4", "A5", "A6"})
DIMENSIONS = INDICATOR_BREAKDOWNS
UNKNOWN = UNKNOWN_CATEGORY  # a group that cannot be told (no date of birth, no sex recorded)
LOCAL_AREA_SHARE = 0.2  # a postcode area holding at least this share of home postcodes counts as the LA's own


@dataclass(frozen=True)
class Measure:
    name: str
    label: str
    unit: str
    definition: str
    reference: str


_GUIDE = "DfE, Children looked after in England including adoptions, data guidance (2023 release)"
MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("at_31_march", "Children looked after on 31 March", "children",
            "Children looked after on 31 March (an episode started on or before the day and not ceased by it), "
            "each child once, excluding children looked after only under a series of short breaks (V3/V4).",
            f"{_GUIDE}: 'CLA on 31 March'; la table cla_number_and_rate_per_10k_children, number"),
    Measure("per_10000", "Children looked after per 10,000 children", "per 10,000 children aged 0-17",
            "Children looked after on 31 March per 10,000 children aged under 18 (the population you give: the DfE "
            "uses the ONS mid-year estimate of the year before, e.g. mid-2023 for 31 March 2024).",
            f"{_GUIDE}: rate_per_10000 = count / population x 10,000"),
    Measure("starts", "Children who started to be looked after", "children",
            "Children starting a period of care in the year; a child starting more than once is counted once.",
            f"{_GUIDE}: 'only the first occasion on which a child started to be looked after in the year'"),
    Measure("ceases", "Children who ceased to be looked after", "children",
            "Children whose period of care ended in the year; a child ceasing more than once is counted once.",
            f"{_GUIDE}: 'only the last occasion on which a child ceased to be looked after in the year'"),
    Measure("residential_share", "Share in residential care", "% of children looked after on 31 March",
            "Children on 31 March in children's homes and secure homes (categories in_house_residential, "
            "external_residential, secure: PLACE K1, K2, R1) as a share of all children looked after then.",
            f"{_GUIDE}: placement group 'Secure homes and children's homes'"),
    Measure("ifa_share", "Share of fostering that is IFA", "% of children in foster placements on 31 March",
            "Children on 31 March in independent fostering agency placements (U4-U6 with provider PR4/PR5) as a "
            "share of all children in foster placements (U1-U6: kinship, in-house and IFA).",
            f"{_GUIDE}: 'Foster placements' by place provider (private and voluntary provision)"),
    Measure("three_plus_placements", "Children with 3 or more placements in the year",
            "% of children looked after on 31 March",
            "Children looked after on 31 March who had three or more placements during the year (1 April to "
            "31 March); every episode counts as a placement except a change of legal status only (RNE L).",
            f"{_GUIDE}: la_cla_placement_stability, 'three or more placements during the year'"),
    Measure("long_term_stability", "Long-term placement stability",
            "% of children aged under 16 looked after for 2.5 years or more",
            "Of the children aged under 16 on 31 March who had been looked after continuously for at least 2.5 years "
            "(period of care started on or before 30 September two and a half years earlier), those living in the "
            "same placement for at least 2 years (placement started on or before 31 March two years earlier; a "
            "legal-status-only change is the same placement; an adoptive placement and the placement before it "
            "count together).",
            f"{_GUIDE}: la_cla_placement_stability, 'living with the same carer for at least 2 years' (footnotes "
            "2 and 3)"),
    Measure("out_of_area_share", "Placed out of area", "% of children on 31 March with a placement postcode",
            "Children on 31 March whose placement postcode (PL_POST) lies outside the LA's own postcode areas or "
            "districts, of those with a placement postcode. The LA's own areas are the ones you give; without them, "
            "the postcode areas holding at least 20% of the children's home postcodes (HOME_POST).",
            f"{_GUIDE}: 'Locality of placement: placed outside the local authority boundary' (the DfE uses the "
            "LA of the placement; careflow approximates it with postcodes)"),
    Measure("average_days_in_care", "Average time in care so far (31 March)", "days",
            "Mean days from the start of the current period of care to 31 March, over children looked after then.",
            f"{_GUIDE}: duration of period of care (careflow's mean; the DfE publishes bands)"),
    Measure("average_days_ceased", "Average length of care of children who left", "days",
            "Mean length in days of the periods of care that ended in the year (a child's last cease counted).",
            f"{_GUIDE}: 'duration of latest period of care' of children who ceased"),
)}
MONTHLY = ("at_month_end", "starts", "ceases")


@dataclass
class Indicators:
    """The measures by collection year (``yearly``) and month (``monthly``), and breakdowns by dimension.

    ``yearly``: one row per collection year (``year`` label, ``date`` of its 31 March) with the columns named in
    :data:`MEASURES` plus the counts behind the shares (``residential``, ``fostering``, ``ifa``,
    ``three_plus_placements_n``, ``long_term_eligible``, ``long_term_stable``, ``postcode_known``,
    ``out_of_area``). ``monthly``: ``month_end``, ``at_month_end``, ``starts``, ``ceases``. ``breakdowns``: one long
    table per dimension asked for: ``year``, ``group``, ``at_31_march``, ``starts``, ``ceases``.
    """

    yearly: pd.DataFrame
    monthly: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    data_end: pd.Timestamp | None = None

    def series(self, name: str) -> dict[str, float]:
        """One measure by collection year (year label -> value), leaving out years where it is not defined."""
        if name == "at_month_end":
            return {d.date().isoformat(): float(v) for d, v in zip(self.monthly["month_end"],
                                                                    self.monthly["at_month_end"], strict=True)}
        if name not in self.yearly.columns:
            raise CareflowError(f"no measure {name!r}: measures are {', '.join(available(self))}",
                                rule="indicator-measure", field="source")
        return {y: float(v) for y, v in zip(self.yearly["year"], self.yearly[name], strict=True) if pd.notna(v)}

    def to_dict(self) -> dict[str, Any]:
        def records(df: pd.DataFrame) -> list[dict]:
            out = []
            for r in df.to_dict("records"):
                out.append({k: _plain(v) for k, v in r.items()})
            return out

        return {"measures": {k: vars(m) for k, m in MEASURES.items()},
                "yearly": records(self.yearly), "monthly": records(self.monthly),
                "breakdowns": {k: records(v) for k, v in self.breakdowns.items()}, "notes": list(self.notes)}


def available(ind: Indicators | None = None) -> list[str]:
    """Measure names a register indicator can be bound to (``source: indicators.<name>``)."""
    names = [*MEASURES, "at_month_end"]
    if ind is not None:
        names += [c for c in ind.yearly.columns if c not in names and c not in ("year", "date")]
    return names


def _plain(v):
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.integer | np.bool_):
        return v.item()
    if isinstance(v, np.floating):
        return float(v)
    return v


def age_on(dob: pd.Series, day) -> pd.Series:
    """Age in whole years on ``day`` (a date, or a Series of dates aligned with ``dob``)."""
    dob = pd.to_datetime(dob)
    d = pd.to_datetime(day) if not isinstance(day, pd.Series) else day
    if isinstance(d, pd.Series):
        y, md = d.dt.year, d.dt.month * 100 + d.dt.day
    else:
        y, md = d.year, d.month * 100 + d.day
    before = md < dob.dt.month * 100 + dob.dt.day
    return (y - dob.dt.year - before.astype(int)).astype("Float64")


def age_bands() -> list[tuple[str, float, float]]:
    """The DfE age groups (careflow's ``age_bands`` parameter): (label, lower inclusive, upper exclusive)."""
    return [(label, lo, hi) for label, (lo, hi) in load_parameter("age_bands").ranges().items()]


def age_band(age: pd.Series) -> pd.Series:
    out = pd.Series(UNKNOWN, index=age.index, dtype=object)
    for label, lo, hi in age_bands():
        out[(age >= lo) & (age < hi)] = label
    out[age >= age_bands()[-1][2]] = age_bands()[-1][0]  # over 18 by a data error: the last band, not dropped
    return out


def ethnic_group(codes: pd.Series) -> pd.Series:
    """The DfE's major ethnic group of each ETHNIC code (parameter ``ethnic_groups``); blank or unknown codes in
    'Refused or information not yet available'."""
    groups = load_parameter("ethnic_groups").code_lists()
    lookup = {str(c).upper(): g for g, cs in groups.items() for c in cs}
    fallback = next((g for g in groups if g.lower().startswith("refused")), UNKNOWN)
    return codes.astype(object).map(lambda c: lookup.get(str(c).upper(), fallback) if pd.notna(c) else fallback)


def _attributes(frame: pd.DataFrame, day, dimension: str) -> pd.Series:
    """The group of each row of an episode or period frame for ``dimension``, with age on ``day``."""
    if dimension == "sex":
        return frame["sex"].astype(object).where(frame["sex"].notna(), UNKNOWN)
    if dimension == "uasc":
        return frame["uasc"].map({True: "UASC", False: "Non-UASC"}).fillna("Non-UASC")
    if dimension == "ethnicity":
        col = frame["ethnic"] if "ethnic" in frame.columns else pd.Series(pd.NA, index=frame.index)
        return ethnic_group(col)
    if dimension == "age_band":
        return age_band(age_on(frame["dob"], day))
    if dimension == "category":
        return frame["category"].astype(object)
    raise CareflowError(f"cannot break down by {dimension!r}: one of {', '.join(DIMENSIONS)}",
                        rule="indicator-dimension", field="--by")


def _population_for(population, label: str) -> float | None:
    if population is None:
        return None
    if isinstance(population, dict):
        value = population.get(label)
        return float(value) if value is not None else None
    return float(population)


def _normalise_population(population):
    if population is None or not isinstance(population, dict):
        if population is not None and (not np.isfinite(float(population)) or float(population) <= 0):
            raise CareflowError("population must be a positive number of children aged 0-17",
                                rule="indicator-population", field="--population")
        return population
    out = {}
    for k, v in population.items():
        try:
            label = FinancialYear.parse(k).label
        except ValueError as exc:
            raise CareflowError(str(exc), rule="indicator-population", field="--population") from None
        if v is None or not np.isfinite(float(v)) or float(v) <= 0:
            raise CareflowError(f"population for {label} must be a positive number", rule="indicator-population",
                                field="--population")
        out[label] = float(v)
    return out


def _outward(post: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(postcode area, postcode district) of each postcode: 'SW6 1AB' -> ('SW', 'SW6')."""
    text = post.astype(object).where(post.notna(), "").astype(str).str.upper().str.strip()
    district = text.str.split(" ").str[0]
    no_space = ~text.str.contains(" ") & (text.str.len() > 4)
    district = district.where(~no_space, text.str[:-3])
    area = district.str.extract(r"^([A-Z]+)", expand=False).fillna("")
    return area, district


def local_postcodes(episodes: pd.DataFrame) -> list[str]:
    """The LA's own postcode areas when none are given: areas holding >= 20% of the children's home postcodes."""
    if "home_post" not in episodes.columns:
        return []
    home = episodes.drop_duplicates("child")["home_post"]
    home = home[home.notna()]
    if home.empty:
        return []
    area, _ = _outward(home)
    share = area[area != ""].value_counts(normalize=True)
    return sorted(share[share >= LOCAL_AREA_SHARE].index)


def _is_local(post: pd.Series, prefixes: list[str]) -> pd.Series:
    area, district = _outward(post)
    areas = {p.upper() for p in prefixes if p.isalpha()}
    districts = {p.upper() for p in prefixes if not p.isalpha()}
    return area.isin(areas) | district.isin(districts)


def _placements_in_year(ep: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Placements per child during [start, end]: episodes overlapping the year, less legal-status-only changes
    (RNE L) that follow another episode of the child in the year."""
    ov = ep.loc[(ep["decom"] <= end) & (ep["dec"].isna() | (ep["dec"] > start))].sort_values(["child", "decom"])
    first = ~ov["child"].duplicated()
    counted = first | (ov["rne"] != "L")
    return counted.groupby(ov["child"]).sum()


def _placement_start(ep_child: pd.DataFrame, i: int) -> pd.Timestamp:
    """Start of the placement that episode ``i`` (position in the child's sorted episodes) is part of."""
    decom, dec = ep_child["decom"].to_numpy(), ep_child["dec"].to_numpy()
    rne, place = ep_child["rne"].to_numpy(dtype=object), ep_child["place"].to_numpy(dtype=object)
    adoption_used = False
    j = i
    while j > 0 and dec[j - 1] == decom[j]:
        if rne[j] == "L":
            j -= 1
        elif place[j] in ADOPTION_PLACES and not adoption_used:
            adoption_used = True
            j -= 1
        else:
            break
    return pd.Timestamp(decom[j])


def _long_term(ep: pd.DataFrame, periods: pd.DataFrame, stock: pd.DataFrame, day: pd.Timestamp) -> tuple[int, int]:
    """(eligible, stable) children for the long-term stability measure on 31 March ``day``."""
    in_care_from = day - pd.DateOffset(years=2, months=6)  # 30 September two and a half years before
    same_since = day - pd.DateOffset(years=2)
    age = age_on(stock["dob"], day)
    cand = stock.loc[(age < 16).fillna(False).to_numpy()]
    starts = periods.set_index(["child", "period"])["start"]
    pstart = starts.reindex(pd.MultiIndex.from_arrays([cand["child"], cand["period"]])).to_numpy()
    cand = cand.loc[pstart <= np.datetime64(in_care_from)]
    if cand.empty:
        return 0, 0
    mine = ep.loc[ep["child"].isin(cand["child"])].sort_values(["child", "decom"])
    stable = 0
    by_child = dict(tuple(mine.groupby("child", sort=False)))
    for child, decom in zip(cand["child"], cand["decom"], strict=True):
        rows = by_child[child].reset_index(drop=True)
        i = int(np.flatnonzero(rows["decom"].to_numpy() == np.datetime64(decom))[-1])
        if _placement_start(rows, i) <= same_since:
            stable += 1
    return len(cand), stable


def _share(n, d):
    return 100.0 * n / d if d else np.nan


def compute(data, *, population=None, by=(), local=None, include_short_breaks: bool = False) -> Indicators:
    """The standard measures for every collection year and month of ``data`` (:class:`~careflow.ssda903.Ssda903Data`).

    ``population``: children aged 0-17, one number or ``{year label: number}`` (for ``per_10000``). ``by``:
    dimensions to break down the counts by (:data:`DIMENSIONS`). ``local``: the LA's own postcode areas ("AN") or
    districts ("SW6"); default from the home postcodes (see :data:`MEASURES` ``out_of_area_share``).
    """
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise CareflowError(f"cannot break down by {', '.join(unknown)}: one of {', '.join(DIMENSIONS)}",
                            rule="indicator-dimension", field="--by")
    population = _normalise_population(population)
    ep, periods = data.episodes, data.periods
    if not include_short_breaks:
        ep = ep.loc[~ep["short_break"]]
        periods = periods.loc[~periods["short_break"]]
    notes = []
    if ep["la"].nunique() > 1:
        notes.append(f"the data holds {ep['la'].nunique()} LAs; their children are counted together")
    if local is None:
        local = local_postcodes(ep)
        if local:
            notes.append("out of area: the LA's own postcode areas taken as " + ", ".join(local)
                         + " (the areas of at least 20% of home postcodes); give your own with --local")
    local = [str(p).strip().upper() for p in local if str(p).strip()]
    years = sorted({int(y) for y in data.episodes["year"].dropna().unique()})
    rows, breakdowns = [], {d: [] for d in by}
    for y in range(years[0], years[-1] + 1) if years else []:
        fy = FinancialYear(y)
        start, end = pd.Timestamp(fy.start), pd.Timestamp(fy.end)
        stock = looked_after_on(ep, end, include_short_breaks=True)  # short breaks already filtered above
        n = len(stock)
        started = periods.loc[(periods["start"] >= start) & (periods["start"] <= end)]
        ceased = periods.loc[(periods["end"] >= start) & (periods["end"] <= end)]
        cats = stock["category"]
        residential, fostering, ifa = (int(cats.isin(c).sum()) for c in (RESIDENTIAL, FOSTERING, IFA))
        placements = _placements_in_year(ep.loc[ep["child"].isin(stock["child"])], start, end)
        three_plus = int((placements >= 3).sum())
        eligible, stable = _long_term(ep, periods, stock, end)
        post = stock["pl_post"] if "pl_post" in stock.columns else pd.Series(pd.NA, index=stock.index)
        known = post.notna().to_numpy()
        out = int((~_is_local(post[known], local)).sum()) if local and known.any() else 0
        pstarts = periods.set_index(["child", "period"])["start"]
        in_care_start = pstarts.reindex(pd.MultiIndex.from_arrays([stock["child"], stock["period"]])).to_numpy()
        days_in = (np.datetime64(end) - in_care_start) / np.timedelta64(1, "D")
        last_cease = ceased.sort_values("end").drop_duplicates("child", keep="last")
        days_ceased = (last_cease["end"] - last_cease["start"]).dt.days
        pop = _population_for(population, fy.label)
        rows.append({
            "year": fy.label, "date": end, "at_31_march": n,
            "per_10000": n / pop * 10000 if pop else np.nan,
            "starts": int(started["child"].nunique()), "ceases": int(ceased["child"].nunique()),
            "residential": residential, "residential_share": _share(residential, n),
            "fostering": fostering, "ifa": ifa, "ifa_share": _share(ifa, fostering),
            "three_plus_placements_n": three_plus, "three_plus_placements": _share(three_plus, n),
            "long_term_eligible": eligible, "long_term_stable": stable,
            "long_term_stability": _share(stable, eligible),
            "postcode_known": int(known.sum()), "out_of_area": out,
            "out_of_area_share": _share(out, int(known.sum())) if local else np.nan,
            "average_days_in_care": float(np.mean(days_in)) if n else np.nan,
            "average_days_ceased": float(days_ceased.mean()) if len(days_ceased) else np.nan,
        })
        for dim in by:
            breakdowns[dim].append(_breakdown(ep, stock, started, ceased, end, dim, fy.label))
    yearly = pd.DataFrame(rows)
    monthly = _monthly(ep, periods, years)
    return Indicators(yearly=yearly, monthly=monthly,
                      breakdowns={d: pd.concat(v, ignore_index=True) if v else pd.DataFrame()
                                  for d, v in breakdowns.items()},
                      notes=notes, data_end=data.data_end)


def _breakdown(ep, stock, started, ceased, end, dim, label) -> pd.DataFrame:
    """Counts by group of ``dim`` for one year: on 31 March (age then), starts (first start of each child in the
    year, age at starting) and ceases (last cease, age at ceasing; category of the last placement)."""
    first_start = started.sort_values("start").drop_duplicates("child")
    last_cease = ceased.sort_values("end").drop_duplicates("child", keep="last")
    people = ep.drop_duplicates("child").set_index("child")
    cols = [c for c in ("sex", "uasc", "ethnic") if c in people.columns]

    def attach(frame: pd.DataFrame) -> pd.DataFrame:
        extra = people.reindex(frame["child"])[cols]
        return frame.drop(columns=[c for c in cols if c in frame.columns]).assign(
            **{c: extra[c].to_numpy() for c in cols})

    starts = attach(first_start.assign(category=first_start["first_category"]))
    ends = attach(last_cease)
    if dim == "category":  # the category of the last placement of the ended period
        last_ep = ep.sort_values("decom").drop_duplicates(["child", "period"], keep="last")
        cat = last_ep.set_index(["child", "period"])["category"]
        ends = ends.assign(category=cat.reindex(pd.MultiIndex.from_arrays([ends["child"], ends["period"]]))
                           .to_numpy())
    counts = {
        "at_31_march": _attributes(stock, end, dim).value_counts(),
        "starts": _attributes(starts, starts["start"], dim).value_counts() if len(starts) else pd.Series(dtype=int),
        "ceases": _attributes(ends, ends["end"], dim).value_counts() if len(ends) else pd.Series(dtype=int),
    }
    order = [b[0] for b in age_bands()] if dim == "age_band" else []
    groups = sorted(set().union(*[set(c.index) for c in counts.values()]),
                    key=lambda g: (order.index(g) if g in order else len(order), str(g)))
    return pd.DataFrame({"year": label, "group": groups,
                         **{k: [int(c.get(g, 0)) for g in groups] for k, c in counts.items()}})


def _monthly(ep: pd.DataFrame, periods: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    if not years:
        return pd.DataFrame(columns=["month_end", *MONTHLY])
    first = pd.Timestamp(FinancialYear(years[0]).start)
    last = pd.Timestamp(FinancialYear(years[-1]).end)
    month_ends = pd.date_range(first, last, freq="ME")
    rows = []
    for m_end in month_ends:
        m_start = m_end.replace(day=1)
        rows.append({
            "month_end": m_end,
            "at_month_end": len(looked_after_on(ep, m_end, include_short_breaks=True)),
            "starts": int(periods.loc[(periods["start"] >= m_start) & (periods["start"] <= m_end), "child"].nunique()),
            "ceases": int(periods.loc[(periods["end"] >= m_start) & (periods["end"] <= m_end), "child"].nunique()),
        })
    return pd.DataFrame(rows)
