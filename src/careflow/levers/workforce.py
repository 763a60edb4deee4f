"""The ``workforce`` lever: social workers priced alongside placements, run by run.

In month m (while the lever is active) with B baseline children in care and S scenario children (B less the
children the flow levers saved, ``lag_months`` earlier; S = B when ``follow_demand`` is false):

* baseline FTE = B / caseload, of which agency = FTE x agency rate, employees the rest;
* scenario FTE = S / caseload x direct_time_before / direct_time_after (1 without a direct-time change);
* when fewer FTE are needed the agency workers go first (Haringey: "reducing agency staff to a minimum"); when more
  are needed they are hired at the baseline agency rate;
* with ``agency_rate_after`` the scenario's agency FTE are at most scenario FTE x the agency rate of the month
  (moving from ``agency_rate`` to ``agency_rate_after`` over ``agency_ramp_months`` from ``agency_start``, default
  ``start``); the rest are employees;
* saving = (baseline - scenario employees) x employee cost + (baseline - scenario agency) x agency cost, per year,
  times the month's days / its financial year's days. Savings are positive.

So with steady demand, agency 20% -> 5% of 10 FTE saves 1.5 x (agency cost - employee cost) a year, and 7 fewer FTE
with 5 agency workers save 5 x agency cost + 2 x employee cost.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from careflow.costs.staff import StaffCost, default_staff_cost
from careflow.fy import FinancialYear
from careflow.levers.flows import months_active
from careflow.levers.schema import Workforce


def month_share(month_start: dt.date, month_end: dt.date) -> float:
    """The share of its financial year a month is: its days / the financial year's days."""
    return ((month_end - month_start).days + 1) / FinancialYear.containing(month_start).days


def staff_cost(lever: Workforce) -> StaffCost:
    return default_staff_cost(lever.salary, lever.on_costs, lever.agency_premium)


def agency_rate(lever: Workforce, month_start: dt.date) -> float:
    """The agency rate (percent) the lever allows in the month starting ``month_start``."""
    k = months_active(lever, month_start) if lever.agency_start is None else months_active(
        lever.model_copy(update={"start": lever.agency_start}), month_start)
    if lever.agency_rate_after is None or k is None:
        return lever.agency_rate
    if lever.agency_ramp_months == 0:
        return lever.agency_rate_after
    step = min(1.0, (k + 1) / lever.agency_ramp_months)
    return lever.agency_rate + (lever.agency_rate_after - lever.agency_rate) * step


def workforce_saving(lever: Workforce, baseline_children: np.ndarray, children_saved: np.ndarray,
                     month_starts, month_ends) -> np.ndarray:
    """Pounds saved [run, month] (see the module notes). ``baseline_children`` and ``children_saved`` are
    [run, month]: the baseline's children in care at each month end and baseline minus scenario."""
    cost = staff_cost(lever)
    runs, months = baseline_children.shape
    out = np.zeros((runs, months))
    a0 = lever.agency_rate / 100.0
    direct = 1.0 if lever.direct_time_before is None else lever.direct_time_before / lever.direct_time_after
    for m, (a, b) in enumerate(zip(month_starts, month_ends, strict=True)):
        k = months_active(lever, a)
        if k is None:
            continue
        base = baseline_children[:, m]
        j = m - lever.lag_months
        saved = children_saved[:, j] if lever.follow_demand and j >= 0 else 0.0
        fte_b = base / lever.caseload
        agy_b = fte_b * a0
        emp_b = fte_b - agy_b
        fte_s = (base - saved) / lever.caseload * direct
        fewer = fte_b - fte_s
        agy_s = np.where(fewer >= 0, np.maximum(0.0, agy_b - fewer), agy_b - fewer * a0)
        if lever.agency_rate_after is not None:
            agy_s = np.minimum(agy_s, fte_s * agency_rate(lever, a) / 100.0)
        emp_s = fte_s - agy_s
        out[:, m] = ((emp_b - emp_s) * cost.employee + (agy_b - agy_s) * cost.agency) * month_share(a, b)
    return out
