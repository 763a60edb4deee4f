"""The workforce plan a forecast needs, with the settings' defaults and sources resolved. The user's job (from a
forecast in memory or a forecast folder, and writing the plan's files) is ``careflow.pipeline.workforce``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from careflow.costs.staff import default_staff_cost
from careflow.dfe.csww import find_csww, read_csww
from careflow.errors import CareflowError
from careflow.workforce.defaults import la_workforce, resolve
from careflow.workforce.staff import (
    CLA_TEAM,
    Deployment,
    Team,
    WorkforcePlan,
    plan,
    read_teams,
)


def workforce_plan(cases: pd.DataFrame, *, caseload: float | None = None, la: str | None = None,
                            csww: str | Path | None = None, year: int | None = None,
                            agency_rate: float | None = None, vacancy_rate: float | None = None,
                            salary: float | None = None, on_costs: float | None = None,
                            agency_premium: float | None = None, teams_file: str | Path | None = None,
                            direct_time: tuple[float, float] | None = None) -> WorkforcePlan:
    """Plan the social workers needed for ``cases``, children in care at each month end (month, mean, p10, p90:
    :func:`~careflow.workforce.staff.stock_cases` of a forecast). Rates and premiums are percentages here
    (agency_rate 13 = 13%; on_costs 30 = 30%; agency_premium 50 = 50%); ``vacancy_rate`` is the share of posts
    left vacant and uncovered. With ``la`` the LA's own workforce row (from ``csww``: the file, or a folder holding
    it) gives the defaults."""
    own = None
    if la is not None:
        if csww is None:
            raise CareflowError("an LA's own workforce figures need the DfE workforce file (--csww)", field="csww",
                                rule="workforce-csww")
        path = find_csww(csww)
        if path is None:
            raise CareflowError("no children's social work workforce file (with caseload_fte and agency_rate_fte "
                                "columns) found", file=str(csww), rule="workforce-csww")
        own = la_workforce(read_csww(path), la, year)
    values, sources = resolve(caseload, agency_rate, vacancy_rate, own)
    cost = default_staff_cost(salary, None if on_costs is None else on_costs / 100.0,
                              None if agency_premium is None else agency_premium / 100.0)
    teams = read_teams(teams_file, values["caseload"]) if teams_file else [Team(CLA_TEAM, values["caseload"])]
    dep = Deployment(values["agency_rate"], values["vacancy_uncovered"],
                     sources={"caseload": sources["caseload"], "agency_rate": sources["agency_rate"],
                              "vacancy_uncovered": sources["vacancy_uncovered"]})
    result = plan(teams, list(cases.month), dep, cost, forecast=cases)
    if own is not None:
        result.notes.append(f"{own.la.la_name}'s caseload in the workforce file counts every case its case-holding "
                            "social workers hold (children in need, child protection and looked after), not only "
                            "children looked after")
    if direct_time is not None:
        from careflow.workforce.staff import direct_time_capacity

        before, after = direct_time
        y = result.yearly
        first = y[y.team == (y.team.iloc[0] if "all" not in set(y.team) else "all")].iloc[0]
        freed = direct_time_capacity(float(first.fte_mean), before, after)
        result.notes.append(
            f"direct time {before:g}% -> {after:g}%: at the same direct time per case, "
            f"{freed:.1f} of the {first.fte_mean:.1f} FTE needed in {first.financial_year} are freed "
            f"(FTE x (1 - {before:g}/{after:g})), worth {freed * cost.employee:,.0f} GBP a year at the employee "
            "cost; cashable only if posts are removed")
    return result
