"""Benchmark one LA against its 10 statistical neighbours and England (DESIGN.md 5.2).

Definitions (all per 10,000 children aged 0-17):

* rate = count / population x 10,000, unrounded, with the population DfE used for that year (the release's own
  figure where printed, else the ONS mid-year estimate of the previous calendar year);
* neighbours' median and mean are of the neighbours' rates (each neighbour counts once, whatever its size), over the
  neighbours with a figure that year; missing or suppressed neighbours are listed, never filled in;
* England's rate = national count / national population x 10,000;
* the gap in children = LA count - neighbours' mean rate x LA population / 10,000 (the Cambridgeshire "715 vs 610"
  question), and its value = gap x weekly cost x 365 / 7 pounds a year, where the weekly cost is the LA's own net
  spend per child looked after from the revenue outturn when one is given (:mod:`careflow.aggregate.spend`), else
  the England figure in the ``cla_weekly_cost`` parameter; its price base is the cost's year, in cash.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field

from careflow.aggregate.la import LocalAuthority, find_la
from careflow.aggregate.spend import Spend, spend_against_neighbours, unit_cost
from careflow.aggregate.workforce_benchmark import WorkforceBenchmark, workforce_benchmark
from careflow.dfe import MEASURE_LABELS, MEASURES, CswwData, DfeData, rate_per_10000
from careflow.dfe.outturn import Outturn
from careflow.errors import CareflowError
from careflow.fy import FinancialYear
from careflow.money import pounds
from careflow.parameters import load_parameter

DAYS_PER_WEEK = 7
DAYS_PER_YEAR = 365
NEIGHBOUR_MODELS = ("2025", "2021")


def default_weekly_cost() -> tuple[float, str, str]:
    """The shipped average weekly cost of a child looked after, where it comes from and its price base."""
    p = load_parameter("cla_weekly_cost")
    latest = p.series().points[-1]  # checked when read: a dated, finite, non-negative cost (its key a year's start)
    period = FinancialYear.containing(latest.date).label
    return (latest.value, f"{p.name} parameter: England net spend per child looked after, MHCLG revenue outturn "
            f"RO3 {period} (source in docs/aggregate.md)", f"{period} cash prices")


@dataclass
class RateRow:
    year: int
    measure: str
    la_count: float
    la_population: float
    la_rate: float
    neighbours_median: float
    neighbours_mean: float
    neighbours_used: int
    england_rate: float
    missing_neighbours: list[str] = field(default_factory=list)


@dataclass
class MixRow:
    characteristic: str
    la_count: float
    la_share: float  # percent of the LA's children at 31 March
    neighbours_median: float
    neighbours_mean: float
    neighbours_used: int
    la_reason: str = ""  # why the LA's own count is missing (DfE suppression symbol), if it is


@dataclass
class Gap:
    year: int
    la_count: float
    expected_at_neighbours_mean: float
    expected_at_neighbours_median: float
    gap_children: float  # vs the neighbours' mean rate
    gap_children_median: float
    weekly_cost: float
    cost_source: str
    gap_pounds_a_year: float
    price_base: str = ""


@dataclass
class Benchmark:
    la: LocalAuthority
    year: int
    neighbour_model: str
    neighbours: list[dict]  # old_la_code, la_name, closeness
    rates: list[RateRow]
    gap: Gap | None
    mix_year: int | None
    mix: list[MixRow]
    notes: list[str]
    workforce: WorkforceBenchmark | None = None  # from the DfE workforce file, when given
    spend: Spend | None = None

    def row(self, measure: str, year: int | None = None) -> RateRow | None:
        year = self.year if year is None else year
        return next((r for r in self.rates if r.measure == measure and r.year == year), None)

    def to_dict(self) -> dict:
        return {"la": asdict(self.la), "year": self.year, "neighbour_model": self.neighbour_model,
                "neighbours": self.neighbours, "rates": [_clean(asdict(r)) for r in self.rates],
                "gap": _clean(asdict(self.gap)) if self.gap else None, "mix_year": self.mix_year,
                "mix": [_clean(asdict(m)) for m in self.mix], "notes": self.notes,
                "workforce": self.workforce.to_dict() if self.workforce else None,
                "spend": self.spend.to_dict() if self.spend else None}

    def to_text(self) -> str:
        out = [f"{self.la.label}: children looked after per 10,000 children aged 0-17, year ending 31 March "
               f"{self.year}",
               f"Statistical neighbours ({self.neighbour_model} model): "
               + ", ".join(f"{n['la_name']} ({n['old_la_code']})" for n in self.neighbours)]
        for measure in MEASURES:
            out.append("")
            label = MEASURE_LABELS[measure]
            out.append(label[0].upper() + label[1:])
            out.append(f"  {'year':>4}  {'count':>6}  {'LA rate':>7}  {'SN median':>9}  {'SN mean':>7}  "
                       f"{'n':>2}  {'England':>7}")
            for r in (r for r in self.rates if r.measure == measure):
                out.append(f"  {r.year:>4}  {_f(r.la_count, 0):>6}  {_f(r.la_rate):>7}  "
                           f"{_f(r.neighbours_median):>9}  {_f(r.neighbours_mean):>7}  {r.neighbours_used:>2}  "
                           f"{_f(r.england_rate):>7}")
        if self.gap:
            g = self.gap
            out += ["", f"Gap in {g.year}: {_f(g.la_count, 0)} children looked after; at the neighbours' mean rate "
                    f"{_f(g.expected_at_neighbours_mean)} (median rate: {_f(g.expected_at_neighbours_median)}), "
                    f"a gap of {_f(g.gap_children)} children (median: {_f(g.gap_children_median)}).",
                    f"At {pounds(g.weekly_cost)} a week per child that is {pounds(g.gap_pounds_a_year)} a year "
                    f"({g.price_base}).",
                    f"Weekly cost: {g.cost_source}"]
        if self.spend:
            sp = self.spend
            out += ["", f"Spend on children looked after, {sp.year} ({sp.price_base}; {sp.source})",
                    f"  {'':<34}  {'per child a week':>16}  {'per head 0-17':>13}",
                    f"  {self.la.la_name[:34]:<34}  {pounds(sp.la_per_child_week):>16}  {pounds(sp.la_per_head):>13}",
                    f"  {'statistical neighbours (median)':<34}  {pounds(sp.neighbours_median):>16}  "
                    f"{pounds(sp.neighbours_median_per_head):>13}",
                    f"  {'England':<34}  {pounds(sp.england):>16}  {pounds(sp.england_per_head):>13}",
                    f"  ({sp.neighbours_used} neighbours with a figure; {sp.definition})"]
            for line in ("residential", "fostering"):
                la, en = sp.lines[line]["la"], sp.lines[line]["england"]
                out.append(f"  {line}: {pounds(la['per_child_week'])} a week per child ({la['children_basis']}"
                           f"{'; ' + la['reason'] if la['reason'] else ''}); England {pounds(en['per_child_week'])}")
        if self.mix:
            out += ["", f"Placement at 31 March {self.mix_year} (percent of children looked after; '-' where DfE "
                    "suppressed the figure)",
                    f"  {'placement':<60}  {'LA %':>5}  {'SN median':>9}  {'SN mean':>7}  {'n':>2}"]
            for m in self.mix:
                out.append(f"  {m.characteristic[:60]:<60}  {_f(m.la_share):>5}  {_f(m.neighbours_median):>9}  "
                           f"{_f(m.neighbours_mean):>7}  {m.neighbours_used:>2}")
        if self.workforce:
            out += ["", self.workforce.to_text()]
        if self.notes:
            out += [""] + [f"Note: {n}" for n in self.notes]
        return "\n".join(out)


def _f(x: float, digits: int = 1) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def _clean(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def _england_rate(data: DfeData, year: int, measure: str) -> float:
    n = data.national
    hit = n[(n.year == year) & (n.measure == measure)]
    if hit.empty:
        return math.nan
    pop = float(hit.population.iloc[0])
    if math.isnan(pop):
        p = data.population
        ph = p[(p.old_la_code == "england") & (p.year == year - 1)]
        pop = float(ph.population.iloc[0]) if len(ph) else math.nan
    return rate_per_10000(float(hit.value.iloc[0]), pop)


def _rate(data: DfeData, la: str, year: int, measure: str) -> tuple[float, float, float, str]:
    s = data.series
    hit = s[(s.old_la_code == la) & (s.year == year) & (s.measure == measure)]
    if hit.empty:
        return math.nan, math.nan, math.nan, "no figure in the data"
    count = float(hit.value.iloc[0])
    pop = data.population_for_rate(la, year)
    reason = str(hit.reason.iloc[0]) if math.isnan(count) else ("no population" if math.isnan(pop) else "")
    return count, pop, rate_per_10000(count, pop), reason


def neighbours_of(data: DfeData, la: str, model: str) -> list:
    table = data.neighbours.get(model)
    if table is None:
        raise CareflowError(f"no statistical neighbour file for the {model} model in the data folder "
                            f"(have: {', '.join(sorted(data.neighbours)) or 'none'})", rule="neighbours-missing")
    if la not in table:
        raise CareflowError(f"LA {la} is not in the {model} statistical neighbour list", rule="neighbours-missing")
    return table[la]


def benchmark(data: DfeData, la: str, year: int | None = None, *, neighbour_model: str = "2025",
              weekly_cost: float | None = None, first_year: int | None = None,
              csww: CswwData | None = None, outturn: Outturn | None = None) -> Benchmark:
    """Benchmark LA ``la`` (code or name) for ``year`` (default: the latest year with its stock). With ``csww``
    (the DfE workforce indicators) the benchmark has a workforce section for ``year`` when given, else for the
    latest workforce year. With an RO3 ``outturn``, the gap is priced at the LA's own net spend per child looked
    after and a ``spend`` section compares it with the neighbours and England."""
    given_year = year
    target = find_la(data, la)
    code = target.old_la_code
    have = data.series[(data.series.old_la_code == code) & data.series.value.notna()]
    if have.empty:
        raise CareflowError(f"no figures for {target.label} in the data", rule="benchmark-no-data")
    year = int(have[have.measure == "cla"].year.max() if (have.measure == "cla").any() else have.year.max()) \
        if year is None else int(year)
    if year not in set(data.series.year):
        raise CareflowError(f"no figures for {year} in the data (years: {data.years[0]}-{data.years[-1]})",
                            rule="benchmark-year", field="year")
    nbrs = neighbours_of(data, code, neighbour_model)
    names = dict(zip(data.las.old_la_code, data.las.la_name, strict=False))
    notes: list[str] = []
    years = [y for y in data.years if y <= year and (first_year is None or y >= first_year)]
    rates: list[RateRow] = []
    for measure in MEASURES:
        for y in years:
            count, pop, rate, _ = _rate(data, code, y, measure)
            nrates, missing = [], []
            for n in nbrs:
                _, _, r, why = _rate(data, n.old_la_code, y, measure)
                if math.isnan(r):
                    missing.append(f"{names.get(n.old_la_code, n.old_la_code)} ({n.old_la_code}): {why}")
                else:
                    nrates.append(r)
            if math.isnan(rate) and not nrates:
                continue
            rates.append(RateRow(y, measure, count, pop, rate,
                                 statistics.median(nrates) if nrates else math.nan,
                                 statistics.fmean(nrates) if nrates else math.nan, len(nrates),
                                 _england_rate(data, y, measure), missing))
    head = next((r for r in rates if r.measure == "cla" and r.year == year), None)
    gap = None
    if head and not math.isnan(head.la_rate) and head.neighbours_used:
        cost, source, base = _weekly_cost(data, code, weekly_cost, outturn, notes)
        exp_mean = head.neighbours_mean * head.la_population / 10000
        exp_median = head.neighbours_median * head.la_population / 10000
        g = head.la_count - exp_mean
        gap = Gap(year, head.la_count, exp_mean, exp_median, g, head.la_count - exp_median, cost, source,
                  g * cost * DAYS_PER_YEAR / DAYS_PER_WEEK, base)
        if head.missing_neighbours:
            notes.append(f"{year}: neighbours without a figure (left out of median and mean): "
                         + "; ".join(head.missing_neighbours))
    else:
        notes.append(f"no gap for {year}: the LA or all its neighbours lack children looked after at 31 March")
    mix_year, mix = placement_mix(data, code, [n.old_la_code for n in nbrs], year)
    if mix_year is not None and mix_year != year:
        notes.append(f"placement mix is for {mix_year}, the latest year with placement figures before {year}")
    spend = None
    if outturn is not None:
        spend = spend_against_neighbours(outturn, data, code, [n.old_la_code for n in nbrs])
        missing = [f"{r['la_name']} ({r['reason']})" for r in spend.neighbours if r["reason"]]
        if missing:
            notes.append(f"spend {outturn.year}: neighbours without a figure (left out of the median): "
                         + "; ".join(missing))
    workforce = None
    if csww is not None:
        workforce = workforce_benchmark(csww, code, [n.old_la_code for n in nbrs], given_year,
                                        population=lambda c, y: _population(data, c, y), names=names)
        if workforce is None:
            notes.append(f"no workforce figures for {target.label}"
                         + (f" in {given_year}" if given_year else "") + f" in {csww.file}")
    return Benchmark(target, year, neighbour_model,
                     [{"old_la_code": n.old_la_code, "la_name": names.get(n.old_la_code, "?"),
                       "closeness": n.closeness.strip()} for n in nbrs], rates, gap, mix_year, mix, notes,
                     workforce, spend)


def _weekly_cost(data: DfeData, code: str, given: float | None, outturn: Outturn | None,
                 notes: list[str]) -> tuple[float, str, str]:
    """The weekly cost that prices the gap: given, else the LA's own from the outturn, else England's."""
    if given is not None:
        return float(given), "given with --weekly-cost", "price base as given"
    if outturn is not None:
        own = unit_cost(outturn, data, code)
        if own.reason:
            notes.append(f"no {outturn.year} spend per child for the LA ({own.reason}): the gap is priced at "
                         "England's")
            own = unit_cost(outturn, data, None)
        if not own.reason:
            return (own.per_child_week, f"{outturn.source}: {own.la_name} net current expenditure on children looked "
                    f"after £{own.spend_k:,.0f}k over {own.children_basis}", own.price_base)
    return default_weekly_cost()


def _population(data: DfeData, code: str, year: int) -> float:
    """Children aged 0-17 for a rate in ``year``: the ONS mid-(year-1) estimate (England: ``code`` "england")."""
    p = data.population
    hit = p[(p.old_la_code == code) & (p.year == year - 1)]
    return float(hit.population.iloc[0]) if len(hit) else math.nan


def placement_mix(data: DfeData, la: str, neighbours: list[str], year: int,
                  group: str = "Placement") -> tuple[int | None, list[MixRow]]:
    """Share of children at 31 March in each placement group: the LA against its neighbours' median and mean
    (shares of neighbours with the figure; suppressed counts are left out, not guessed)."""
    ch = data.characteristics
    ch = ch[(ch.cla_group == group) & (ch.year <= year)]
    if ch[ch.old_la_code == la].empty:
        return None, []
    mix_year = int(ch[ch.old_la_code == la].year.max())
    ch = ch[ch.year == mix_year]

    def shares(code: str) -> dict[str, tuple[float, float, str]]:
        rows = ch[ch.old_la_code == code]
        total = rows[rows.characteristic.str.lower() == "total"].value
        t = float(total.iloc[0]) if len(total) else math.nan
        return {r.characteristic: (r.value, r.value / t * 100 if t and t == t else math.nan, r.reason)
                for r in rows.itertuples() if r.characteristic.lower() != "total"}

    own = shares(la)
    others = [shares(n) for n in neighbours]
    out = []
    for characteristic, (count, share, reason) in sorted(own.items()):
        vals = [o[characteristic][1] for o in others if characteristic in o and not math.isnan(o[characteristic][1])]
        out.append(MixRow(characteristic, count, share, statistics.median(vals) if vals else math.nan,
                          statistics.fmean(vals) if vals else math.nan, len(vals), str(reason or "")))
    return mix_year, out
