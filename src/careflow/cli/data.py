"""CLI commands for SSDA903 data: validate, summary, demo."""

from __future__ import annotations

import csv
import io
import json
import sys

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    group.add_command(validate)
    group.add_command(summary)
    group.add_command(demo)


def _write(text: str, output: str | None) -> None:
    if output:
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


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_FORMAT
@_OUTPUT
@_YEARS
@_CATEGORIES
def validate(paths, fmt, output, year_convention, categories) -> None:
    """Check SSDA903 files or folders (CSV/XLSX; any mix of years and layouts).

    Every finding names file, row, child, field and rule (Data to Insight 903 validator codes where they match,
    CF-... for careflow's own). Exit 0 when there is no error (warnings allowed), 1 when there are errors.
    """
    from careflow.ssda903 import validate as run

    report = run(list(paths), categories=categories, year_convention=year_convention)
    doc = report.to_dict()
    if fmt == "json":
        _write(json.dumps(doc, indent=2, default=str) + "\n", output)
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=["rule", "severity", "file", "row", "child", "field", "message"])
        w.writeheader()
        w.writerows(doc["issues"])
        _write(buf.getvalue(), output)
    else:
        lines = [str(f) for f in report.findings]
        s = doc["summary"]
        by_rule = report.counts_by_rule()
        if by_rule:
            lines.append("by rule: " + ", ".join(f"{k} x{v}" for k, v in by_rule.items()))
        lines.append(f"{s['errors']} error(s), {s['warnings']} warning(s); {s['children']} children, "
                     f"{s['episodes']} episodes, years {', '.join(s['years']) or 'none'}")
        _write("\n".join(lines) + "\n", output)
    sys.exit(0 if report.ok else 1)


@click.command()
@click.argument("path", nargs=-1, required=True, type=click.Path())
@_FORMAT
@_OUTPUT
@_YEARS
@_CATEGORIES
def summary(path, fmt, output, year_convention, categories) -> None:
    """Children looked after on 31 March, starts and ceases per collection year (DfE definitions: children on
    short breaks only, legal status V3/V4, excluded), and the 31 March count by placement category."""
    from careflow.ssda903 import load, summarise

    data = load(list(path), categories=categories, year_convention=year_convention)
    table = summarise(data)
    cats = [c for c in table.columns if c not in ("year", "at_31_march", "starts", "ceases")]
    if fmt == "json":
        years = [{"year": r["year"], "at_31_march": int(r["at_31_march"]), "starts": int(r["starts"]),
                  "ceases": int(r["ceases"]), "by_category": {c: int(r[c]) for c in cats}}
                 for r in table.to_dict("records")]
        _write(json.dumps({"years": years}, indent=2) + "\n", output)
    elif fmt == "csv":
        _write(table.to_csv(index=False), output)
    else:
        _write(table.to_string(index=False) + "\n", output)
    errors = len(data.errors)
    if errors:
        click.echo(f"note: the data has {errors} validation error(s); run `careflow validate` for the list",
                   err=True)


@click.command()
@click.option("--output", "output", type=click.Path(file_okay=False), default="out/demo", show_default=True,
              help="Folder to write the demo outputs to.")
def demo(output: str) -> None:
    """Run the whole product on the embedded synthetic LA, Anyshire, and write its outputs."""
    from careflow.demo import run_demo

    run_demo(output)
