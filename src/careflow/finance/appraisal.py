"""Invest-to-save appraisal: net flows by year, totals, payback (two conventions), NPV, benefit-cost ratio,
sensitivity and switching values (DESIGN.md section 7).

Conventions
- Net savings of a year = savings (against the baseline) less ongoing costs; totals and payback use net savings.
- Savings and ongoing costs after the last stated year continue at the last stated level when ``recurring``.
- Payback "simple": total investment against cumulative net savings counted from the start of the first savings
  year, interpolated linearly within the year (H&F BC2: 1 + (1,701 - 797) / 1,261 = 1.72 years).
- Payback "cash-flow": net flows (savings - ongoing costs - investment) in their actual years from the start of the
  first year of the case; the point after which the cumulative net stays at or above zero, interpolated linearly.
- NPV: flows of years t = 0 (first year of the case) .. horizon-1, discounted with :mod:`careflow.finance.discount`;
  optimism bias raises costs and lowers savings by the stated percentages. Payback and totals are unadjusted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from careflow.finance import profile as prof
from careflow.finance.case import Case, CaseFinancials
from careflow.finance.discount import discount_factors
from careflow.fy import FinancialYear

RECURRING_YEARS = 300  # how far recurring savings are followed when looking for payback


@dataclass(frozen=True)
class YearRow:
    financial_year: str
    t: int
    investment: float
    savings: float  # against the baseline (cumulative basis)
    savings_incremental: float  # the new saving in the year
    ongoing_costs: float
    net_savings: float
    net: float
    cumulative_net: float
    discount_factor: float
    present_value: float
    stated: bool  # a year the case states (False: carried forward as recurring)


@dataclass(frozen=True)
class Measures:
    payback_years_simple: float | None
    payback_years_cashflow: float | None
    total_investment: float
    total_savings_years_1_to_5: float
    total_savings_years_1_to_10: float
    npv: float
    npv_before_optimism_bias: float
    pv_benefits: float
    pv_costs: float
    benefit_cost_ratio: float | None
    first_year: str
    first_savings_year: str | None
    horizon_years: int
    discount: str


@dataclass(frozen=True)
class Sensitivity:
    variable: str  # "savings" or "costs" (investment and ongoing costs)
    change_pct: float
    npv: float
    payback_years_simple: float | None
    payback_years_cashflow: float | None


@dataclass(frozen=True)
class SwitchingValues:
    """The percentage change that brings NPV to zero (None when the flow is zero)."""

    savings_pct: float | None
    investment_pct: float | None
    ongoing_costs_pct: float | None


@dataclass
class Appraisal:
    reference: str | None
    title: str | None
    units: str
    years: list[YearRow]
    measures: Measures
    sensitivity: list[Sensitivity]
    switching: SwitchingValues
    checks: list = field(default_factory=list)  # list[Check]
    file: str | None = None
    price_base: str | None = None  # as the case states it (or its scenario's)
    savings_source: str | None = None  # the scenario the savings come from, when they do
    # P10, mean and P90 of the savings by year (cumulative basis, the case's units) when the case has a range
    savings_range: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every stated figure agrees with its recomputation."""
        return all(c.ok for c in self.checks)

    @property
    def failed_checks(self) -> list:
        return [c for c in self.checks if not c.ok]

    def to_dict(self) -> dict:
        return {
            "reference": self.reference, "title": self.title, "file": self.file, "units": self.units,
            "measures": asdict(self.measures),
            "years": [asdict(r) for r in self.years],
            "sensitivity": [asdict(s) for s in self.sensitivity],
            "switching_values_pct": asdict(self.switching),
            "checks": [c.to_dict() for c in self.checks],
            "ok": self.ok,
            "price_base": self.price_base, "savings_source": self.savings_source,
            "savings_range": list(self.savings_range),
        }


@dataclass(frozen=True)
class Flows:
    """Annual flows from year 0 (the first year of the case), long enough for every measure."""

    start: FinancialYear
    investment: list[float]
    savings: list[float]
    ongoing_costs: list[float]
    n_stated: int
    first_savings_index: int | None

    @property
    def net_savings(self) -> list[float]:
        return [s - c for s, c in zip(self.savings, self.ongoing_costs, strict=True)]

    @property
    def net(self) -> list[float]:
        return [s - c - i for s, c, i in zip(self.savings, self.ongoing_costs, self.investment, strict=True)]

    def scaled(self, savings: float = 1.0, investment: float = 1.0, ongoing_costs: float = 1.0) -> Flows:
        return Flows(self.start, [x * investment for x in self.investment], [x * savings for x in self.savings],
                     [x * ongoing_costs for x in self.ongoing_costs], self.n_stated, self.first_savings_index)


def flows_of(fin: CaseFinancials, length: int | None = None) -> Flows:
    """The case's flows by year from its first year; recurring savings and costs carried forward."""
    start = fin.start
    last = fin.last_stated_year
    n_stated = last - start + 1
    levels = fin.savings_levels
    nonzero = [y for y, v in levels.items() if v != 0]
    first_savings = min(nonzero) if nonzero else None
    first_index = None if first_savings is None else first_savings - start
    n = length or max(n_stated, (first_index or 0) + 10, RECURRING_YEARS if fin.recurring else 0)
    end = start + (n - 1)
    sav = prof.extend(levels, end, fin.recurring)
    ong = prof.extend(fin.flow("ongoing_costs"), end, fin.recurring)
    inv = fin.flow("investment")
    years = [start + t for t in range(n)]
    return Flows(start, [inv.get(y, 0.0) for y in years], [sav.get(y, 0.0) for y in years],
                 [ong.get(y, 0.0) for y in years], n_stated, first_index)


def payback_simple(flows: Flows) -> float | None:
    """Years from the start of the first savings year until cumulative net savings cover total investment."""
    total = sum(flows.investment)
    if total <= 0:
        return 0.0
    if flows.first_savings_index is None:
        return None
    cum = 0.0
    for k, s in enumerate(flows.net_savings[flows.first_savings_index:]):
        if s > 0 and cum + s >= total:
            return k + (total - cum) / s
        cum += s
    return None


def payback_cashflow(flows: Flows) -> float | None:
    """Years from the start of the case until cumulative net flows turn (and stay) non-negative."""
    cum = 0.0
    crossing: float | None = 0.0
    for t, n in enumerate(flows.net):
        before = cum
        cum += n
        if cum < 0:
            crossing = None
        elif crossing is None:
            crossing = t + (-before) / n  # n > 0 here: cum went from below zero to zero or above
    return crossing


def _present_values(flows: Flows, fin: CaseFinancials, horizon: int, factors: list[float],
                    with_bias: bool = True) -> tuple[float, float, float, float]:
    """PV of benefits, investment and ongoing costs over the horizon (optimism bias applied when asked)."""
    ob = fin.appraisal.optimism_bias
    b = (1 - ob.savings_pct / 100) if with_bias else 1.0
    ci = (1 + ob.investment_pct / 100) if with_bias else 1.0
    co = (1 + ob.ongoing_costs_pct / 100) if with_bias else 1.0
    pvb = sum(factors[t] * flows.savings[t] * b for t in range(horizon))
    pvi = sum(factors[t] * flows.investment[t] * ci for t in range(horizon))
    pvo = sum(factors[t] * flows.ongoing_costs[t] * co for t in range(horizon))
    return pvb, pvi, pvo, pvb - pvi - pvo


def default_horizon(fin: CaseFinancials, flows: Flows) -> int:
    """Stated years; for recurring savings, at least through the tenth year of savings."""
    if fin.appraisal.horizon_years is not None:
        return fin.appraisal.horizon_years
    if fin.recurring and flows.first_savings_index is not None:
        return max(flows.n_stated, flows.first_savings_index + 10)
    return flows.n_stated


def savings_range(fin: CaseFinancials) -> list[dict]:
    """P10, mean and P90 of the savings by financial year (each year's saving against the baseline, the case's
    units) where the case has a range (a scenario's); empty otherwise."""
    if fin.savings_p10 is None and fin.savings_p90 is None:
        return []
    mean = fin.savings_levels
    lo, hi = fin.savings_p10 or {}, fin.savings_p90 or {}
    return [{"financial_year": y.label, "p10": lo.get(y), "mean": mean.get(y), "p90": hi.get(y)}
            for y in sorted(set(mean) | set(lo) | set(hi))]


def appraise(case: Case | CaseFinancials, *, check: bool = True) -> Appraisal:
    """Appraise a case: yearly table, measures, sensitivity, switching values and (with ``check``) the checks of
    every figure the case states. Amounts are in the case's units."""
    fin = case.financials if isinstance(case, Case) else case
    flows = flows_of(fin)
    horizon = default_horizon(fin, flows)
    if horizon > len(flows.savings):
        flows = flows_of(fin, horizon)
    discount = fin.appraisal.discount
    factors = discount_factors(max(horizon, 1), discount)

    s0 = flows.first_savings_index
    net_savings = flows.net_savings

    def total_savings(years: int) -> float:
        return 0.0 if s0 is None else sum(net_savings[s0:s0 + years])

    pvb, pvi, pvo, npv = _present_values(flows, fin, horizon, factors)
    *_, npv_raw = _present_values(flows, fin, horizon, factors, with_bias=False)
    pvc = pvi + pvo
    measures = Measures(
        payback_years_simple=payback_simple(flows), payback_years_cashflow=payback_cashflow(flows),
        total_investment=sum(flows.investment), total_savings_years_1_to_5=total_savings(5),
        total_savings_years_1_to_10=total_savings(10), npv=npv, npv_before_optimism_bias=npv_raw,
        pv_benefits=pvb, pv_costs=pvc, benefit_cost_ratio=(pvb / pvc) if pvc > 0 else None,
        first_year=flows.start.label,
        first_savings_year=None if s0 is None else (flows.start + s0).label,
        horizon_years=horizon, discount="Green Book declining schedule" if discount == "green_book"
        else f"{float(discount):.2%} a year",
    )

    rows = []
    cum = 0.0
    for t in range(max(horizon, flows.n_stated)):
        net = flows.net[t]
        cum += net
        factor = factors[t] if t < len(factors) else 0.0
        rows.append(YearRow(financial_year=(flows.start + t).label, t=t, investment=flows.investment[t],
                            savings=flows.savings[t],
                            savings_incremental=flows.savings[t] - (flows.savings[t - 1] if t else 0.0),
                            ongoing_costs=flows.ongoing_costs[t],
                            net_savings=net_savings[t], net=net, cumulative_net=cum, discount_factor=factor,
                            present_value=factor * net if t < horizon else 0.0, stated=t < flows.n_stated))

    sensitivity = []
    for pct in fin.appraisal.sensitivity_pct:
        for variable, sign in (("savings", -1), ("savings", 1), ("costs", 1), ("costs", -1)):
            x = 1 + sign * pct / 100
            f = flows.scaled(savings=x) if variable == "savings" else flows.scaled(investment=x, ongoing_costs=x)
            sensitivity.append(Sensitivity(variable, sign * pct, _present_values(f, fin, horizon, factors)[3],
                                           payback_simple(f), payback_cashflow(f)))

    switching = SwitchingValues(
        savings_pct=(-npv / pvb * 100) if pvb else None,
        investment_pct=(npv / pvi * 100) if pvi else None,
        ongoing_costs_pct=(npv / pvo * 100) if pvo else None,
    )
    reference = case.reference if isinstance(case, Case) else None
    title = case.title if isinstance(case, Case) else None
    result = Appraisal(reference=reference, title=title, units=fin.units, years=rows, measures=measures,
                       sensitivity=sensitivity, switching=switching,
                       file=case.file if isinstance(case, Case) else None, price_base=fin.price_base,
                       savings_source=fin.savings_source, savings_range=savings_range(fin))
    if check:
        from careflow.finance import crosscheck
        from careflow.finance.checks import check_stated

        result.checks = check_stated(fin, result)
        if isinstance(case, Case):
            result.checks += crosscheck.run(crosscheck.parse(case.cross_checks, case.file,
                                                             case.doc))
    return result
