"""The register as tables a person reads: the list of cases with filters, delivery by year with its RAG,
indicators against their targets, and the MTFS roll-up of the register by council.

Every function takes cases (or stored cases) and returns plain typed rows; nothing here reads a form or writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from careflow.register import financials as fin
from careflow.register.model import BusinessCase, Rag, rag
from careflow.register.store import StoredCase

NO_RAG = "none"  # a case with no savings tracked yet (the filter's word for it)
NOT_STATED = "not stated"


@dataclass(frozen=True)
class CaseRow:
    """One line of the register's list."""

    reference: str
    title: str
    authority: str
    directorate: str
    status: str
    version: int
    units: str
    net_saving: float | None  # the last stated year's net saving against the baseline (what the MTFS counts)
    net_saving_year: str | None
    rag: str  # delivery RAG of the latest tracked year with evidence (a Rag value), or NO_RAG
    rag_year: str | None
    updated_at: dt.datetime
    updated_by: str


def delivery_rag(case: BusinessCase) -> tuple[Rag | None, str | None]:
    """The case's delivery RAG now: that of the latest tracked year with a forecast or a delivered saving, else
    "not started" when savings are planned and nothing is tracked yet; (None, None) for a case without figures."""
    with_evidence = [e for e in case.tracking if e.rag is not None and e.rag != Rag.NOT_STARTED]
    if with_evidence:
        latest = with_evidence[-1]
        return latest.rag, latest.year
    planned = fin.planned_savings(case.financials)
    if planned:
        first = next(iter(planned))
        return Rag.NOT_STARTED, first
    return None, None


def case_row(stored: StoredCase) -> CaseRow:
    c = stored.case
    planned = fin.planned_savings(c.financials)
    last = list(planned)[-1] if planned else None
    r, year = delivery_rag(c)
    return CaseRow(c.reference, c.title or "", c.authority or NOT_STATED, c.directorate or NOT_STATED,
                   c.status.value, stored.version, fin.units(c.financials) or "",
                   planned[last] if last else None, last, r.value if r is not None else NO_RAG, year,
                   stored.updated_at, stored.updated_by)


def case_rows(stored: Iterable[StoredCase], *, authority: str | None = None, status: str | None = None,
              rag_filter: str | None = None) -> list[CaseRow]:
    """The register's list, optionally only the cases of one authority, status and delivery RAG (blank or None
    means any)."""
    rows = [case_row(s) for s in stored]
    return [r for r in rows if (not authority or r.authority == authority) and (not status or r.status == status)
            and (not rag_filter or r.rag == rag_filter)]


def facets(rows: Iterable[CaseRow]) -> dict[str, list[str]]:
    """The values each filter can take, from the cases there are: authority, status and rag."""
    rows = list(rows)
    return {"authority": sorted({r.authority for r in rows}),
            "status": sorted({r.status for r in rows}),
            "rag": sorted({r.rag for r in rows})}


@dataclass(frozen=True)
class DeliveryRow:
    """Savings in one financial year: planned (from tracking, else the case's net saving), forecast, delivered,
    all against the baseline (cumulative basis) in the case's units, and the RAG."""

    year: str
    planned: float | None
    planned_incremental: float | None  # the case's new saving in that year (from its figures)
    forecast: float | None
    delivered: float | None
    rag: Rag | None
    note: str | None


def delivery_table(case: BusinessCase) -> list[DeliveryRow]:
    """Every year the case plans a saving in, and any other year tracked, in year order."""
    plan = fin.planned_savings(case.financials)
    increments = fin.planned_incremental(case.financials)
    tracked = {e.year: e for e in case.tracking}
    rows = []
    for year in sorted(set(plan) | set(tracked)):
        e = tracked.get(year)
        planned = e.planned if e is not None and e.planned is not None else plan.get(year)
        forecast = e.forecast if e is not None else None
        delivered = e.delivered if e is not None else None
        rows.append(DeliveryRow(year, planned, increments.get(year), forecast, delivered,
                                rag(planned, forecast, delivered), e.note if e is not None else None))
    return rows


@dataclass(frozen=True)
class IndicatorRow:
    """An indicator's latest actual against its baseline and target."""

    name: str
    unit: str | None
    baseline: float | str | None
    target: float | str | None
    latest_period: str | None
    latest: float | None
    progress: float | None  # share of the way from baseline to target (1.0 = target met); None if not numeric
    met: bool | None
    periods: int  # how many periods have an actual


def _number(value) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def indicator_table(case: BusinessCase) -> list[IndicatorRow]:
    """Each indicator's latest actual against its target. Progress is measured from the baseline towards the
    target, whichever way the target points (fewer children entering care, or more direct time), so it reads the
    same for both: 0 at the baseline, 1 at the target."""
    out = []
    for ind in case.indicators:
        latest_period = max(ind.actuals) if ind.actuals else None
        latest = ind.actuals[latest_period] if latest_period else None
        base, target = _number(ind.baseline), _number(ind.target)
        progress = met = None
        if latest is not None and base is not None and target is not None and target != base:
            progress = (latest - base) / (target - base)
            met = progress >= 1
        out.append(IndicatorRow(ind.name, ind.unit, ind.baseline, ind.target, latest_period, latest, progress, met,
                                len(ind.actuals)))
    return out


def register_portfolios(cases: Iterable[BusinessCase], *, authority: str | None = None,
                        units: str = "£k") -> list:
    """The MTFS roll-up of the cases with figures, one :class:`~careflow.finance.Portfolio` per council (never
    adding different councils' savings together), in ``units``; only ``authority``'s when given."""
    from careflow.finance.portfolio import NOT_STATED_AUTHORITY, rollup_by_authority

    finance_cases = [fc for c in cases if (fc := fin.finance_case(c)) is not None]
    if authority:
        finance_cases = [fc for fc in finance_cases if (fc.authority or NOT_STATED_AUTHORITY) == authority]
    if not finance_cases:
        return []
    return rollup_by_authority(finance_cases, units)


def by_authority(portfolios: Iterable, measure: str = "savings_incremental") -> pd.DataFrame:
    """One row per council, its savings (``savings_incremental`` or ``savings_cumulative``) or ``investment`` by
    financial year and its total (the last year's level for cumulative). No grand total: councils' budgets are not
    added together. A year outside a council's cases is left empty (NaN), not zero."""
    rows = {}
    for p in portfolios:
        by_year = p.by_year()
        values = by_year[measure].drop("Total")
        rows[p.authority] = {**values.to_dict(), "Total": float(by_year.loc["Total", measure])}
    table = pd.DataFrame.from_dict(rows, orient="index")
    years = sorted(c for c in table.columns if c != "Total")
    return table.reindex(columns=[*years, "Total"]) if rows else table


def portfolio_years(portfolio) -> list[dict]:
    """A council's roll-up by financial year as :func:`careflow.reports.mtfs_chart` draws it: investment, savings
    against the baseline (net of ongoing costs, cumulative basis) and the programme's cumulative net (savings less
    investment, summed over the years)."""
    by_year = portfolio.by_year().drop("Total")
    out, running = [], 0.0
    for year, row in by_year.iterrows():
        running += float(row["savings_cumulative"]) - float(row["investment"])
        out.append({"financial_year": year, "investment": float(row["investment"]),
                    "savings": float(row["savings_cumulative"]), "ongoing_costs": 0.0, "cumulative_net": running})
    return out
