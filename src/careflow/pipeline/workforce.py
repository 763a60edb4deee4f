"""The workforce job: the social workers a forecast needs (from a forecast in memory or a forecast folder), and
writing the plan's files as a separate step."""

from __future__ import annotations

import json
from pathlib import Path

from careflow import safecsv
from careflow.pipeline.forecast import Forecast
from careflow.workforce.job import workforce_plan
from careflow.workforce.staff import WorkforcePlan, forecast_cases, stock_cases


def workforce(forecast: Forecast | str | Path, **settings) -> WorkforcePlan:
    """Plan the social workers ``forecast`` needs: a :class:`~careflow.pipeline.Forecast` in memory, or the folder
    ``careflow forecast`` wrote (its forecast.csv). ``settings`` are those of
    :func:`careflow.workforce.job.workforce_plan` (caseload, la, csww, agency_rate, teams_file, direct_time ...)."""
    if isinstance(forecast, Forecast):
        cases = stock_cases(forecast.stock())
    else:
        cases = forecast_cases(forecast)
    return workforce_plan(cases, **settings)


def write_workforce(result: WorkforcePlan, out: str | Path, title: str = "Social workers needed") -> dict:
    """Write workforce.csv (by financial year), workforce_by_month.csv, workforce_chart.png and workforce.json
    (settings and sources) into ``out``; returns the settings."""
    from careflow.reports.charts import workforce_plan_png

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    safecsv.to_csv(result.yearly, out / "workforce.csv", index=False, float_format="%.2f")
    safecsv.to_csv(result.monthly, out / "workforce_by_month.csv", index=False, float_format="%.3f")
    workforce_plan_png(result, out / "workforce_chart.png", title)
    settings = result.settings()
    (out / "workforce.json").write_text(json.dumps(settings, indent=2, default=float))
    return settings
