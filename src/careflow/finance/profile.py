"""Savings profiles by financial year: cumulative (the saving against the baseline in each year) and incremental
(the new saving in that year, as MTFS tables state them).

A cumulative profile ``{17/18: 797, 18/19: 1261, 19/20: 1365}`` is the incremental profile
``{17/18: 797, 18/19: 464, 19/20: 104}``. Years missing between the first and last year count as zero change
(incremental) or zero saving (cumulative).
"""

from __future__ import annotations

from collections.abc import Mapping

from careflow.fy import FinancialYear, fy_range

Profile = dict[FinancialYear, float]


def span(profile: Mapping[FinancialYear, float]) -> list[FinancialYear]:
    """Every financial year from the profile's first to its last (empty for an empty profile)."""
    if not profile:
        return []
    return fy_range(min(profile), max(profile))


def to_incremental(cumulative: Mapping[FinancialYear, float]) -> Profile:
    """The new saving in each year from each year's saving against the baseline (the first year starts from 0)."""
    out: Profile = {}
    previous = 0.0
    for year in span(cumulative):
        level = float(cumulative.get(year, 0.0))
        out[year] = level - previous
        previous = level
    return out


def to_cumulative(incremental: Mapping[FinancialYear, float]) -> Profile:
    """Each year's saving against the baseline: the running sum of the new savings."""
    out: Profile = {}
    level = 0.0
    for year in span(incremental):
        level += float(incremental.get(year, 0.0))
        out[year] = level
    return out


def extend(profile: Mapping[FinancialYear, float], last: FinancialYear, recurring: bool) -> Profile:
    """The profile (cumulative/levels, or costs) over its years to ``last``: years after the last stated one keep
    the last stated value when ``recurring``, else zero."""
    if not profile:
        return {}
    out: Profile = {year: float(profile.get(year, 0.0)) for year in span(profile)}
    final = out[max(out)] if recurring else 0.0
    year = max(out) + 1
    while year <= last:
        out[year] = final
        year = year + 1
    return out


def add(*profiles: Mapping[FinancialYear, float]) -> Profile:
    """Year-by-year sum of several profiles."""
    out: Profile = {}
    for p in profiles:
        for year, value in p.items():
            out[year] = out.get(year, 0.0) + float(value)
    return dict(sorted(out.items()))
