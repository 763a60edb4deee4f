"""Report: the forecast workbook, business case documents and workbooks, and the portfolio roll-up.

Each function takes what the other jobs return (a :class:`Forecast`, a case and its appraisal) or the files the
user has (a forecast folder, a case file, a difference.csv), writes one report and returns its path. ``command``
is the command line shown on the report's About sheet (the CLI passes its own).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from careflow.errors import CareflowError, Finding
from careflow.pipeline.appraise import case_from_register, load_and_appraise
from careflow.pipeline.forecast import COST_COLUMNS, Forecast

FORECAST_PARAMETERS = ("unit_costs", "inflation", "age_bands", "placement_categories")
FINANCE_PARAMETERS = ("green_book_discount",)


@dataclass
class ForecastTables:
    """A forecast as the reports take it: the forecast.csv and costs.csv tables, the summary, the data's
    validation summary, and the files it came from."""

    forecast: pd.DataFrame
    costs: pd.DataFrame | None
    summary: dict
    validation: dict | None = None
    files: list[Path] = field(default_factory=list)

    @classmethod
    def of(cls, result: Forecast, validation: dict | None = None) -> ForecastTables:
        """The tables of a forecast made in this session; ``validation`` defaults to the status the forecast
        carries from its data."""
        return cls(result.stock(), result.costs()[list(COST_COLUMNS)], result.summary(),
                   validation if validation is not None else result.validation, list(result.files))


def shipped_parameters(names) -> list:
    """careflow's shipped parameters called ``names``."""
    from careflow.parameters import load_parameter

    return [load_parameter(n) for n in names]


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise CareflowError(Finding(rule="file", message=f"cannot read {what}: {exc}", file=str(path))) from None


def _read_json(path: Path, what: str) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CareflowError(Finding(rule="file", message=f"cannot read {what}: {exc}", file=str(path))) from None


def read_validation(path: str | Path) -> dict:
    """A validation summary written by ``careflow validate --format json``."""
    if not Path(path).is_file():
        raise CareflowError(Finding(rule="file", message="no such validation file", file=str(path)))
    return _read_json(Path(path), "the validation summary")


def read_forecast_folder(data: str | Path, validation: str | Path | None = None) -> ForecastTables:
    """Read a ``careflow forecast --output`` folder: forecast.csv, costs.csv, summary.json, validation.json."""
    d = Path(data)
    if d.is_file() and d.name == "forecast.csv":
        d = d.parent
    if not (d / "forecast.csv").is_file():
        raise CareflowError(Finding(rule="report-input", file=str(d),
                                    message="no forecast.csv here: give the folder `careflow forecast --output` "
                                            "wrote (forecast.csv, costs.csv, summary.json)"))
    forecast = _read_csv(d / "forecast.csv", "the forecast")
    costs = _read_csv(d / "costs.csv", "the costs") if (d / "costs.csv").is_file() else None
    summary = _read_json(d / "summary.json", "the forecast summary") if (d / "summary.json").is_file() else {}
    vpath = Path(validation) if validation else d / "validation.json"
    valid = _read_json(vpath, "the validation summary") if vpath.is_file() else None
    if validation and valid is None:
        raise CareflowError(Finding(rule="file", message="no such validation file", file=str(vpath)))
    files = [d / "forecast.csv"] + ([d / "costs.csv"] if costs is not None else []) + ([vpath] if valid else [])
    return ForecastTables(forecast, costs, summary, valid, files)


def unit_cost_parameters(summary: dict) -> list[dict]:
    """The weekly unit costs a forecast actually used (from its summary), as sourced parameter rows."""
    weekly = summary.get("unit_costs_weekly") or {}
    sources = summary.get("unit_cost_sources") or {}
    if not weekly:
        return []
    if isinstance(sources, dict):
        ref = "; ".join(f"{k}: {v}" for k, v in sources.items()) if sources else ""
    else:
        ref = "; ".join(str(s) for s in sources)
    carried = ("carried to each financial year's cash prices by careflow's price index (inflation.yaml) or the MTFS "
               "rates given")
    return [{"name": "unit_costs (as used)", "description": "Weekly unit cost by placement category and financial "
             "year, after inflation, as the forecast priced it", "unit": "GBP per week",
             "reference": ref or "careflow shipped unit costs (see unit_costs)", "values": weekly,
             **({"sources": {k: f"{v}; {carried}" for k, v in sources.items()}} if isinstance(sources, dict)
                else {})}]


def forecast_report(forecast: ForecastTables | Forecast, output: str | Path, la_name: str = "",
                    charts_dir: str | Path | None = None, command: str | None = None) -> Path:
    """The forecast workbook (and, with ``charts_dir``, the fan chart and cost chart) of a forecast."""
    from careflow.reports import Provenance, cost_chart, fan_chart, forecast_workbook

    tables = ForecastTables.of(forecast) if isinstance(forecast, Forecast) else forecast
    summary = tables.summary
    settings = {k: summary[k] for k in ("data_end", "start", "end", "runs", "trend", "reference_window")
                if k in summary}
    prov = Provenance(title=f"{la_name + ': ' if la_name else ''}forecast of children in care and placement spend",
                      data_files=list(tables.files), settings=settings, seed=summary.get("seed"), command=command)
    params = shipped_parameters(FORECAST_PARAMETERS) + unit_cost_parameters(summary)
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    forecast_workbook(out, tables.forecast, tables.costs, tables.validation, params, prov, la_name=la_name)
    if charts_dir:
        fan_chart(tables.forecast, la_name=la_name).save(charts_dir)
        if tables.costs is not None:
            cost_chart(tables.costs, la_name=la_name).save(charts_dir)
    return out


def case_report(ref_or_file: str | Path, output: str | Path, fmt: str | None = None,
                difference: pd.DataFrame | str | Path | None = None, appraisal_file: str | Path | None = None,
                charts_dir: str | Path | None = None, database: str | None = None,
                command: str | None = None) -> Path:
    """A business case (a case file, or a reference in the register) as a Word document (``docx``) or a finance
    workbook (``xlsx``; default from the output's suffix), with a scenario's savings by lever when given (a
    difference table, or the path of a difference.csv)."""
    from careflow.reports import Provenance, case_document, case_workbook

    out = Path(output)
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in ("docx", "xlsx"):
        raise CareflowError(Finding(rule="usage", field="format",
                                    message=f"cannot tell the format from '{out.name}': use --format docx|xlsx"))
    p = Path(ref_or_file)
    files = []
    if p.is_file():
        case, appraisal = load_and_appraise(p)
        files.append(p)
    else:
        case, appraisal = case_from_register(str(ref_or_file), database)
    if appraisal_file:
        appraisal = _read_json(Path(appraisal_file), "the appraisal")
        files.append(Path(appraisal_file))
    diff = difference
    if isinstance(difference, str | Path):
        diff = _read_csv(Path(difference), "the scenario difference")
        files.append(Path(difference))
    from careflow.reports.case_view import as_mapping

    c = as_mapping(case)
    prov = Provenance(title=f"Business case {c.get('reference') or ''}: {c.get('title') or ''}".strip(),
                      data_files=files, command=command)
    params = shipped_parameters(FINANCE_PARAMETERS) if appraisal else []
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "docx":
        case_document(out, case, appraisal, diff, params, prov)
    else:
        if appraisal is None:
            raise CareflowError(Finding(rule="report-input", file=str(p),
                                        message="the case states no investment or savings, so there is no "
                                                "financial workbook to write (use --format docx)"))
        case_workbook(out, case, appraisal, diff, params, prov)
    if charts_dir:
        _case_charts(c, appraisal, diff, charts_dir)
    return out


def _case_charts(c: dict, appraisal: dict | None, diff: pd.DataFrame | None, charts_dir: str | Path) -> None:
    from careflow.reports import mtfs_chart, savings_waterfall
    from careflow.reports.case_view import timeline_rows
    from careflow.reports.charts import timeline_chart
    from careflow.reports.excel import appraisal_years

    if appraisal:
        mtfs_chart(appraisal_years(appraisal), units="£k" if "k" in str(appraisal.get("units", "")) else "£",
                   title=f"{c.get('title') or 'Business case'}: cash flows").save(charts_dir)
    if diff is not None:
        savings_waterfall(diff).save(charts_dir)
    spans = timeline_rows(c)
    if spans:
        timeline_chart(spans, title=f"{c.get('title') or 'Programme'}: timeline").save(charts_dir)


def portfolio_report(paths, output: str | Path, title: str = "Savings programme",
                     command: str | None = None) -> tuple[Path, int, list[Path]]:
    """Roll the case files in ``paths`` up into the portfolio workbook. Returns the workbook, the number of cases
    rolled up and the case files left out because they state no figures."""
    from careflow.register import find_case_files
    from careflow.reports import Provenance, portfolio_workbook

    files = find_case_files([Path(p) for p in paths])
    if not files:
        raise CareflowError(Finding(rule="report-input", message="no case files (*.yaml) found in "
                                                                 + ", ".join(str(p) for p in paths)))
    cases, without = [], []
    for f in files:
        case, appraisal = load_and_appraise(f)
        if appraisal is not None:
            cases.append((case, appraisal))
        else:
            without.append(Path(f))
    if not cases:
        raise CareflowError(Finding(rule="report-input", message="none of the cases states any savings"))
    prov = Provenance(title=f"{title}: MTFS roll-up", data_files=files, command=command)
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    if without:
        prov.settings["cases without figures (not rolled up)"] = ", ".join(p.name for p in without)
    portfolio_workbook(out, cases, shipped_parameters(FINANCE_PARAMETERS), prov, title=title)
    return out, len(cases), without
