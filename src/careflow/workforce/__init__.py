"""Product layer: social workers needed from the forecast, what they cost, and foster carer sufficiency
(DESIGN.md 5.4; method in docs/workforce.md). The job from a forecast, and writing its files and chart, is
``careflow.pipeline.workforce``.

    from careflow.workforce import Team, Deployment, plan, forecast_cases
    from careflow.costs.staff import default_staff_cost
    cases = forecast_cases("out/forecast")
    p = plan([Team("children looked after", caseload=15)], list(cases.month), Deployment(agency_rate=13),
             default_staff_cost(), forecast=cases)
    p.yearly          # financial_year, team, fte_mean, fte_p10, fte_p90, permanent_fte, agency_fte, cost_mean ...
"""

from careflow.workforce.carers import fostering_demand, sufficiency
from careflow.workforce.defaults import LaWorkforce, la_workforce, resolve
from careflow.workforce.staff import (
    CLA_TEAM,
    WORKFORCE_COLUMNS,
    Deployment,
    Team,
    WorkforcePlan,
    direct_time_capacity,
    forecast_cases,
    fte_needed,
    plan,
    read_teams,
    stock_cases,
)

__all__ = ["CLA_TEAM", "WORKFORCE_COLUMNS", "Deployment", "LaWorkforce", "Team", "WorkforcePlan",
           "direct_time_capacity", "forecast_cases", "fostering_demand", "fte_needed", "la_workforce", "plan",
           "read_teams", "resolve", "stock_cases", "sufficiency"]
