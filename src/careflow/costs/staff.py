"""The cost of a social worker FTE: employee (salary + on-costs) or agency (the employee cost + a premium).

Shared by the ``workforce`` lever (levers/) and the workforce module (workforce/), so the two price staff the same
way. Defaults are the dated, sourced ``social_work_staff`` parameter; every figure a user overrides says so.

Two savings the councils' cases rest on (DESIGN.md 5.4):

* fewer staff as demand falls (Haringey: "reducing agency staff to a minimum and reducing staff in line with
  turnover"): the FTE no longer needed come off agency first, then employees;
* agency conversion at the same establishment: each agency FTE replaced by an employee saves
  agency cost - employee cost a year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from careflow.errors import CareflowError
from careflow.fy import FinancialYear
from careflow.parameters import load_parameter

DEFAULT_KEYS = ("salary", "on_costs", "agency_premium", "caseload", "agency_rate")


@dataclass(frozen=True)
class StaffCost:
    """Annual cost per FTE. ``on_costs`` and ``agency_premium`` are proportions (0.3 = 30%)."""

    salary: float
    on_costs: float = 0.0
    agency_premium: float = 0.0
    price_base: str = ""  # the financial year the salary is priced in, e.g. "2025-26"
    sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for name in ("salary", "on_costs", "agency_premium"):
            v = getattr(self, name)
            if not (v == v) or v < 0:
                raise CareflowError(f"{name.replace('_', ' ')} must be a number of at least 0 (got {v})",
                                    field=name, rule="staff-cost")

    @property
    def employee(self) -> float:
        """Pounds a year for one employed FTE: salary x (1 + on-costs)."""
        return self.salary * (1.0 + self.on_costs)

    @property
    def agency(self) -> float:
        """Pounds a year for one agency FTE: employee cost x (1 + agency premium)."""
        return self.employee * (1.0 + self.agency_premium)

    def cost(self, employee_fte: float, agency_fte: float) -> float:
        return employee_fte * self.employee + agency_fte * self.agency

    def agency_conversion_saving(self, agency_fte_removed: float) -> float:
        """A year's saving from replacing ``agency_fte_removed`` agency FTE by employees (same establishment)."""
        return agency_fte_removed * (self.agency - self.employee)

    def demand_fall_saving(self, fte_removed: float, agency_fte: float) -> tuple[float, float, float]:
        """A year's saving when ``fte_removed`` FTE are no longer needed and ``agency_fte`` are agency workers:
        agency first, then employees. Returns (saving, agency FTE removed, employee FTE removed)."""
        removed = max(0.0, fte_removed)
        from_agency = min(removed, max(0.0, agency_fte))
        from_employees = removed - from_agency
        return from_agency * self.agency + from_employees * self.employee, from_agency, from_employees


def staff_defaults() -> dict[str, tuple[float, str, str]]:
    """The shipped defaults: key -> (value, price base or date, source)."""
    p = load_parameter("social_work_staff")
    out = {}
    for key in DEFAULT_KEYS:
        latest = p.series(key).points[-1]
        out[key] = (latest.value, latest.date.isoformat(), latest.source)
    return out


def default_staff_cost(salary: float | None = None, on_costs: float | None = None,
                       agency_premium: float | None = None) -> StaffCost:
    """The shipped assumptions, with any of the three given instead (named as given by the user)."""
    d = staff_defaults()
    given = {"salary": salary, "on_costs": on_costs, "agency_premium": agency_premium}
    values, sources = {}, {}
    for key, v in given.items():
        if v is None:
            values[key], sources[key] = d[key][0], d[key][2]
        else:
            values[key], sources[key] = float(v), "given by the user"
    base = FinancialYear.containing(dt.date.fromisoformat(d["salary"][1])).label
    return StaffCost(values["salary"], values["on_costs"], values["agency_premium"], price_base=base,
                     sources=sources)
