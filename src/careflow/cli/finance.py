"""CLI commands for finance: ``appraise`` (one business case) and ``portfolio`` (the MTFS roll-up)."""

from __future__ import annotations

import json
import sys

import click

from careflow import safecsv


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    group.add_command(appraise)
    group.add_command(portfolio)


def _json_default(value):
    return str(value)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Report format.")
def appraise(file: str, fmt: str) -> None:
    """Appraise the business case in FILE (YAML): net flows by year, totals, payback (simple and cash-flow),
    NPV, benefit-cost ratio, sensitivity, switching values, and a check of every figure the case states.

    Exits 1 when a stated figure disagrees with its recomputation (after printing the report)."""
    from careflow.finance.appraisal import appraise as run
    from careflow.finance.case import load_case
    from careflow.finance.render import appraisal_text

    result = run(load_case(file))
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, default=_json_default))
    else:
        click.echo(appraisal_text(result), nl=False)
    if not result.ok:
        click.echo(f"{file}: {len(result.failed_checks)} stated figure(s) disagree with the recomputation",
                   err=True)
        sys.exit(1)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--register", "from_register", is_flag=True,
              help="Also roll up the cases in the register (careflow cases); --database chooses which.")
@click.option("--database", metavar="URL|FILE", default=None,
              help="Register database for --register (default: $CAREFLOW_DATABASE_URL, else register.sqlite in the "
                   "user data directory).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="Report format (csv: one row per breakdown, group and financial year).")
@click.option("--units", type=click.Choice(["£", "£k"]), default=None,
              help="Units of the roll-up (default: the cases' own units, £k when they differ).")
@click.option("--stated", "stated", type=click.Path(dir_okay=False), default=None,
              help="YAML of totals a document states (units, savings_incremental_by_year, total_savings) to check.")
def portfolio(paths: tuple[str, ...], fmt: str, units: str | None, stated: str | None, from_register: bool,
              database: str | None) -> None:
    """Roll business cases (files, folders of *.yaml case files, and/or the register with --register) up into an
    MTFS table by financial year:
    incremental and cumulative savings by directorate, type of saving and delivery status (RAG), with totals.

    Exits 1 when a case file is invalid or a --stated total disagrees."""
    from careflow.finance.case import load_cases
    from careflow.finance.portfolio import check_stated_totals_file, rollup
    from careflow.finance.render import portfolio_text

    if not paths and not from_register:
        raise click.UsageError("give case files or folders, or --register")
    cases, without_figures = load_cases(list(paths))
    for note in without_figures:
        click.echo(f"note: {note.message}; not in the roll-up ({note.file})", err=True)
    if from_register:
        from careflow.register.portfolio import with_register_cases

        cases = with_register_cases(cases, database)
    result = rollup(cases, units=units)
    if stated:
        check_stated_totals_file(result, stated)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, default=_json_default))
    elif fmt == "csv":
        click.echo(safecsv.to_csv(result.breakdown(), index=False), nl=False)
    else:
        click.echo(portfolio_text(result), nl=False)
    if not result.ok:
        click.echo("stated totals disagree with the roll-up", err=True)
        sys.exit(1)
