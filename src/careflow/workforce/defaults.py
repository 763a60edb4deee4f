"""Defaults for a workforce plan from the LA's own row of the DfE workforce indicators, else the shipped parameter.

Order of precedence for each setting: the user's figure, then the LA's own CSWW figure for the year (latest by
default), then the ``social_work_staff`` parameter (England). Every setting carries the source it came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from careflow.aggregate.la import LocalAuthority, find_in
from careflow.costs.staff import staff_defaults
from careflow.dfe.csww import CswwData
from careflow.errors import CareflowError


@dataclass(frozen=True)
class LaWorkforce:
    """The LA's own workforce figures used as defaults."""

    la: LocalAuthority
    year: int
    caseload: float
    agency_rate: float
    vacancy_rate: float
    vacancy_agency_cover_rate: float
    file: str

    @property
    def vacancy_uncovered(self) -> float:
        """Percent of posts vacant and not covered by agency: vacancy rate x (1 - share covered by agency)."""
        if math.isnan(self.vacancy_rate):
            return math.nan
        cover = 0.0 if math.isnan(self.vacancy_agency_cover_rate) else self.vacancy_agency_cover_rate
        return self.vacancy_rate * (1 - cover / 100.0)

    def source(self, what: str) -> str:
        return f"{self.la.la_name}'s own {what}, DfE children's social work workforce {self.year} ({self.file})"


def la_workforce(csww: CswwData, la: str, year: int | None = None) -> LaWorkforce:
    target = find_in(csww.las, la)
    year = csww.latest_year(target.old_la_code) if year is None else int(year)
    row = csww.la_row(target.old_la_code, year)
    if row is None:
        raise CareflowError(f"no {year} workforce row for {target.label} (years: {', '.join(map(str, csww.years))})",
                            file=csww.file, field="time_period", rule="csww-no-data")
    return LaWorkforce(target, year, float(row["caseload_fte"]), float(row["agency_rate_fte"]),
                       float(row["vacancy_rate_fte"]), float(row.get("vacancy_agency_cover_rate_fte", math.nan)),
                       csww.file)


def resolve(caseload: float | None, agency_rate: float | None, vacancy_uncovered: float | None,
            own: LaWorkforce | None) -> tuple[dict[str, float], dict[str, str]]:
    """caseload, agency_rate and vacancy_uncovered (percent) with their sources."""
    shipped = staff_defaults()
    values, sources = {}, {}
    if caseload is not None:
        values["caseload"], sources["caseload"] = float(caseload), "given by the user"
    elif own is not None and not math.isnan(own.caseload):
        values["caseload"], sources["caseload"] = own.caseload, own.source("average caseload")
    else:
        raise CareflowError("give a target caseload (--caseload), or an LA whose workforce figures give one "
                            f"(England's {shipped['caseload'][0]:g} is in the social_work_staff parameter)",
                            field="caseload", rule="workforce-caseload")
    if agency_rate is not None:
        values["agency_rate"], sources["agency_rate"] = float(agency_rate), "given by the user"
    elif own is not None and not math.isnan(own.agency_rate):
        values["agency_rate"], sources["agency_rate"] = own.agency_rate, own.source("agency rate")
    else:
        values["agency_rate"], sources["agency_rate"] = shipped["agency_rate"][0], shipped["agency_rate"][2]
    if vacancy_uncovered is not None:
        values["vacancy_uncovered"], sources["vacancy_uncovered"] = float(vacancy_uncovered), "given by the user"
    elif own is not None and not math.isnan(own.vacancy_uncovered):
        values["vacancy_uncovered"] = own.vacancy_uncovered
        sources["vacancy_uncovered"] = own.source("vacancy rate x (1 - vacancies covered by agency)")
    else:
        values["vacancy_uncovered"] = 0.0
        sources["vacancy_uncovered"] = "careflow assumption: every post needed is filled (employee or agency)"
    return values, sources
