"""MTFS roll-up: many business cases into one table by financial year, incremental and cumulative, by directorate,
type of saving and delivery status (RAG), with totals (DESIGN.md section 7).

Savings are net of ongoing costs (as MTFS tables report them). Cumulative is each year's saving against the baseline;
incremental is the new saving in the year. Over the portfolio's years a recurring case keeps its last stated saving;
a non-recurring one drops to zero after its last stated year (a negative increment: the saving falls out).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import pandas as pd

from careflow.errors import CareflowError
from careflow.finance import profile as prof
from careflow.finance.case import UNITS, Case
from careflow.fy import FinancialYear, fy_range
from careflow.vocabulary import DeliveryStatus

DIMENSIONS = ("directorate", "saving_type", "rag", "reference")
NONE_LABEL = "(not stated)"
COLUMNS = ["reference", "line", "directorate", "saving_type", "rag", "financial_year", "investment",
           "savings_incremental", "savings_cumulative"]


def _rag(case: Case, line_rag) -> str:
    if line_rag is not None:
        return str(line_rag)
    if case.financials.rag is not None:
        return str(case.financials.rag)
    status = case.financials.status
    if isinstance(status, str) and status.strip().lower().replace(" ", "_") in DeliveryStatus.__members__:
        return status.strip().lower().replace(" ", "_")
    return DeliveryStatus.planned.value


@dataclass(frozen=True)
class StatedTotal:
    item: str
    stated: float
    computed: float
    ok: bool

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Portfolio:
    units: str
    years: list[FinancialYear]
    long: pd.DataFrame  # one row per case (or line), financial year
    cases: list[str] = field(default_factory=list)
    checks: list[StatedTotal] = field(default_factory=list)
    authority: str = ""  # the council (or councils, when added together on request)
    # each case's price base and, where its savings come from a scenario, the scenario (reference -> text)
    price_bases: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def by_year(self) -> pd.DataFrame:
        """Investment and savings (incremental, cumulative) by financial year, with a Total row."""
        g = self.long.groupby("financial_year", sort=False)[["investment", "savings_incremental",
                                                             "savings_cumulative"]].sum()
        g = g.reindex([y.label for y in self.years]).fillna(0.0)
        total = pd.DataFrame({"investment": [g["investment"].sum()],
                              "savings_incremental": [g["savings_incremental"].sum()],
                              "savings_cumulative": [g["savings_cumulative"].iloc[-1] if len(g) else 0.0]},
                             index=["Total"])
        out = pd.concat([g, total])
        out.index.name = "financial_year"
        return out

    def table(self, by: str, measure: str = "savings_incremental") -> pd.DataFrame:
        """Groups of ``by`` (directorate, saving_type, rag, reference) against financial years, with totals.
        The Total column sums incremental savings and investment; for cumulative it is the last year's level."""
        if by not in DIMENSIONS:
            raise ValueError(f"by must be one of {', '.join(DIMENSIONS)}")
        p = self.long.pivot_table(index=by, columns="financial_year", values=measure, aggfunc="sum",
                                  fill_value=0.0)
        p = p.reindex(columns=[y.label for y in self.years], fill_value=0.0)
        p["Total"] = p.iloc[:, -1] if measure == "savings_cumulative" else p.sum(axis=1)
        p.loc["Total"] = p.sum(axis=0)
        p.columns.name = None
        return p

    def check_totals(self, incremental_by_year: dict | None = None, total: float | None = None,
                     investment_by_year: dict | None = None) -> list[StatedTotal]:
        """Compare totals a document states (e.g. an MTFS table's total row) with the roll-up; kept in
        :attr:`checks`."""
        from careflow.finance.checks import agrees

        by_year = self.by_year()
        out = []
        for name, stated, column in (("savings", incremental_by_year, "savings_incremental"),
                                     ("investment", investment_by_year, "investment")):
            for year, value in (stated or {}).items():
                label = FinancialYear.parse(year).label
                computed = float(by_year[column].get(label, 0.0))
                out.append(StatedTotal(f"{name} {label}", float(value), computed, agrees(float(value), computed)))
        if total is not None:
            computed = float(by_year.loc["Total", "savings_incremental"])
            out.append(StatedTotal("total savings", float(total), computed, agrees(float(total), computed)))
        self.checks.extend(out)
        return out

    def to_dict(self) -> dict:
        by_year = self.by_year().reset_index()
        return {
            "authority": self.authority, "units": self.units, "cases": self.cases,
            "years": [y.label for y in self.years],
            "by_year": by_year.to_dict(orient="records"),
            "by": {dim: {measure: self.table(dim, measure).reset_index(names=dim).to_dict(orient="records")
                         for measure in ("savings_incremental", "savings_cumulative")}
                   for dim in ("directorate", "saving_type", "rag")},
            "checks": [c.to_dict() for c in self.checks],
            "ok": self.ok,
        }

    def breakdown(self) -> pd.DataFrame:
        """A tidy table for CSV: breakdown, group, financial_year, investment, savings_incremental,
        savings_cumulative (rows for every dimension, and a 'total' financial year)."""
        frames = []
        for dim in ("all", "directorate", "saving_type", "rag", "reference"):
            key = ["financial_year"] if dim == "all" else [dim, "financial_year"]
            g = self.long.groupby(key, sort=False)[["investment", "savings_incremental",
                                                    "savings_cumulative"]].sum().reset_index()
            g["group"] = "all" if dim == "all" else g[dim]
            g["breakdown"] = dim
            totals = []
            for group, sub in g.groupby("group", sort=False):
                sub = sub.set_index("financial_year").reindex([y.label for y in self.years]).fillna(0.0)
                totals.append({"breakdown": dim, "group": group, "financial_year": "total",
                               "investment": sub["investment"].sum(),
                               "savings_incremental": sub["savings_incremental"].sum(),
                               "savings_cumulative": sub["savings_cumulative"].iloc[-1]})
            frames.append(g[["breakdown", "group", "financial_year", "investment", "savings_incremental",
                             "savings_cumulative"]])
            frames.append(pd.DataFrame(totals))
        return pd.concat(frames, ignore_index=True)


NOT_STATED_AUTHORITY = "authority not stated"


def authority_of(case: Case) -> str:
    return case.authority or NOT_STATED_AUTHORITY


def by_authority(cases: Iterable[Case]) -> dict[str, list[Case]]:
    """Cases grouped by council, councils in name order."""
    out: dict[str, list[Case]] = {}
    for c in cases:
        out.setdefault(authority_of(c), []).append(c)
    return dict(sorted(out.items()))


def rollup_by_authority(cases: Iterable[Case], units: str | None = None) -> list[Portfolio]:
    """One MTFS roll-up per council: different councils' budgets are never added together."""
    return [rollup(group, units) for group in by_authority(cases).values()]


def rollup(cases: Iterable[Case], units: str | None = None, *, combine_authorities: bool = False) -> Portfolio:
    """Roll cases up into an MTFS table. Amounts are converted to ``units`` (default: the cases' common units,
    or £k when they differ). Cases of different councils are refused unless ``combine_authorities``."""
    cases = list(cases)
    if not cases:
        raise CareflowError("no business cases to roll up", rule="portfolio")
    councils = list(by_authority(cases))
    if len(councils) > 1 and not combine_authorities:
        raise CareflowError(f"the cases come from {len(councils)} councils ({'; '.join(councils)}): one MTFS "
                            "total would add different councils' budgets together. Roll each council up on its "
                            "own (rollup_by_authority; careflow portfolio does by default) or ask for the sum "
                            "(combine_authorities=True, --combine-authorities)", rule="portfolio-authorities")
    seen: dict[str, str] = {}
    for c in cases:
        if c.reference in seen:
            raise CareflowError(f"reference {c.reference} appears twice ({seen[c.reference]} and {c.file})",
                                file=c.file, field="reference", rule="portfolio")
        seen[c.reference] = str(c.file)
    if units is None:
        found = {c.financials.units for c in cases}
        units = found.pop() if len(found) == 1 else "£k"
    first = min(c.financials.start for c in cases)
    last = max(c.financials.last_stated_year for c in cases)
    years = fy_range(first, last)
    labels = [y.label for y in years]
    records = []
    for case in cases:
        fin = case.financials
        scale = fin.pounds_per_unit / UNITS[units]
        # contributors: the case itself for flows it states, else its lines
        contributors: dict[str | None, dict] = {}

        def add(name, line, flow, values, contributors=contributors):
            entry = contributors.setdefault(name, {"line": line, "investment": {}, "savings": {},
                                                   "ongoing_costs": {}})
            entry[flow] = values

        for flow in ("investment", "savings", "ongoing_costs"):
            if getattr(fin, flow) is not None or not fin.lines:
                add(None, None, flow, fin.flow(flow))
            else:
                for line in fin.lines:
                    if getattr(line, flow):
                        add(line.name, line, flow, dict(getattr(line, flow)))
        for name, entry in contributors.items():
            line = entry["line"]
            savings = entry["savings"]
            levels = prof.to_cumulative(savings) if fin.savings_basis == "incremental" else savings
            net = prof.add(levels, {y: -v for y, v in entry["ongoing_costs"].items()})
            net = prof.extend(net, last, fin.recurring)
            previous = 0.0
            directorate = (line.directorate if line is not None and line.directorate else None) \
                or fin.directorate or NONE_LABEL
            saving_type = str((line.saving_type if line is not None and line.saving_type else None)
                              or fin.saving_type)
            rag = _rag(case, line.rag if line is not None else None)
            for year, label in zip(years, labels, strict=True):
                level = net.get(year, 0.0) * scale
                records.append({"reference": case.reference, "line": name or "", "directorate": directorate,
                                "saving_type": saving_type, "rag": rag, "financial_year": label,
                                "investment": entry["investment"].get(year, 0.0) * scale,
                                "savings_incremental": level - previous, "savings_cumulative": level})
                previous = level
    long = pd.DataFrame.from_records(records, columns=COLUMNS)
    return Portfolio(units=units, years=years, long=long, cases=[c.reference for c in cases],
                     authority=" + ".join(councils),
                     price_bases={c.reference: c.financials.price_base or "not stated" for c in cases},
                     sources={c.reference: c.financials.savings_source for c in cases
                              if c.financials.savings_source})


STATED_TOTALS_KEYS = ("units", "savings_incremental_by_year", "investment_by_year", "total_savings", "source",
                      "notes")


def check_stated_totals_file(portfolio: Portfolio, path) -> list[StatedTotal]:
    """Check a portfolio against a YAML file of stated totals (``units``, ``savings_incremental_by_year``,
    ``investment_by_year``, ``total_savings``), e.g. the total row of an MTFS table."""
    from careflow import numbers, yamlio

    doc = yamlio.load(path)
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "a stated-totals file must be a mapping")
    for key in data:
        if key not in STATED_TOTALS_KEYS:
            raise doc.error((str(key),), f"unknown key '{key}' (expected {', '.join(STATED_TOTALS_KEYS)})")
    if not isinstance(data.get("units"), str) or data["units"] not in UNITS:
        raise doc.error(("units",), "'units' is required: £ or £k")
    scale = UNITS[data["units"]] / UNITS[portfolio.units]
    converted = {}
    for key in ("savings_incremental_by_year", "investment_by_year"):
        values = data.get(key) or {}
        if not isinstance(values, dict):
            raise doc.error((key,), "expected a mapping of financial year to amount")
        out = {}
        for year, value in values.items():
            try:
                FinancialYear.parse(str(year))
            except ValueError as exc:
                raise doc.error((key, str(year)), str(exc)) from None
            try:
                out[str(year)] = numbers.finite(value) * scale
            except ValueError as exc:
                raise doc.error((key, str(year)), str(exc)) from None
        converted[key] = out
    total = data.get("total_savings")
    if total is not None:
        try:
            total = numbers.finite(total)
        except ValueError as exc:
            raise doc.error(("total_savings",), str(exc)) from None
    return portfolio.check_totals(converted["savings_incremental_by_year"],
                                  None if total is None else total * scale, converted["investment_by_year"])
