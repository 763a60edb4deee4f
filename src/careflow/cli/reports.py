"""``careflow report``: Excel workbooks, Word business cases and charts (thin wrappers over careflow.pipeline)."""

from __future__ import annotations

from pathlib import Path

import click

from careflow import pipeline
from careflow.cli.forecast import FORECAST_FILES
from careflow.cli.outputs import output_file, output_folder, register_file
from careflow.reports.provenance import command_line


def forecast_folder(output: str | Path) -> Path:
    """Where ``report forecast`` puts the forecast it runs from SSDA903 data: beside the workbook."""
    return Path(output).with_suffix("").with_name(Path(output).stem + "_forecast")


def forecast_tables(data, output, validation=None, runs: int = 1000, seed: int = 0) -> pipeline.ForecastTables:
    """DATA as a forecast: read from a forecast folder, or (SSDA903 data) validated and forecast now, the forecast
    files written beside the workbook."""
    d = Path(data)
    if (d / "forecast.csv").is_file() or d.name == "forecast.csv" or not d.exists():
        return pipeline.read_forecast_folder(d, validation)
    folder = forecast_folder(output)
    result = pipeline.forecast(pipeline.load_data(d), runs=runs, seed=seed)
    pipeline.write_forecast(result, folder)  # with validation.json: the data's status, counts only
    return pipeline.ForecastTables.of(result, pipeline.read_validation(validation) if validation else None)


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
    from_folder = (folder / "forecast.csv").is_file()
    read = [folder / n for n in FORECAST_FILES] if from_folder else [data]
    inputs = [*read, validation]
    output = output_file(output, inputs)
    if charts_dir:
        charts_dir = output_folder(charts_dir, inputs, option="--charts")
    if not from_folder and d.exists():
        output_folder(forecast_folder(output), inputs, names=FORECAST_FILES)
    tables = forecast_tables(data, output, validation, runs, seed)
    out = pipeline.forecast_report(tables, output, la_name, charts_dir, command=command_line())
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
    out = pipeline.case_report(ref_or_file, output, fmt, difference, appraisal_file, charts_dir, database,
                               command=command_line())
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
    out, n, without = pipeline.portfolio_report(paths, output, title, command=command_line())
    click.echo(f"portfolio workbook ({n} cases): {out}")
    if without:
        click.echo(f"left out {len(without)} case(s) that state no figures: {', '.join(p.name for p in without)}")
