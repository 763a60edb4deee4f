"""CLI commands for SSDA903 data: validate, summary, synth."""

from __future__ import annotations

import json
import sys

import click

from careflow import safecsv
from careflow.cli.outputs import output_file, output_folder


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    group.add_command(validate)
    group.add_command(summary)
    group.add_command(synth)


def _write(text: str, output: str | None) -> None:
    if output:  # checked by careflow.output_guard before the command reads anything
        with open(output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=not text.endswith("\n"))


_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text",
                       show_default=True, help="Output format.")
_OUTPUT = click.option("--output", "output", type=click.Path(dir_okay=False), default=None,
                       help="Write to this file instead of the screen.")
_YEARS = click.option("--year-convention", type=click.Choice(["auto", "ending", "starting"]), default="auto",
                      show_default=True, help="What a bare year number in a file/folder name or YEAR column "
                      "means: the year the collection ends (2021 = 2020-21) or starts (2021 = 2021-22); auto "
                      "decides from the episode dates.")
_CATEGORIES = click.option("--categories", type=click.Path(exists=True, dir_okay=False), default=None,
                           help="Your own placement category mapping (YAML; default: careflow's).")


def reading_options(pool: bool = False):
    """--year, --la, --date-format and --columns (and --pool for the modelling commands): how to read SSDA903
    files whose names, columns or dates do not say everything (docs/ssda903.md, "Loading your own return").
    The command receives them as one ``read`` dict of :func:`careflow.ssda903.load` keywords."""
    options = [
        click.option("--year", default=None, help="Collection year (e.g. 2024-25) of files whose names and "
                     "columns do not say (a single return exported as episodes.csv)."),
        click.option("--la", default=None, help="Only this LA of a file stacking several (LA column)."),
        click.option("--date-format", default=None, help="How numeric dates are written, e.g. %d/%m/%Y or "
                     "MM/DD/YYYY; default: settled from the data (a day above 12 settles it)."),
        click.option("--columns", "columns_file", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="YAML of other names for SSDA903 columns, added to careflow's (docs/ssda903.md)."),
    ]
    if pool:
        options.append(click.option("--pool", is_flag=True, help="Model several LAs of a stacked file together "
                                    "as one (default: refuse, naming the LAs; choose one with --la)."))

    def decorate(func):
        import functools

        @functools.wraps(func)
        def wrapper(*args, year, la, date_format, columns_file, pool=False, **kwargs):
            read = {"year": year, "la": la, "date_format": date_format, "columns": columns_file}
            if pool:
                read["pool"] = True
            return func(*args, read=read, **kwargs)

        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper
    return decorate


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_FORMAT
@_OUTPUT
@_YEARS
@_CATEGORIES
@reading_options()
def validate(paths, fmt, output, year_convention, categories, read) -> None:
    """Check SSDA903 files or folders (CSV/XLSX; any mix of years and layouts).

    Every finding names file, row, child, field and rule (Data to Insight 903 validator codes where they match,
    CF-... for careflow's own). Exit 0 when there is no error (warnings allowed), 1 when there are errors.
    """
    from careflow.ssda903 import validate as run

    if output:
        output_file(output, [*paths, categories, read.get("columns")])
    report = run(list(paths), categories=categories, year_convention=year_convention, **read)
    doc = report.to_dict()
    if fmt == "json":
        _write(json.dumps(doc, indent=2, default=str) + "\n", output)
    elif fmt == "csv":
        _write(safecsv.dict_rows(["rule", "severity", "file", "row", "child", "field", "message"], doc["issues"]),
               output)
    else:
        lines = [str(f) for f in report.findings]
        s = doc["summary"]
        by_rule = report.counts_by_rule()
        if by_rule:
            lines.append("by rule: " + ", ".join(f"{k} x{v}" for k, v in by_rule.items()))
        lines.append(f"{s['errors']} error(s), {s['warnings']} warning(s); {s['children']} children, "
                     f"{s['episodes']} episodes, years {', '.join(s['years']) or 'none'}")
        for la in s["las"]:
            lines.append(f"  {la['la']}: {la['children']} children, {la['episodes']} episodes, years "
                         f"{', '.join(la['years'])}")
        _write("\n".join(lines) + "\n", output)
    sys.exit(0 if report.ok else 1)


@click.command()
@click.argument("path", nargs=-1, required=True, type=click.Path())
@_FORMAT
@_OUTPUT
@_YEARS
@_CATEGORIES
@reading_options()
def summary(path, fmt, output, year_convention, categories, read) -> None:
    """Children looked after on 31 March, starts and ceases per collection year (DfE definitions: children on
    short breaks only, legal status V3/V4, excluded), and the 31 March count by placement category. A file
    stacking several LAs is counted LA by LA (--la picks one)."""
    from careflow.ssda903 import load, summarise

    if output:
        output_file(output, [*path, categories, read.get("columns")])
    data = load(list(path), categories=categories, year_convention=year_convention, **read)
    table = summarise(data)
    cats = [c for c in table.columns if c not in ("la", "year", "at_31_march", "starts", "ceases")]
    several = len(data.las) > 1
    if fmt == "json":
        years = [{"la": r["la"] or None, "year": r["year"], "at_31_march": int(r["at_31_march"]),
                  "starts": int(r["starts"]), "ceases": int(r["ceases"]), "by_category": {c: int(r[c]) for c in cats}}
                 for r in table.to_dict("records")]
        _write(json.dumps({"las": data.las, "years": years}, indent=2) + "\n", output)
    elif fmt == "csv":
        _write(safecsv.to_csv(table if several or data.las else table.drop(columns="la"), index=False), output)
    elif several:
        _write("\n\n".join(f"{la}\n" + part.drop(columns="la").to_string(index=False)
                           for la, part in table.groupby("la", sort=True)) + "\n", output)
    else:
        _write(table.drop(columns="la").to_string(index=False) + "\n", output)
    errors = len(data.errors)
    if errors:
        click.echo(f"note: the data has {errors} validation error(s); run `careflow validate` for the list",
                   err=True)


LAST_DEFAULT_YEAR = 2025  # the 2024-25 collection year ends 31 March 2025


@click.command()
@click.option("--children-in-care", type=click.IntRange(min=1), default=400, show_default=True,
              help="Children looked after at the start of the first collection year (steady state).")
@click.option("--first-year", default=None,
              help="First collection year, by the year it ends (2020 = 2019-20) or as a label like 2019-20. "
                   "Default: the years end with 2024-25, as Anyshire's do.")
@click.option("--years", type=click.IntRange(min=1, max=30), default=6, show_default=True,
              help="Number of collection years.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed (same seed, same files).")
@click.option("--output", type=click.Path(file_okay=False), required=True,
              help="Folder to write <year>/header.csv, episodes.csv, uasc.csv to.")
@click.option("--faults", default=None,
              help="Faults to inject for testing, e.g. 'overlap,invalid_code:0.05' or 'all' (see docs/synth.md).")
@click.option("--fault-rate", type=click.FloatRange(min=0, max=1, min_open=True), default=0.01, show_default=True,
              help="Share of rows damaged by each fault kind without its own rate.")
@click.option("--la-name", default="Anyshire", show_default=True, help="Name of the fictional LA.")
def synth(children_in_care, first_year, years, seed, output, faults, fault_rate, la_name) -> None:
    """Write synthetic SSDA903 returns for a fictional LA, calibrated to England's published figures."""
    from careflow.errors import CareflowError
    from careflow.synth import generate

    output = output_folder(output)
    if first_year is None:  # end with the 2024-25 return, whatever --years is (no returns from the future)
        first_year = str(LAST_DEFAULT_YEAR - years + 1)
    try:
        out = generate(children_in_care, first_year, years, seed, output, faults, la_name=la_name,
                       fault_rate=fault_rate)
    except ValueError as exc:  # e.g. an unparseable --first-year
        raise CareflowError(str(exc), field="first-year", rule="synth") from exc
    years_written = sorted(p.name for p in out.iterdir() if p.is_dir())
    click.echo(f"{la_name}: {len(years_written)} collection years ({years_written[0]} to {years_written[-1]}) "
               f"written to {out}")
