"""Checks of every figure a business case states: each is recomputed and listed with item, stated, computed, ok.

A stated figure agrees when it equals the computed one to the precision it is stated at (half a unit of its last
decimal place: 1.72 agrees with 1.7169; 13,978 does not agree with 12,978).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from careflow.finance import profile as prof
from careflow.finance.case import CaseFinancials


@dataclass(frozen=True)
class Check:
    item: str
    stated: float | None
    computed: float | None
    ok: bool
    field: str | None = None  # where the stated figure is in the case file (dotted key path)
    note: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text or "E" in text:
        return 6
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    return len(frac)


def agrees(stated: float, computed: float | None) -> bool:
    """Equal to the precision of the stated figure."""
    if computed is None:
        return False
    tolerance = 0.5 * 10 ** (-_decimals(stated))
    return abs(stated - computed) <= tolerance + 1e-9 * max(1.0, abs(stated))


def _check(item: str, stated: float | None, computed: float | None, field: str, note: str | None = None
           ) -> list[Check]:
    if stated is None:
        return []
    return [Check(item=item, stated=float(stated), computed=None if computed is None else float(computed),
                  ok=agrees(stated, computed), field=field, note=note)]


def _by_year(item: str, stated: dict | None, computed: dict, field: str) -> list[Check]:
    if not stated:
        return []
    out = []
    for year, value in sorted(stated.items()):
        out += _check(f"{item} {year.label}", value, computed.get(year, 0.0), f"{field}.{year.label}")
    return out


def _in_basis(fin: CaseFinancials, levels: prof.Profile) -> prof.Profile:
    return prof.to_incremental(levels) if fin.savings_basis == "incremental" else levels


def check_stated(fin: CaseFinancials, appraisal) -> list[Check]:
    """Recompute every figure the case states (``stated``, line totals, case figures against their lines)."""
    s = fin.stated
    m = appraisal.measures
    inv = fin.flow("investment")
    sav = fin.flow("savings")
    ong = fin.flow("ongoing_costs")
    net_levels = {y: fin.savings_levels.get(y, 0.0) - ong.get(y, 0.0)
                  for y in sorted(set(fin.savings_levels) | set(ong))}
    out: list[Check] = []
    out += _check("total investment", s.total_investment, sum(inv.values()), "stated.total_investment")
    out += _check(f"total savings ({fin.savings_basis} row as written)", s.total_savings, sum(sav.values()),
                  "stated.total_savings")
    out += _check("total ongoing costs", s.total_ongoing_costs, sum(ong.values()), "stated.total_ongoing_costs")
    out += _check("total savings years 1 to 5", s.total_savings_years_1_to_5, m.total_savings_years_1_to_5,
                  "stated.total_savings_years_1_to_5", "net savings from the first savings year")
    out += _check("total savings years 1 to 10", s.total_savings_years_1_to_10, m.total_savings_years_1_to_10,
                  "stated.total_savings_years_1_to_10", "net savings from the first savings year")
    out += _check("payback years (simple)", s.payback_years, m.payback_years_simple, "stated.payback_years",
                  None if m.payback_years_simple is not None else "payback not reached")
    out += _check("payback years (cash-flow)", s.payback_years_cashflow, m.payback_years_cashflow,
                  "stated.payback_years_cashflow",
                  None if m.payback_years_cashflow is not None else "payback not reached")
    out += _check("NPV", s.npv, m.npv, "stated.npv")
    out += _check("benefit-cost ratio", s.benefit_cost_ratio, m.benefit_cost_ratio, "stated.benefit_cost_ratio")
    out += _by_year("investment", s.investment_by_year, inv, "stated.investment_by_year")
    out += _by_year("savings", s.savings_by_year, sav, "stated.savings_by_year")
    out += _by_year("net savings", s.net_savings_by_year, _in_basis(fin, net_levels), "stated.net_savings_by_year")
    out += _by_year("ongoing costs", s.ongoing_costs_by_year, ong, "stated.ongoing_costs_by_year")

    # case-level figures against the column totals of their lines
    sums = fin.line_sums()
    for flow in ("investment", "savings", "ongoing_costs"):
        own = getattr(fin, flow)
        if own is None or not sums[flow]:
            continue
        for year in sorted(set(own) | set(sums[flow])):
            out += _check(f"{flow.replace('_', ' ')} {year.label}: case figure against the sum of lines",
                          own.get(year, 0.0), sums[flow].get(year, 0.0), f"{flow}.{year.label}")
    for i, line in enumerate(fin.lines):
        if line.stated is None:
            continue
        for flow in ("investment", "savings", "ongoing_costs"):
            out += _check(f"line {line.name} total {flow.replace('_', ' ')}", getattr(line.stated, f"total_{flow}"),
                          sum(getattr(line, flow).values()), f"lines.{i}.stated.total_{flow}")
    return out
