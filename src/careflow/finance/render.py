"""Plain-text renderings of an appraisal and a portfolio roll-up (the CLI's text format)."""

from __future__ import annotations

from careflow.finance.appraisal import Appraisal
from careflow.finance.portfolio import Portfolio
from careflow.money import pounds


def _money(value: float | None, units: str) -> str:
    """Finance convention: negatives in brackets, "(£446k)"."""
    if value is None:
        return "-"
    places = 0 if abs(value) >= 100 or value == 0 else 2
    return pounds(value, digits=places, suffix="k" if units == "£k" else "")


def _num(value: float | None, places: int = 0) -> str:
    return "-" if value is None else f"{value:,.{places}f}"


def payback_text(years: float | None) -> str:
    return "not reached" if years is None else f"{years:.2f} years"


def appraisal_text(a: Appraisal) -> str:
    m = a.measures
    u = a.units
    lines = [f"{a.reference or ''} {a.title or ''}".strip() + (f"  ({a.file})" if a.file else ""),
             f"Amounts in {u}, {a.price_base or 'price base not stated in the case'}. Year 0 = {m.first_year}; "
             f"discounting: {m.discount} over {m.horizon_years} years.",
             ""]
    header = ["year", "investment", "savings", "ongoing costs", "net savings", "net", "cumulative net",
              "discount factor", "present value"]
    rows = [[r.financial_year + ("" if r.stated else "*"), _num(r.investment), _num(r.savings),
             _num(r.ongoing_costs), _num(r.net_savings), _num(r.net), _num(r.cumulative_net),
             f"{r.discount_factor:.4f}", _num(r.present_value)] for r in a.years]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    lines.append("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    if any(not r.stated for r in a.years):
        lines.append("* carried forward: the savings recur after the last stated year")
    if a.savings_source or a.savings_range:
        lines += ["", f"Savings from {a.savings_source or 'the case'}: each year's saving against the baseline, "
                      f"{u}", f"  {'year':>8}  {'P10':>10}  {'mean':>10}  {'P90':>10}"]
        lines += [f"  {r['financial_year']:>8}  {_money(r['p10'], u):>10}  {_money(r['mean'], u):>10}  "
                  f"{_money(r['p90'], u):>10}" for r in a.savings_range]
    first_sav = m.first_savings_year or "(no savings)"
    lines += [
        "",
        "Measures",
        f"  total investment                          {_money(m.total_investment, u)}",
        f"  net savings, years 1 to 5 of savings      {_money(m.total_savings_years_1_to_5, u)}",
        f"  net savings, years 1 to 10 of savings     {_money(m.total_savings_years_1_to_10, u)}",
        f"  payback, simple (from start of {first_sav})   {payback_text(m.payback_years_simple)}",
        f"  payback, cash-flow (from start of {m.first_year}) {payback_text(m.payback_years_cashflow)}",
        f"  NPV                                       {_money(m.npv, u)}"
        + (f" (before optimism bias {_money(m.npv_before_optimism_bias, u)})"
           if m.npv != m.npv_before_optimism_bias else ""),
        f"  PV benefits / PV costs                    {_money(m.pv_benefits, u)} / {_money(m.pv_costs, u)}",
        f"  benefit-cost ratio                        {_num(m.benefit_cost_ratio, 2)}",
        "",
        "Sensitivity (change, NPV, payback simple, payback cash-flow)",
    ]
    for s in a.sensitivity:
        lines.append(f"  {s.variable} {s.change_pct:+.0f}%".ljust(18) + f"{_money(s.npv, u):>14}  "
                     f"{payback_text(s.payback_years_simple):>14}  {payback_text(s.payback_years_cashflow):>14}")
    sw = a.switching
    lines += ["", "Switching values (the change that brings NPV to zero)",
              f"  savings {_num(sw.savings_pct, 1)}%, investment {_num(sw.investment_pct, 1)}%, "
              f"ongoing costs {_num(sw.ongoing_costs_pct, 1)}%", ""]
    lines += checks_lines(a.checks)
    return "\n".join(lines) + "\n"


def checks_lines(checks: list) -> list[str]:
    """Every check, agreeing or not (the document's own figures against each other and the recomputation)."""
    if not checks:
        return ["Checks: the case states no figures to check"]
    bad = [c for c in checks if not c.ok]
    lines = [f"Checks: {len(checks)} stated figures, {len(bad)} disagree" + (" (all agree)" if not bad else "")]
    for c in checks:
        mark = "ok   " if c.ok else "WRONG"
        lines.append(f"  {mark} {c.item}: stated {_num(c.stated, 2).removesuffix('.00')}, computed "
                     f"{_num(c.computed, 2).removesuffix('.00')}" + (f" ({c.note})" if c.note else ""))
    return lines


def portfolio_text(p: Portfolio) -> str:
    who = f" for {p.authority}" if p.authority else ""
    lines = [f"MTFS roll-up of {len(p.cases)} cases{who}, amounts in {p.units}; savings net of ongoing costs", ""]
    by_year = p.by_year()
    lines.append(by_year.map(lambda v: f"{v:,.0f}").to_string())
    for dim in ("directorate", "saving_type", "rag"):
        lines += ["", f"Incremental savings by {dim.replace('_', ' ')}",
                  p.table(dim).map(lambda v: f"{v:,.0f}").to_string()]
    lines += ["", "Incremental savings by case", p.table("reference").map(lambda v: f"{v:,.0f}").to_string()]
    bases = sorted(set(p.price_bases.values()))
    if bases:
        lines += ["", "Price base: " + (bases[0] if len(bases) == 1 else
                                        f"the cases state {len(bases)} different ones, so a year's total adds "
                                        "figures in different prices:")]
        if len(bases) > 1:
            lines += [f"  {ref}: {base}" for ref, base in p.price_bases.items()]
    if p.sources:
        lines += ["", "Savings taken from scenarios"] + [f"  {ref}: {src}" for ref, src in p.sources.items()]
    if p.checks:
        bad = [c for c in p.checks if not c.ok]
        lines += ["", f"Checks: {len(p.checks)} stated totals, {len(bad)} disagree"]
        for c in p.checks:
            lines.append(f"  {'ok   ' if c.ok else 'WRONG'} {c.item}: stated {c.stated:,.0f}, computed "
                         f"{c.computed:,.0f}")
    return "\n".join(lines) + "\n"
