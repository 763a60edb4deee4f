"""``careflow report``: Excel workbooks, Word business cases and charts from careflow's outputs.

Thin wrappers over :mod:`careflow.reports`; the loading helpers here are shared with the demo.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import click
import pandas as pd

from careflow.cli.forecast import FORECAST_FILES
from careflow.cli.outputs import output_file, output_folder, register_file
from careflow.errors import CareflowError, Finding

FORECAST_PARAMETERS = ("unit_costs", "inflation", "age_bands", "placement_categories")
FINANCE_PARAMETERS = ("green_book_discount", "optimism_bias")


def _command_line() -> str:
    return "careflow " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def shipped_parameters(names) -> list:
    """The shipped parameters among ``names`` (those not shipped in this build are skipped)."""
    from careflow.parameters import available, load_parameter

    have = set(available())
    return [load_parameter(n) for n in names if n in have]


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


def load_forecast_folder(data: str | Path, validation: str | Path | None = None):
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
    return forecast, costs, summary, valid, files


def unit_cost_parameters(summary: dict) -> list[dict]:
    """The weekly unit costs a forecast actually used (from its summary.json), as sourced parameter rows."""
    weekly = summary.get("unit_costs_weekly") or {}
    sources = summary.get("unit_cost_sources") or {}
    if not weekly:
        return []
    if isinstance(sources, dict):
        ref = "; ".join(f"{k}: {v}" for k, v in sources.items()) if sources else ""
    else:
        ref = "; ".join(str(s) for s in sources)
    return [{"name": "unit_costs (as used)", "description": "Weekly unit cost by placement category and financial "
             "year, after inflation, as the forecast priced it", "unit": "GBP per week",
             "reference": ref or "careflow shipped unit costs (see unit_costs)", "values": weekly}]


def run_forecast(data, folder: Path, runs: int = 1000, seed: int = 0) -> Path:
    """Validate SSDA903 data and run the forecast into ``folder`` (forecast.csv, costs.csv, summary.json,
    validation.json), as ``careflow validate`` and ``careflow forecast`` would."""
    from careflow.cli import forecast as forecast_cli

    if not hasattr(forecast_cli, "write_forecast"):
        raise CareflowError(Finding(rule="report-input", file=str(data),
                                    message="no forecast.csv here, and this build cannot run the forecast: give "
                                            "the folder `careflow forecast --output` wrote"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        from careflow.ssda903 import validate

        report = validate(data)
        (folder / "validation.json").write_text(json.dumps(report.to_dict(), indent=2, default=str),
                                                encoding="utf-8")
    except ImportError:  # pragma: no cover - the reader ships with careflow
        pass
    episodes, data_end, categories = forecast_cli.load_data(data)
    forecast_cli.write_forecast(folder, episodes, data_end=data_end, runs=runs, seed=seed, categories=categories)
    return folder


def forecast_folder(output: str | Path) -> Path:
    """Where ``report forecast`` puts the forecast it runs from SSDA903 data: beside the workbook."""
    return Path(output).with_suffix("").with_name(Path(output).stem + "_forecast")


def write_forecast_report(data, output, validation=None, la_name: str = "", charts_dir=None, runs: int = 1000,
                          seed: int = 0) -> Path:
    """The forecast workbook from a forecast folder, or from SSDA903 data (forecast first, beside the workbook)."""
    from careflow.reports import Provenance, cost_chart, fan_chart, forecast_workbook

    d = Path(data)
    if not (d / "forecast.csv").is_file() and not d.name == "forecast.csv" and d.exists():
        data = run_forecast(d, forecast_folder(output), runs, seed)
    forecast, costs, summary, valid, files = load_forecast_folder(data, validation)
    settings = {k: summary[k] for k in ("data_end", "start", "end", "runs", "trend", "reference_window")
                if k in summary}
    prov = Provenance(title=f"{la_name + ': ' if la_name else ''}forecast of children in care and placement spend",
                      data_files=files, settings=settings, seed=summary.get("seed"), command=_command_line())
    params = shipped_parameters(FORECAST_PARAMETERS) + unit_cost_parameters(summary)
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    forecast_workbook(out, forecast, costs, valid, params, prov, la_name=la_name)
    if charts_dir:
        fan_chart(forecast, la_name=la_name).save(charts_dir)
        if costs is not None:
            cost_chart(costs, la_name=la_name).save(charts_dir)
    return out


def load_and_appraise(path: str | Path):
    """A case file through careflow.finance: (case, appraisal dict or None when the case states no figures)."""
    from careflow import finance, yamlio

    try:
        case = finance.load_case(path)
    except CareflowError as exc:
        # A case whose figures are in "the accompanying financial report": still a document, no appraisal.
        if exc.findings and all(f.rule == "case-no-figures" for f in exc.findings):
            return yamlio.load(path).data, None
        raise
    data = case.doc.data if getattr(case, "doc", None) is not None else {}
    has_figures = any(data.get(k) for k in ("investment", "savings", "lines", "ongoing_costs", "savings_from"))
    return case, (finance.appraise(case).to_dict() if has_figures else None)


def _case_from_register(ref: str, database: str | None = None):
    """A case from the register: (BusinessCase, appraisal dict or None when it states no figures)."""
    from careflow import finance
    from careflow.register import Register
    from careflow.register import financials as fin

    with Register(database) as reg:
        stored = reg.get(ref)  # a clear finding when the reference is not there
    fc = fin.finance_case(stored.case)
    return stored.case, (finance.appraise(fc).to_dict() if fc is not None else None)


def write_case_report(ref_or_file, output, fmt: str | None = None, difference=None, appraisal_file=None,
                      charts_dir=None, database: str | None = None) -> Path:
    from careflow.reports import Provenance, case_document, case_workbook, mtfs_chart, savings_waterfall
    from careflow.reports.case_view import as_mapping, timeline_rows
    from careflow.reports.charts import timeline_chart
    from careflow.reports.excel import appraisal_years

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
        case, appraisal = _case_from_register(str(ref_or_file), database)
    if appraisal_file:
        appraisal = _read_json(Path(appraisal_file), "the appraisal")
        files.append(Path(appraisal_file))
    diff = None
    if difference:
        diff = _read_csv(Path(difference), "the scenario difference")
        files.append(Path(difference))
    c = as_mapping(case)
    prov = Provenance(title=f"Business case {c.get('reference') or ''}: {c.get('title') or ''}".strip(),
                      data_files=files, command=_command_line())
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
        if appraisal:
            mtfs_chart(appraisal_years(appraisal), units="£k" if "k" in str(appraisal.get("units", "")) else "£",
                       title=f"{c.get('title') or 'Business case'}: cash flows").save(charts_dir)
        if diff is not None:
            savings_waterfall(diff).save(charts_dir)
        spans = timeline_rows(c)
        if spans:
            timeline_chart(spans, title=f"{c.get('title') or 'Programme'}: timeline").save(charts_dir)
    return out


def write_portfolio_report(paths, output, title: str = "Savings programme") -> tuple[Path, int, list[Path]]:
    """Roll the case files in ``paths`` up into the portfolio workbook. Returns the workbook, the number of cases
    rolled up and the case files left out because they state no figures."""
    from careflow import finance
    from careflow.reports import Provenance, portfolio_workbook

    files = finance.find_case_files([Path(p) for p in paths])
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
    prov = Provenance(title=f"{title}: MTFS roll-up", data_files=files, command=_command_line())
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    if without:
        prov.settings["cases without figures (not rolled up)"] = ", ".join(p.name for p in without)
    portfolio_workbook(out, cases, shipped_parameters(FINANCE_PARAMETERS), prov, title=title)
    return out, len(cases), without


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    group.add_command(report)


@click.group()
def report() -> None:
    """Excel workbooks for finance, Word business cases for cabinet, charts (PNG and SVG with alt text)."""


@report.command("forecast")
@click.argument("data", type=click.Path())
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="Workbook to write (.xlsx).")
@click.option("--validation", type=click.Path(dir_okay=False),
              help="Validation summary JSON (default: validation.json in DATA, if there).")
@click.option("--la-name", default="", help="Name of the local authority for titles.")
@click.option("--charts", "charts_dir", type=click.Path(file_okay=False),
              help="Also write the fan chart and cost chart (PNG, SVG, alt text) into this folder.")
@click.option("--runs", default=1000, show_default=True, type=int,
              help="Monte Carlo runs, when DATA is SSDA903 data to forecast first.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Random seed, when DATA is SSDA903 data to forecast first.")
def report_forecast(data, output, validation, la_name, charts_dir, runs, seed):
    """Forecast workbook from DATA: the folder `careflow forecast --output` wrote, or SSDA903 data (validated and
    forecast first; the forecast files go beside the workbook). Children in care by category and month
    (P10/P50/P90), placement spend by financial year in £k, native Excel charts, the data's validation summary,
    the parameters used with their sources, and how it was produced."""
    d = Path(data)
    folder = d.parent if d.name == "forecast.csv" else d
    read = [folder / n for n in ("forecast.csv", "costs.csv", "summary.json", "validation.json")] \
        if (folder / "forecast.csv").is_file() else [data]
    inputs = [*read, validation]
    output = output_file(output, inputs)
    if charts_dir:
        charts_dir = output_folder(charts_dir, inputs, option="--charts")
    if not (folder / "forecast.csv").is_file():
        output_folder(forecast_folder(output), inputs, names=FORECAST_FILES)
    out = write_forecast_report(data, output, validation, la_name, charts_dir, runs, seed)
    click.echo(f"forecast workbook: {out}")


@report.command("case")
@click.argument("ref_or_file")
@click.option("--format", "fmt", type=click.Choice(["docx", "xlsx"]), default=None,
              help="docx: the business case in the council template; xlsx: the finance workbook. Default: from "
                   "the --output suffix.")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--difference", type=click.Path(dir_okay=False),
              help="A scenario's difference.csv (savings by lever) to include.")
@click.option("--appraisal", "appraisal_file", type=click.Path(dir_okay=False),
              help="Use this appraisal JSON (`careflow appraise --format json`) instead of appraising the case.")
@click.option("--charts", "charts_dir", type=click.Path(file_okay=False),
              help="Also write the case's charts (PNG, SVG, alt text) into this folder.")
@click.option("--database", default=None,
              help="Register to look REF up in. Default: $CAREFLOW_DATABASE_URL, else the user's register.sqlite.")
def report_case(ref_or_file, fmt, output, difference, appraisal_file, charts_dir, database):
    """A business case from REF_OR_FILE (a case YAML file, or a reference in the register) as a Word document in
    the council template or an Excel workbook (MTFS profile in £k, payback, NPV, checks with stated figures that
    do not add up flagged in red)."""
    inputs = [ref_or_file if Path(ref_or_file).exists() else register_file(database), difference, appraisal_file]
    output = output_file(output, inputs)
    if charts_dir:
        charts_dir = output_folder(charts_dir, inputs, option="--charts")
    out = write_case_report(ref_or_file, output, fmt, difference, appraisal_file, charts_dir, database)
    click.echo(f"business case: {out}")


@report.command("portfolio")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="Workbook to write (.xlsx).")
@click.option("--title", default="Savings programme", show_default=True, help="Title of the programme.")
def report_portfolio(paths, output, title):
    """MTFS roll-up workbook of the business cases in PATHS (files, or folders of *.yaml case files): savings by
    financial year in £k, incremental and against the baseline, by directorate, type of saving and status, and
    every stated figure that does not add up."""
    output = output_file(output, paths)
    out, n, without = write_portfolio_report(paths, output, title)
    click.echo(f"portfolio workbook ({n} cases): {out}")
    if without:
        click.echo(f"left out {len(without)} case(s) that state no figures: {', '.join(p.name for p in without)}")
