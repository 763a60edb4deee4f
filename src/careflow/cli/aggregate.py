"""CLI commands for LA-level data from DfE published statistics: benchmark, national-forecast, national-backtest."""

from __future__ import annotations

import json
from pathlib import Path

import click

from careflow import safecsv
from careflow.cli.outputs import output_file
from careflow.errors import CareflowError, Finding


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    group.add_command(benchmark_cmd)
    group.add_command(national_forecast_cmd)
    group.add_command(national_backtest_cmd)


def _read(data: str):
    from careflow.dfe import read_folder

    d = read_folder(data)
    if d.series.empty:
        none = Finding("dfe-no-data", "no DfE children looked after figures (stock, starts or ceases by LA) "
                       "found", file=data)
        raise CareflowError([*d.findings, none])
    return d


def _warn(findings, verbose: bool) -> None:
    shown = [f for f in findings if verbose or f.rule not in ("dfe-unrecognised",)]
    for f in shown:
        click.echo(str(f), err=True)
    hidden = len(findings) - len(shown)
    if hidden:
        click.echo(f"({hidden} unrecognised files passed over; --verbose lists them)", err=True)


DATA = click.option("--data", "data", required=True, type=click.Path(exists=True),
                    help="Folder (searched recursively) or file of DfE/ONS/statistical-neighbour CSVs.")
VERBOSE = click.option("--verbose", is_flag=True, help="List every file passed over.")


@click.command("benchmark")
@DATA
@click.option("--la", "la", required=True, help="Old 3-digit LA code, 9-character ONS code or name.")
@click.option("--year", type=int, default=None, help="Year ending 31 March (default: latest with figures).")
@click.option("--neighbours", "model", type=click.Choice(["2025", "2021"]), default="2025", show_default=True,
              help="Statistical neighbour model.")
@click.option("--weekly-cost", type=float, default=None,
              help="Average weekly cost of a child looked after, GBP (default: the LA's own net spend per child from "
                   "the revenue outturn, else England's from the cla_weekly_cost parameter).")
@click.option("--outturn", type=click.Path(exists=True, dir_okay=False), default=None,
              help="MHCLG revenue outturn RO3 workbook (ODS as published; default: the latest RO3 file under "
                   "--data, if any).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--charts", "charts", type=click.Path(file_okay=False), default=None,
              help="Folder to write the rate chart and (with an outturn) the spend chart into (PNG, SVG, alt text).")
@click.option("--workforce", "workforce_file", type=click.Path(exists=True), default=None,
              help="DfE children's social work workforce indicators CSV (default: the one in --data, if any).")
@click.option("--workforce-chart", type=click.Path(dir_okay=False), default=None,
              help="PNG to write: the LA's workforce rates and caseload by year against neighbours and England.")
@VERBOSE
def benchmark_cmd(data: str, la: str, year: int | None, model: str, weekly_cost: float | None,
                  outturn: str | None, fmt: str, charts: str | None, workforce_file: str | None,
                  workforce_chart: str | None, verbose: bool) -> None:
    """Rates per 10,000 children against the LA's 10 statistical neighbours and England, the gap in children
    and pounds a year, spend per child looked after against the neighbours (with an RO3 outturn) and, with the DfE
    workforce file, the LA's social work workforce against the same neighbours."""
    from careflow.pipeline import benchmark, load_benchmark_data

    bd = load_benchmark_data(data, workforce_file=workforce_file, outturn=outturn)
    b = benchmark(bd, la, year, neighbour_model=model, weekly_cost=weekly_cost)
    _warn(bd.findings + (bd.outturn.findings if bd.outturn and verbose else []), verbose)
    if workforce_chart:
        if b.workforce is None:
            raise CareflowError("no workforce figures for the LA: no chart written", file=workforce_chart,
                                rule="csww-no-data")
        from careflow.reports.charts import workforce_benchmark_png

        workforce_benchmark_png(b.workforce, workforce_chart)
    click.echo(json.dumps(b.to_dict(), indent=2) if fmt == "json" else b.to_text())
    if charts:
        from careflow.reports import benchmark_chart, spend_chart
        from careflow.reports.charts import benchmark_frame

        as_json = json.loads(json.dumps(b.to_dict()))
        frame, name = benchmark_frame(as_json)
        written = [benchmark_chart(frame, la_name=name).save(charts)["png"]]
        if b.spend:
            written.append(spend_chart(as_json).save(charts)["png"])
        click.echo("charts: " + ", ".join(str(p) for p in written), err=True)


@click.command("national-forecast")
@DATA
@click.option("--origin", type=int, required=True, help="Last year of data used (year ending 31 March).")
@click.option("--horizon", type=click.IntRange(1, 10), default=3, show_default=True, help="Years ahead.")
@click.option("--output", type=click.Path(dir_okay=False), required=True, help="CSV to write.")
@click.option("--with-flows", "flows", is_flag=True,
              help="Fix the model to the stock-flow variant (starts, shrunk exit proportions, momentum) instead of "
                   "choosing it from past errors.")
@VERBOSE
def national_forecast_cmd(data: str, origin: int, horizon: int, output: str, flows: bool, verbose: bool) -> None:
    """Forecast children looked after on 31 March for every LA, with P10/P50/P90.

    The model is chosen at the origin from its own past one-year errors (data up to the origin only)."""
    from careflow.aggregate import national_forecast

    output = output_file(output, [data])
    d = _read(data)
    f = national_forecast(d, origin, horizon, flows=flows)
    _warn(d.findings + f.findings, verbose)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    safecsv.to_csv(f.table.round(1), output, index=False)
    n = f.table.old_la_code.nunique()
    click.echo(f"{n} LAs forecast for {origin + 1}-{origin + horizon} from data to {origin}: {output}")
    click.echo(f"model: {f.candidate.label} (b1 = {f.coefficients[0]:.3f} x stock-flow change, b2 = "
               f"{f.coefficients[1]:.3f} x last change); intervals from {f.error_model.n} past one-step errors")


@click.command("national-backtest")
@DATA
@click.option("--origins", default="2020,2021,2022,2023", show_default=True, help="Comma-separated origins.")
@click.option("--horizons", default="1,2,3", show_default=True, help="Comma-separated horizons.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
@click.option("--with-flows", "flows", is_flag=True,
              help="Fix the model to the stock-flow variant (starts, shrunk exit proportions, momentum) instead of "
                   "choosing it from past errors.")
def national_backtest_cmd(data: str, origins: str, horizons: str, fmt: str, flows: bool) -> None:
    """Repeat the national forecast at past origins: error across LAs against last-value and linear-trend."""
    from careflow.aggregate import national_backtest

    try:
        o = [int(x) for x in origins.split(",") if x.strip()]
        h = [int(x) for x in horizons.split(",") if x.strip()]
    except ValueError as exc:
        raise click.BadParameter("origins and horizons are comma-separated years/integers") from exc
    d = _read(data)
    table = national_backtest(d, o, h, flows=flows)
    if fmt == "csv":
        click.echo(safecsv.to_csv(table, index=False), nl=False)
    else:
        click.echo("Absolute percentage error across LAs (median / mean), P10-P90 coverage, percent")
        click.echo(table.to_string(index=False))
