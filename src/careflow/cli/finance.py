"""CLI commands for finance: ``appraise`` (one business case) and ``portfolio`` (the MTFS roll-up)."""

from __future__ import annotations

import json
import sys

import click

from careflow import safecsv
from careflow.errors import CareflowError


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
    from careflow.finance.case import NoFinancialFigures
    from careflow.finance.render import appraisal_text
    from careflow.register import load_finance_case

    try:
        case = load_finance_case(file)
    except NoFinancialFigures as exc:
        _cross_check_only(file, exc, fmt)
        return
    result = run(case)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, default=_json_default))
    else:
        click.echo(appraisal_text(result), nl=False)
    if not result.ok:
        click.echo(f"{file}: {len(result.failed_checks)} stated figure(s) disagree with the recomputation",
                   err=True)
        sys.exit(1)


def _cross_check_only(file: str, exc, fmt: str) -> None:
    """A case without financial figures: nothing to appraise, but the figures it states are still cross-checked."""
    from careflow import yamlio
    from careflow.finance import crosscheck
    from careflow.finance.render import checks_lines

    doc = yamlio.load(file)
    raw = doc.data.get("cross_checks") if isinstance(doc.data, dict) else None
    if raw is None:
        raise exc
    checks = crosscheck.run(crosscheck.parse(raw, file, doc))
    if fmt == "json":
        click.echo(json.dumps({"reference": doc.data.get("reference"), "appraisal": None,
                               "checks": [c.to_dict() for c in checks]}, indent=2, default=_json_default))
    else:
        click.echo(f"{doc.data.get('reference')}: no financial figures to appraise; the figures the document "
                   "states are cross-checked\n\n" + "\n".join(checks_lines(checks)))
    bad = [c for c in checks if not c.ok]
    if bad:
        click.echo(f"{file}: {len(bad)} stated figure(s) disagree", err=True)
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
@click.option("--combine-authorities", "combine", is_flag=True,
              help="Add different councils' cases into one total (by default each council is rolled up on its own).")
def portfolio(paths: tuple[str, ...], fmt: str, units: str | None, stated: str | None, from_register: bool,
              database: str | None, combine: bool) -> None:
    """Roll business cases (files, folders of *.yaml case files, and/or the register with --register) up into an
    MTFS table by financial year:
    incremental and cumulative savings by directorate, type of saving and delivery status (RAG), with totals, one
    table per council (a case's ``authority``).

    Exits 1 when a case file is invalid or a --stated total disagrees."""
    from careflow.finance.portfolio import check_stated_totals_file, rollup, rollup_by_authority
    from careflow.finance.render import portfolio_text
    from careflow.register import load_finance_cases

    if not paths and not from_register:
        raise click.UsageError("give case files or folders, or --register")
    cases, without_figures = load_finance_cases(list(paths))
    for note in without_figures:
        click.echo(f"note: {note.message}; not in the roll-up ({note.file})", err=True)
    if from_register:
        from careflow.register.portfolio import with_register_cases

        cases = with_register_cases(cases, database)
    results = [rollup(cases, units=units, combine_authorities=True)] if combine else rollup_by_authority(cases, units)
    if stated:
        if len(results) > 1:
            raise CareflowError(f"--stated checks one council's totals; the cases come from {len(results)} "
                                f"councils ({'; '.join(r.authority for r in results)})", file=stated,
                                rule="portfolio-authorities")
        check_stated_totals_file(results[0], stated)
    if fmt == "json":
        body = results[0].to_dict() if len(results) == 1 else {"authorities": [r.to_dict() for r in results]}
        click.echo(json.dumps(body, indent=2, default=_json_default))
    elif fmt == "csv":
        import pandas as pd

        frames = [r.breakdown().assign(authority=r.authority) for r in results]
        table = pd.concat(frames, ignore_index=True)
        table = table[["authority", *[c for c in table.columns if c != "authority"]]]
        click.echo(safecsv.to_csv(table, index=False), nl=False)
    else:
        click.echo("\n".join(portfolio_text(r) for r in results), nl=False)
    if not all(r.ok for r in results):
        click.echo("stated totals disagree with the roll-up", err=True)
        sys.exit(1)
