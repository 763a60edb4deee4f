"""What councils spend per child looked after: the published revenue outturn (RO3) over the DfE counts of children.

Definitions (stated on every output):

* spend: net current expenditure (RO3 column C7 = total expenditure - income) on a line, £ thousand, in the
  outturn year's cash prices (a 2024-25 outturn is in 2024-25 prices);
* lines: ``cla`` = "Children Looked After" (all of it); ``residential`` = its "of which residential care";
  ``fostering`` = its "of which fostering services"; the RO3 also has "of which asylum seeking children" and
  "of which other" (whatever the authority books to the looked-after line that is none of the three named parts);
* children: for ``cla``, the DfE count of children looked after at 31 March; for ``residential`` the DfE placement
  group "Secure homes and children's homes" and for ``fostering`` "Foster placements" at 31 March. Each is the mean
  of the counts at the start (31 March before) and end (31 March after) of the financial year where both are
  published, else the one that is (said in ``children_basis``). The residential line also pays for other
  residential settings, so its cost per child in a children's home reads high where those are many;
* per child per week = spend x 1,000 / children / (365 / 7);
* England: the RO3 England row (MHCLG's estimate where returns were late) over the national count (fostering and
  residential: the sum of the LA counts, suppressed LAs left out);
* per head: spend x 1,000 / ONS mid-year children aged 0-17 in the year the financial year starts.

An LA whose outturn line is a marker (``[x]``, ``[note 4]``) or exactly £0 while it has children looked after
(Harrow 2023-24 sent no figures for the line) has no figure, with the reason; nothing is filled in.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass

from careflow.dfe import DfeData
from careflow.dfe.outturn import ENGLAND_ONS, Outturn

DAYS_PER_YEAR = 365
DAYS_PER_WEEK = 7
MEASURE = "net_current_expenditure"
PLACEMENT_GROUP = {"residential": "Secure homes and children's homes", "fostering": "Foster placements"}
LINE_LABELS = {"cla": "children looked after (all)", "residential": "residential care",
               "fostering": "fostering services"}


@dataclass
class UnitCost:
    """Net spend on one RO3 line per child per week for one authority and outturn year."""

    ons_code: str
    la_name: str
    year: str  # the outturn's financial year, e.g. "2024-25"; also its price base (cash)
    line: str
    spend_k: float  # £ thousand, net current expenditure
    children: float
    children_basis: str
    per_child_week: float  # £, cash prices of ``year``
    reason: str = ""  # why there is no figure, where there is none

    @property
    def price_base(self) -> str:
        return f"{self.year} cash prices"


def _start_year(year: str) -> int:
    return int(year[:4])


def _mean_stock(values: dict[int, float], fy_start: int, what: str) -> tuple[float, str]:
    opening, closing = values.get(fy_start, math.nan), values.get(fy_start + 1, math.nan)
    if not math.isnan(opening) and not math.isnan(closing):
        return (opening + closing) / 2, (f"mean of {what} at 31 March {fy_start} ({opening:,.0f}) and "
                                         f"31 March {fy_start + 1} ({closing:,.0f})")
    if not math.isnan(opening):
        return opening, f"{what} at 31 March {fy_start} ({opening:,.0f}; 31 March {fy_start + 1} not in the data)"
    if not math.isnan(closing):
        return closing, f"{what} at 31 March {fy_start + 1} ({closing:,.0f}; 31 March {fy_start} not in the data)"
    return math.nan, f"no count of {what} at 31 March {fy_start} or {fy_start + 1}"


def _la_counts(data: DfeData, old_code: str | None, line: str) -> dict[int, float]:
    if line == "cla":
        if old_code is None:
            n = data.national[data.national.measure == "cla"]
            return {int(r.year): float(r.value) for r in n.itertuples()}
        s = data.series[(data.series.old_la_code == old_code) & (data.series.measure == "cla")]
        return {int(r.year): float(r.value) for r in s.itertuples()}
    ch = data.characteristics
    ch = ch[(ch.cla_group == "Placement") & (ch.characteristic == PLACEMENT_GROUP[line])]
    if old_code is None:
        return {int(y): float(g.value.sum()) for y, g in ch.groupby("year")}  # NaN (suppressed) left out
    return {int(r.year): float(r.value) for r in ch[ch.old_la_code == old_code].itertuples()}


def unit_cost(outturn: Outturn, data: DfeData, old_la_code: str | None, line: str = "cla") -> UnitCost:
    """Net spend per child per week on ``line`` for one LA (old code) or England (``None``)."""
    if old_la_code is None:
        ons, name = ENGLAND_ONS, "England"
    else:
        hit = data.las[data.las.old_la_code == old_la_code]
        ons = str(hit.new_la_code.iloc[0]) if len(hit) else ""
        name = str(hit.la_name.iloc[0]) if len(hit) else old_la_code
    spend = outturn.value(ons, line, MEASURE)
    what = "children looked after" if line == "cla" else f"children in {PLACEMENT_GROUP[line].lower()}"
    children, basis = _mean_stock(_la_counts(data, old_la_code, line), _start_year(outturn.year), what)
    reason = ""
    if math.isnan(spend):
        marker = outturn.marker(ons, line, MEASURE)
        reason = (f"no {outturn.year} outturn row for ONS code {ons}" if marker.startswith("no row")
                  else f"the outturn shows '{marker}' for this line, not a figure")
    elif spend == 0 and children > 0:
        reason = "the outturn shows £0 for this line although the LA has children looked after (return incomplete)"
    elif math.isnan(children) or children <= 0:
        reason = basis if math.isnan(children) else f"{what}: none"
    per_week = math.nan if reason else spend * 1000 / children / (DAYS_PER_YEAR / DAYS_PER_WEEK)
    return UnitCost(ons, name, outturn.year, line, spend, children, basis, per_week, reason)


def per_head(outturn: Outturn, data: DfeData, old_la_code: str | None, line: str = "cla") -> float:
    """Net spend on ``line`` per child aged 0-17 (ONS mid-year estimate of the year the outturn year starts), £."""
    ons = ENGLAND_ONS if old_la_code is None else (
        str(data.las[data.las.old_la_code == old_la_code].new_la_code.iloc[0])
        if (data.las.old_la_code == old_la_code).any() else "")
    spend = outturn.value(ons, line, MEASURE)
    p = data.population
    hit = p[(p.old_la_code == ("england" if old_la_code is None else old_la_code))
            & (p.year == _start_year(outturn.year))]
    pop = float(hit.population.iloc[0]) if len(hit) else math.nan
    if math.isnan(spend) or math.isnan(pop) or pop <= 0 or (spend == 0 and line == "cla"):
        return math.nan
    return spend * 1000 / pop


@dataclass
class Spend:
    """An LA's spend per child looked after against its statistical neighbours and England (one outturn year)."""

    year: str
    source: str
    definition: str
    la_per_child_week: float
    neighbours_median: float
    neighbours_used: int
    england: float
    la_per_head: float
    neighbours_median_per_head: float
    england_per_head: float
    lines: dict  # line -> {"la": UnitCost dict, "england": UnitCost dict}
    neighbours: list[dict]  # la_name, old_la_code, per_child_week, per_head, reason
    price_base: str

    def to_dict(self) -> dict:
        return _clean(asdict(self))


def _clean(x):
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    return x


DEFINITION = ("net current expenditure (RO3 C7) on children looked after over the children looked after at "
              "31 March (mean of the counts at the start and end of the financial year where both are published), "
              "x 7 / 365; per head: over ONS mid-year children aged 0-17")


def spend_against_neighbours(outturn: Outturn, data: DfeData, old_la_code: str,
                             neighbours: list[str]) -> Spend:
    """The ``spend`` section of a benchmark: LA, neighbours' median (of those with a figure) and England."""
    own = unit_cost(outturn, data, old_la_code)
    eng = unit_cost(outturn, data, None)
    names = dict(zip(data.las.old_la_code, data.las.la_name, strict=False))
    rows = []
    for n in neighbours:
        u = unit_cost(outturn, data, n)
        rows.append({"old_la_code": n, "la_name": names.get(n, n), "per_child_week": u.per_child_week,
                     "per_head": per_head(outturn, data, n), "reason": u.reason})
    weekly = [r["per_child_week"] for r in rows if not math.isnan(r["per_child_week"])]
    heads = [r["per_head"] for r in rows if not math.isnan(r["per_head"])]
    lines = {}
    for line in ("cla", "residential", "fostering"):
        lines[line] = {"la": asdict(unit_cost(outturn, data, old_la_code, line)),
                       "england": asdict(unit_cost(outturn, data, None, line))}
    return Spend(outturn.year, outturn.source, DEFINITION, own.per_child_week,
                 statistics.median(weekly) if weekly else math.nan, len(weekly), eng.per_child_week,
                 per_head(outturn, data, old_la_code), statistics.median(heads) if heads else math.nan,
                 per_head(outturn, data, None), lines, rows, f"{outturn.year} cash prices")


# ----------------------------------------------------------------------------------------------------------------
# National placement unit costs from the outturn (the shipped ``unit_costs.yaml`` is derived this way)


@dataclass
class ProviderSplit:
    """Net spend on one RO3 line per child per week, split between in-house (the LA's own provision) and external
    placements (private, voluntary and other LAs' provision).

    The outturn gives one figure per line; the split needs one more fact, given either as the external weekly price
    (``external_given``: in-house is then what the line's spend leaves for the in-house children) or as the ratio of
    in-house to external cost (``ratio_given``: spend = children x external x (in-house share x ratio + external
    share))."""

    line: str
    year: str  # outturn year, also the price base (cash prices of that year)
    spend_k: float
    children: float
    in_house_children: float
    blended: float  # spend per child per week
    in_house: float
    external: float
    method: str

    @property
    def external_children(self) -> float:
        return self.children - self.in_house_children


def split_by_provider(line: str, year: str, spend_k: float, children: float, in_house_children: float, *,
                      external_given: float | None = None, ratio_given: float | None = None) -> ProviderSplit:
    """In-house and external weekly costs that add back to the line's spend (see :class:`ProviderSplit`)."""
    if (external_given is None) == (ratio_given is None):
        raise ValueError("give exactly one of external_given and ratio_given")
    if not 0 < in_house_children < children:
        raise ValueError(f"in-house children ({in_house_children}) must lie between 0 and all children ({children})")
    weekly_spend = spend_k * 1000 / (DAYS_PER_YEAR / DAYS_PER_WEEK)
    external_children = children - in_house_children
    if external_given is not None:
        external = float(external_given)
        in_house = (weekly_spend - external_children * external) / in_house_children
        method = (f"external at £{external:,.2f} a week (given); in-house = (spend a week - {external_children:,.0f} "
                  f"external children x external) / {in_house_children:,.0f} in-house children")
    else:
        external = weekly_spend / (in_house_children * ratio_given + external_children)
        in_house = ratio_given * external
        method = (f"in-house = {ratio_given:.4f} x external (given); external = spend a week / "
                  f"({in_house_children:,.0f} in-house children x {ratio_given:.4f} + {external_children:,.0f} "
                  "external children)")
    return ProviderSplit(line, year, spend_k, children, in_house_children, weekly_spend / children, in_house,
                         external, method)
