"""Social workers needed from the forecast: cases / target caseload, by team, month and financial year.

Method (docs/workforce.md):

* a team's FTE needed in a month = its cases at the month's end / its target caseload. For the children looked after
  team the cases are the forecast's children in care (``forecast.csv``, all categories and ages), so the P10/P90 of
  the FTE are the forecast's P10/P90 divided by the caseload (exact: the caseload is a constant). Other teams take
  their cases from a file or from a number now and a growth rate (no interval: the user's figure is used as given);
* the FTE are filled by employees and agency workers at the agency rate, after leaving the uncovered vacancies
  unfilled: filled = FTE x (1 - uncovered vacancy rate), agency = filled x agency rate, employees = the rest;
* a month costs (employees x employee cost + agency x agency cost) x days in the month / days in its financial
  year; a financial year is the sum of its months, in the salary's price base (not inflated);
* a financial year's FTE are the average of its months (the establishment needed on average); its P10/P90 are the
  averages of the months' P10/P90 (the band of a year's average when runs keep their rank from month to month, as
  stock forecasts nearly do; the forecast folder keeps quantiles, not runs).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from careflow import numbers
from careflow.costs.staff import StaffCost
from careflow.errors import CareflowError
from careflow.fy import FinancialYear
from careflow.levers.workforce import month_share as lever_month_share

CLA_TEAM = "children looked after"
WORKFORCE_COLUMNS = ["financial_year", "team", "fte_mean", "fte_p10", "fte_p90", "permanent_fte", "agency_fte",
                     "cost_mean"]
EXTRA_COLUMNS = ["months", "cases_mean", "vacant_fte", "cost_p10", "cost_p90"]
MONTH_COLUMNS = ["month", "financial_year", "team", "cases_mean", "cases_p10", "cases_p90", "fte_mean", "fte_p10",
                 "fte_p90", "permanent_fte", "agency_fte", "vacant_fte", "cost_mean"]


@dataclass(frozen=True)
class Team:
    """A team's target caseload and where its cases come from: ``forecast`` (children in care), ``file`` (a CSV of
    month, cases) or ``growth`` (``cases_now`` growing ``growth_percent`` a year)."""

    name: str
    caseload: float
    cases: str = "forecast"
    cases_now: float | None = None
    growth_percent: float = 0.0
    cases_file: str | None = None

    def __post_init__(self):
        if not (self.caseload == self.caseload) or self.caseload <= 0:
            raise CareflowError(f"team '{self.name}': the target caseload must be more than 0 (got {self.caseload})",
                                field="caseload", rule="workforce-caseload")
        if self.cases not in ("forecast", "file", "growth"):
            raise CareflowError(f"team '{self.name}': cases must be forecast, file or growth (got {self.cases})",
                                field="cases", rule="workforce-team")


@dataclass(frozen=True)
class Deployment:
    """How FTE needed are filled: agency rate and uncovered vacancy rate, percent, with where each came from."""

    agency_rate: float
    vacancy_uncovered: float = 0.0
    sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for name in ("agency_rate", "vacancy_uncovered"):
            v = getattr(self, name)
            if not (v == v) or not 0 <= v <= 100:
                raise CareflowError(f"{name.replace('_', ' ')} must be a percentage from 0 to 100 (got {v})",
                                    field=name, rule="workforce-rate")

    def split(self, fte):
        """(employee FTE, agency FTE, vacant FTE) for ``fte`` needed (numbers or arrays)."""
        vacant = fte * self.vacancy_uncovered / 100.0
        filled = fte - vacant
        agency = filled * self.agency_rate / 100.0
        return filled - agency, agency, vacant


def fte_needed(cases, caseload: float):
    """FTE needed to hold ``cases`` at ``caseload`` cases per FTE (numbers or arrays)."""
    if not caseload > 0:
        raise CareflowError(f"the target caseload must be more than 0 (got {caseload})", field="caseload",
                            rule="workforce-caseload")
    return cases / caseload


def month_share(month: dt.date) -> float:
    """The share of its financial year a calendar month is (days in month / days in the financial year)."""
    return lever_month_share(month, dt.date(month.year, month.month, calendar.monthrange(month.year, month.month)[1]))


@dataclass
class WorkforcePlan:
    """The monthly and financial-year tables and the settings behind them."""

    monthly: pd.DataFrame  # MONTH_COLUMNS
    yearly: pd.DataFrame  # WORKFORCE_COLUMNS + EXTRA_COLUMNS
    teams: list[Team]
    deployment: Deployment
    cost: StaffCost
    notes: list[str] = field(default_factory=list)

    def settings(self) -> dict:
        return {"teams": [t.__dict__ for t in self.teams],
                "agency_rate_percent": self.deployment.agency_rate,
                "vacancy_uncovered_percent": self.deployment.vacancy_uncovered,
                "salary": self.cost.salary, "on_costs": self.cost.on_costs,
                "agency_premium": self.cost.agency_premium,
                "employee_cost_per_fte": self.cost.employee, "agency_cost_per_fte": self.cost.agency,
                "price_base": self.cost.price_base,
                "sources": {**self.deployment.sources, **self.cost.sources}, "notes": self.notes}


def forecast_cases(forecast_dir: str | Path) -> pd.DataFrame:
    """Children in care at each month end from a ``careflow forecast`` folder: month, mean, p10, p90."""
    path = Path(forecast_dir) / "forecast.csv"
    if not path.exists():
        raise CareflowError("no forecast.csv in the forecast folder (make one with careflow forecast)",
                            file=str(path), rule="workforce-forecast")
    return stock_cases(read_forecast_table(path, "workforce-forecast"), path)


def read_forecast_table(path: Path, rule: str) -> pd.DataFrame:
    """A forecast folder's forecast.csv as a table. A row with more fields than the header is a finding naming its
    line: pandas would drop the extra fields with only a warning (index_col=False keeps it from turning the first
    column into the index instead)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(path, dtype={"category": str, "age_band": str}, index_col=False)
    except (pd.errors.ParserWarning, ValueError, pd.errors.ParserError) as exc:  # also a file that is not CSV text
        line, fields, header = _long_row(path)
        if line:
            raise CareflowError(f"the row has {fields} fields, the header {header}: fields would be lost",
                                file=str(path), row=line, rule=rule) from None
        raise CareflowError(f"cannot read the forecast: {exc}", file=str(path), rule=rule) from None


def _long_row(path: Path) -> tuple[int, int, int]:
    """The first line with more fields than the header: (line, its fields, the header's)."""
    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as f:
            rows = csv.reader(f)
            header = len(next(rows, []))
            for row in rows:
                if len(row) > header:
                    return rows.line_num, len(row), header
    except csv.Error:  # not CSV text: the caller says so
        pass
    return 0, 0, 0


def stock_cases(df: pd.DataFrame, path: str | Path = "<forecast>") -> pd.DataFrame:
    """Children in care at each month end from a stock table in forecast.csv's columns (a forecast folder's file,
    or a forecast's ``stock()`` in memory): month, mean, p10, p90. ``path`` names the table in findings."""
    need = {"date", "category", "age_band", "mean", "p10", "p90"}
    if not need <= set(df.columns):
        raise CareflowError(f"forecast.csv lacks column(s) {', '.join(sorted(need - set(df.columns)))}",
                            file=str(path), row=0, rule="workforce-forecast")
    tot = df[(df.category == "all") & (df.age_band == "all")].copy()
    if tot.empty:
        raise CareflowError("forecast.csv has no 'all' category and age band rows (the total children in care)",
                            file=str(path), rule="workforce-forecast")
    for i, r in tot.iterrows():
        for col in ("mean", "p10", "p90"):
            v = r[col]
            try:
                ok = numbers.finite(v) >= 0  # also refuses an integer too large for a float (pandas keeps it)
            except ValueError:
                ok = False
            if not ok:
                raise CareflowError(f"not a number of children: {v!r}", file=str(path), row=int(i) + 2, field=col,
                                    rule="workforce-forecast")
    dates = pd.to_datetime(tot["date"].astype(str), errors="coerce", format="%Y-%m-%d")  # as careflow forecast writes it
    dates = dates.where((dates.dt.year >= numbers.FIRST_YEAR) & (dates.dt.year <= numbers.LAST_YEAR))
    if dates.isna().any():
        bad = int(tot.index[dates.isna()][0]) + 2  # the file's line: the header is line 1
        raise CareflowError(f"not a date (YYYY-MM-DD, {numbers.FIRST_YEAR}-{numbers.LAST_YEAR})", file=str(path),
                            row=bad, field="date", rule="workforce-forecast")
    return pd.DataFrame({"month": [dt.date(d.year, d.month, 1) for d in dates], "mean": tot["mean"].to_numpy(float),
                         "p10": tot["p10"].to_numpy(float), "p90": tot["p90"].to_numpy(float)})


def team_cases(team: Team, months: list[dt.date], forecast: pd.DataFrame | None) -> pd.DataFrame:
    """The team's cases at each month end: month, mean, p10, p90."""
    if team.cases == "forecast":
        if forecast is None:
            raise CareflowError(f"team '{team.name}' takes its cases from the forecast, but none was given",
                                rule="workforce-team")
        return forecast.set_index("month").reindex(months).reset_index()
    if team.cases == "growth":
        if team.cases_now is None or team.cases_now < 0:
            raise CareflowError(f"team '{team.name}': give cases_now (the cases held now) for a growth team",
                                field="cases_now", rule="workforce-team")
        k = np.arange(len(months)) + 1  # months from now to each month end
        v = team.cases_now * (1 + team.growth_percent / 100.0) ** (k / 12.0)
        return pd.DataFrame({"month": months, "mean": v, "p10": v, "p90": v})
    return _cases_file(team, months)


def _cases_file(team: Team, months: list[dt.date]) -> pd.DataFrame:
    path = team.cases_file
    if not path or not Path(path).exists():
        raise CareflowError(f"team '{team.name}': cases file not found", file=str(path), field="cases_file",
                            rule="workforce-team")
    df = pd.read_csv(path, dtype=str)
    if not {"month", "cases"} <= set(df.columns):
        raise CareflowError("a cases file needs the columns month (YYYY-MM) and cases", file=str(path), row=0,
                            rule="workforce-cases-file")
    got = {}
    for i, r in df.iterrows():
        try:
            m = dt.date.fromisoformat(str(r["month"]).strip()[:7] + "-01")
            v = float(str(r["cases"]).replace(",", ""))
        except ValueError:
            raise CareflowError("month must be YYYY-MM and cases a number", file=str(path), row=int(i) + 1,
                                rule="workforce-cases-file") from None
        if not math.isfinite(v) or v < 0:
            raise CareflowError(f"cases must be a number of at least 0 (got {r['cases']})", file=str(path),
                                row=int(i) + 1, field="cases", rule="workforce-cases-file")
        got[m] = v
    missing = [m for m in months if m not in got]
    if missing:
        raise CareflowError(f"no cases for {len(missing)} forecast month(s), first {missing[0]:%Y-%m}",
                            file=str(path), field="month", rule="workforce-cases-file")
    v = np.array([got[m] for m in months])
    return pd.DataFrame({"month": months, "mean": v, "p10": v, "p90": v})


def plan(teams: list[Team], months: list[dt.date], deployment: Deployment, cost: StaffCost,
         forecast: pd.DataFrame | None = None) -> WorkforcePlan:
    """FTE, employees, agency and cost by team and month, and by financial year (see the module notes)."""
    if not teams:
        raise CareflowError("no teams: give a caseload", rule="workforce-team")
    names = [t.name for t in teams]
    if len(set(names)) != len(names):
        raise CareflowError("two teams share a name", field="teams", rule="workforce-team")
    rows = []
    shares = np.array([month_share(m) for m in months])
    for team in teams:
        c = team_cases(team, months, forecast)
        fte = {q: fte_needed(c[q].to_numpy(float), team.caseload) for q in ("mean", "p10", "p90")}
        emp, agy, vac = deployment.split(fte["mean"])
        money = {q: sum(deployment.split(fte[q])[i] * x for i, x in ((0, cost.employee), (1, cost.agency))) * shares
                 for q in ("mean", "p10", "p90")}
        for j, m in enumerate(months):
            rows.append({"month": m.isoformat()[:7], "financial_year": FinancialYear.containing(m).label,
                         "team": team.name, "cases_mean": c["mean"].iloc[j], "cases_p10": c["p10"].iloc[j],
                         "cases_p90": c["p90"].iloc[j], "fte_mean": fte["mean"][j], "fte_p10": fte["p10"][j],
                         "fte_p90": fte["p90"][j], "permanent_fte": emp[j], "agency_fte": agy[j],
                         "vacant_fte": vac[j], "cost_mean": money["mean"][j], "_cost_p10": money["p10"][j],
                         "_cost_p90": money["p90"][j]})
    monthly = pd.DataFrame(rows)
    yearly = _by_year(monthly, multi=len(teams) > 1)
    return WorkforcePlan(monthly=monthly[MONTH_COLUMNS], yearly=yearly, teams=list(teams), deployment=deployment,
                         cost=cost)


def _by_year(monthly: pd.DataFrame, multi: bool) -> pd.DataFrame:
    g = monthly.groupby(["financial_year", "team"], sort=False)
    out = g.agg(fte_mean=("fte_mean", "mean"), fte_p10=("fte_p10", "mean"), fte_p90=("fte_p90", "mean"),
                permanent_fte=("permanent_fte", "mean"), agency_fte=("agency_fte", "mean"),
                cost_mean=("cost_mean", "sum"), months=("month", "count"), cases_mean=("cases_mean", "mean"),
                vacant_fte=("vacant_fte", "mean"), cost_p10=("_cost_p10", "sum"),
                cost_p90=("_cost_p90", "sum")).reset_index()
    if multi:
        tot = out.groupby("financial_year", sort=False).agg(
            {c: "sum" for c in ("fte_mean", "fte_p10", "fte_p90", "permanent_fte", "agency_fte", "cost_mean",
                                "cases_mean", "vacant_fte", "cost_p10", "cost_p90")}).reset_index()
        tot["months"] = out.groupby("financial_year", sort=False)["months"].max().to_numpy()
        tot["team"] = "all"
        out = pd.concat([out, tot], ignore_index=True)
        out["_o"] = out["team"].eq("all")
        out = out.sort_values(["financial_year", "_o"], kind="stable").drop(columns="_o")
    return out[WORKFORCE_COLUMNS + EXTRA_COLUMNS].reset_index(drop=True)


def direct_time_capacity(fte: float, before_percent: float, after_percent: float) -> float:
    """FTE freed when social workers' direct time goes from ``before`` to ``after`` percent of their hours and the
    direct time each case gets stays as it was: FTE x (1 - before / after). (H&F BC2: 20% to 40% frees half.)
    Negative when direct time falls."""
    if not (0 < before_percent <= 100 and 0 < after_percent <= 100):
        raise CareflowError("direct time must be a percentage above 0 and at most 100", field="direct_time",
                            rule="workforce-direct-time")
    return fte * (1.0 - before_percent / after_percent)


TEAM_KEYS = {"name", "caseload", "cases", "cases_now", "growth_percent", "cases_file"}


def read_teams(path: str | Path, default_caseload: float | None = None) -> list[Team]:
    """A teams file (YAML): ``teams:`` a list of name, caseload (default: the plan's caseload), cases (forecast,
    file or growth), cases_now and growth_percent (growth), cases_file (file; relative to the teams file)."""
    from careflow import numbers, yamlio

    doc = yamlio.load(path)
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("teams"), list) or not data["teams"]:
        raise doc.error(("teams",), "a teams file is a mapping with 'teams:', a list of teams", rule="workforce-team")
    teams = []
    for i, t in enumerate(data["teams"]):
        if not isinstance(t, dict):
            raise doc.error(("teams", i), "each team is a mapping (name, caseload, cases ...)", rule="workforce-team")
        unknown = set(t) - TEAM_KEYS
        if unknown:
            names = sorted(map(str, unknown))
            raise doc.error(("teams", i, names[0]), f"unknown key(s) {', '.join(names)} "
                            f"(known: {', '.join(sorted(TEAM_KEYS))})", rule="workforce-team")
        if not t.get("name"):
            raise doc.error(("teams", i), "a team needs a name", rule="workforce-team")
        caseload = t.get("caseload", default_caseload)
        kind = t.get("cases", "growth" if "cases_now" in t else "file" if "cases_file" in t else "forecast")
        for key in ("caseload", "cases_now", "growth_percent"):
            v = t.get(key)
            try:
                if v is not None:
                    numbers.finite(v)
            except ValueError as exc:
                raise doc.error(("teams", i, key), f"{key} must be a number: {exc}", rule="workforce-team") from None
        if caseload is None:
            raise doc.error(("teams", i), f"team '{t['name']}' has no caseload (give one, or --caseload)",
                            rule="workforce-team")
        cases_file = t.get("cases_file")
        if cases_file is not None:
            cases_file = str(Path(path).parent / str(cases_file))
        try:
            teams.append(Team(str(t["name"]), float(caseload), str(kind), t.get("cases_now"),
                              float(t.get("growth_percent") or 0.0), cases_file))
        except CareflowError as exc:
            raise doc.error(("teams", i, exc.findings[0].field or ""), exc.findings[0].message,
                            rule="workforce-team") from None
    return teams
