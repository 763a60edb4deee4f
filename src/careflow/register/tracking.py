"""Delivery tracking beyond savings: indicators filled in from the data, the benefits profile and the risk register.

- :func:`refresh_indicators`: every indicator bound to a data measure (``source: indicators.<measure>``, see
  :mod:`careflow.indicators.measures`) or to a cohort (``source: cohort.<in_care|left|not_looked_after|entered>``
  with ``cohort: {children, start, months}``) gets its actuals from the data (rounded to 2 decimals), stamped with
  when, by whom and from which data (``loaded``). Periods the data covers are replaced; other periods keep what was
  recorded.
- :func:`benefits_profile`: planned against actual by year, financial (savings: planned, forecast, delivered) and
  non-financial (indicators: targets against actuals).
- :func:`risk_register`: the risks of many cases in one list, highest score (likelihood x impact) first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from careflow.errors import CareflowError, Finding
from careflow.register import financials as fin
from careflow.register.model import BusinessCase, Indicator, Loaded


def _data_label(data, label: str | None) -> str:
    years = f"{data.years[0]} to {data.years[-1]}" if data.years else "no years"
    return f"{label or ', '.join(data.files[:3]) + (' ...' if len(data.files) > 3 else '')} ({years})"


def _cohort_values(indicator: Indicator, data, base_dir: Path | None) -> dict[str, float]:
    from careflow.indicators import follow, read_children

    spec = indicator.cohort
    path = Path(spec.children)
    if not path.is_absolute() and not path.exists() and base_dir is not None:
        path = Path(base_dir) / path
    if not path.exists():
        raise CareflowError(Finding("indicator-cohort", f"indicator {indicator.name!r}: children file "
                                    f"{spec.children!r} not found" + (f" (nor in {base_dir})" if base_dir else ""),
                                    file=str(path), field="cohort.children"))
    cohort = follow(data, read_children(path), spec.start, spec.months)
    measure = indicator.source.partition(".")[2]
    out = {}
    for p in cohort.status:
        value = getattr(p, measure)
        if value is None:
            continue  # after the end of the data: no value yet
        out[p.date.date().isoformat()] = float(sum(value.values()) if isinstance(value, dict) else value)
    return out


def refresh_indicators(case: BusinessCase, data, *, population=None, local=None, base_dir: str | Path | None = None,
                       user: str, data_label: str | None = None,
                       now: dt.datetime | None = None) -> tuple[BusinessCase, list[str]]:
    """``case`` with the actuals of its data-bound indicators filled in from ``data`` (an
    :class:`~careflow.ssda903.Ssda903Data`), and one line per indicator saying what was filled in."""
    from careflow.indicators import compute

    bound = [i for i in case.indicators if i.source]
    if not bound:
        raise CareflowError(Finding("indicator-source", f"{case.reference!r} has no indicator bound to data "
                                    "(source: indicators.<measure> or cohort.<measure>)", field="indicators"))
    stamp = Loaded(at=(now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"), by=user,
                   data=_data_label(data, data_label),
                   data_end=data.data_end.date().isoformat() if data.data_end is not None else None)
    table = None
    out, messages, findings = [], [], []
    for ind in case.indicators:
        if not ind.source:
            out.append(ind)
            continue
        try:
            if ind.source.startswith("indicators."):
                if table is None:
                    table = compute(data, population=population, local=local)
                # two decimals: what a tracker shows, and exact through an Excel round trip
                values = {k: round(v, 2) for k, v in table.series(ind.source.partition(".")[2]).items()}
            else:
                values = _cohort_values(ind, data, Path(base_dir) if base_dir else None)
        except CareflowError as exc:
            findings += [Finding(**{**f.to_dict(), "message": f"indicator {ind.name!r}: {f.message}"})
                         for f in exc.findings]
            continue
        if not values:
            messages.append(f"{ind.name}: no values from {ind.source}"
                            + (" (give the population for per_10000)" if ind.source.endswith("per_10000") else ""))
        else:
            latest = max(values)
            messages.append(f"{ind.name}: {len(values)} value(s) from {ind.source}, latest {latest} "
                            f"{values[latest]:g}")
        actuals = dict(sorted({**ind.actuals, **values}.items()))
        out.append(ind.model_copy(update={"actuals": actuals, "loaded": stamp}))
    if findings:
        raise CareflowError(findings)
    return case.model_copy(update={"indicators": out}), messages


@dataclass(frozen=True)
class BenefitRow:
    """One line of a benefits profile: a financial or non-financial benefit in one period."""

    kind: str  # "financial" or "non-financial"
    name: str
    unit: str | None
    period: str
    planned: float | None
    forecast: float | None
    actual: float | None


def benefits_profile(case: BusinessCase) -> list[BenefitRow]:
    """Planned against actual by period: savings by financial year (planned from the case's savings unless
    tracking says otherwise; forecast and delivered from tracking), then each indicator's targets and actuals."""
    rows = []
    planned = fin.planned_savings(case.financials)
    tracked = {e.year: e for e in case.tracking}
    units = fin.units(case.financials)
    for year in sorted(set(planned) | set(tracked)):
        e = tracked.get(year)
        rows.append(BenefitRow("financial", "savings", units, year,
                               e.planned if e and e.planned is not None else planned.get(year),
                               e.forecast if e else None, e.delivered if e else None))
    for ind in case.indicators:
        for period in sorted(set(ind.targets) | set(ind.actuals)):
            rows.append(BenefitRow("non-financial", ind.name, ind.unit, period, ind.targets.get(period), None,
                                   ind.actuals.get(period)))
    return rows


@dataclass(frozen=True)
class RiskEntry:
    """A risk of one case, as the risk register across cases lists it."""

    reference: str
    title: str
    likelihood: str | int | None
    impact: str | int | None
    score: int | None
    owner: str | None
    review_date: str | None
    mitigation: str | None

    def overdue(self, today: dt.date | None = None) -> bool:
        try:
            due = dt.date.fromisoformat(self.review_date) if self.review_date else None
        except ValueError:
            return False
        return due is not None and due < (today or dt.date.today())


def risk_register(cases: list[BusinessCase]) -> list[RiskEntry]:
    """Every risk of every case, highest score first; unscored risks last; then by review date and reference."""
    entries = [RiskEntry(c.reference, r.title, r.likelihood, r.impact, r.score, r.owner, r.review_date, r.mitigation)
               for c in cases for r in c.risks]
    return sorted(entries, key=lambda e: (e.score is None, -(e.score or 0), e.review_date or "9999",
                                          e.reference, e.title))

