"""Purely financial levers: profiles of pounds saved by day, summed over any period (a month, a financial year).

Annual amounts accrue evenly over the days of each financial year (a full year gives exactly the annual amount, in
a 365- or 366-day year alike); weekly amounts accrue at one seventh a day. One-off costs fall on their date. Savings
are positive, costs negative.
"""

from __future__ import annotations

import datetime as dt

from careflow.fy import FinancialYear
from careflow.levers.schema import CloseProvision, Contract, Income, LeverBase, OneOff, Staffing


def _overlap(a: dt.date, b: dt.date, c: dt.date, d: dt.date | None) -> int:
    """Days in both [a, b] and [c, d] (inclusive; d None = open-ended)."""
    lo = max(a, c)
    hi = b if d is None else min(b, d)
    return max(0, (hi - lo).days + 1)


def _fy_pieces(a: dt.date, b: dt.date):
    """Split [a, b] at financial-year boundaries."""
    day = a
    while day <= b:
        fy = FinancialYear.containing(day)
        hi = min(b, fy.end)
        yield fy, day, hi
        day = hi + dt.timedelta(days=1)


def annual(amount: float, a: dt.date, b: dt.date, start: dt.date, end: dt.date | None, share=None) -> float:
    """``amount`` a year, active from ``start`` to ``end``, summed over the days [a, b]; ``share(fy)`` phases it."""
    total = 0.0
    for fy, lo, hi in _fy_pieces(a, b):
        total += amount * _overlap(lo, hi, start, end) / fy.days * (1.0 if share is None else share(fy))
    return total


def weekly(amount: float, a: dt.date, b: dt.date, start: dt.date, end: dt.date | None) -> float:
    return amount * _overlap(a, b, start, end) / 7.0


def one_offs(items: list[OneOff], a: dt.date, b: dt.date) -> float:
    return sum(item.amount for item in items if a <= item.date <= b)


def staffing_annual_saving(lever: Staffing) -> float:
    """Pounds a year saved by the new establishment (see ``Staffing`` for the two bases)."""
    total = 0.0
    for p in lever.posts:
        after = p.fte_after * p.cost_per_fte
        if lever.basis == "establishment":
            before = p.fte_before * p.cost_per_fte
        else:
            in_post = p.in_post if p.in_post is not None else p.fte_before
            before = in_post * p.cost_per_fte + p.agency_fte * p.agency_cost_per_fte
        total += before - after
    return total


def staffing_redundancies(lever: Staffing) -> float:
    """FTE in post above the new establishment: the most who could be made redundant (before redeployment)."""
    return sum(max(0.0, (p.in_post if p.in_post is not None else p.fte_before) - p.fte_after) for p in lever.posts)


def saving(lever: LeverBase, a: dt.date, b: dt.date) -> float:
    """Pounds saved by a purely financial lever over the days [a, b] (inclusive)."""
    if isinstance(lever, Contract):
        return (annual(lever.annual_cost - lever.reinvest, a, b, lever.start, lever.end, lever.share)
                - one_offs(lever.one_off, a, b))
    if isinstance(lever, CloseProvision):
        out = annual(lever.annual_cost, a, b, lever.start, lever.end, lever.share)
        for m in lever.moves:
            stop = min(d for d in (m.end, lever.end) if d is not None) if (m.end or lever.end) else None
            out -= weekly(m.weekly_cost * m.children, a, b, lever.start, stop)
        return out - one_offs(lever.one_off, a, b)
    if isinstance(lever, Staffing):
        return (annual(staffing_annual_saving(lever), a, b, lever.start, lever.end, lever.share)
                - one_offs(lever.one_off, a, b))
    if isinstance(lever, Income):
        out = 0.0
        for key, amount in lever.profile.items():
            fy = FinancialYear.parse(str(key))
            lo, hi = max(a, fy.start), min(b, fy.end)
            if lo <= hi:
                out += annual(float(amount), lo, hi, lever.start, lever.end)
        return out
    raise TypeError(f"not a purely financial lever: {type(lever).__name__}")
