"""``careflow indicators`` and ``careflow cohort``: the standard measures and cohort follow-up from SSDA903 data."""

from __future__ import annotations

import json

import click

from careflow import numbers, safecsv
from careflow.cli.data import _CATEGORIES, _FORMAT, _OUTPUT, _YEARS, _write, reading_options
from careflow.cli.outputs import output_file
from careflow.vocabulary import INDICATOR_BREAKDOWNS


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    group.add_command(indicators)
    group.add_command(cohort)


def parse_population(values: tuple[str, ...]):
    """``--population 39400`` (every year) or ``--population 2024-25=39400`` (repeatable) -> number or dict."""
    if not values:
        return None
    out: dict[str, float] = {}
    for item in values:
        year, sep, number = item.rpartition("=")
        try:
            value = numbers.finite(float(number))  # nan and inf are not populations
        except ValueError:
            raise click.BadParameter(f"expected a number or YEAR=NUMBER, got {item!r}",
                                     param_hint="--population") from None
        if not sep:
            if len(values) > 1:
                raise click.BadParameter("give one number for every year, or YEAR=NUMBER for each year",
                                         param_hint="--population")
            return value
        out[year.strip()] = value
    return out


_SHOWN = [("at_31_march", "{:.0f}"), ("per_10000", "{:.1f}"), ("starts", "{:.0f}"), ("ceases", "{:.0f}"),
          ("residential_share", "{:.1f}%"), ("ifa_share", "{:.1f}%"), ("three_plus_placements", "{:.1f}%"),
          ("long_term_stability", "{:.1f}%"), ("out_of_area_share", "{:.1f}%"), ("average_days_in_care", "{:.0f}"),
          ("average_days_ceased", "{:.0f}")]


def render_text(ind, monthly: bool) -> str:
    """The yearly table (measures as rows, years as columns), or the monthly one; then breakdowns and notes."""
    import pandas as pd

    from careflow.indicators import MEASURES

    lines = []
    if monthly:
        table = ind.monthly.assign(month_end=ind.monthly["month_end"].dt.strftime("%Y-%m-%d"))
        lines.append(table.to_string(index=False))
    else:
        y = ind.yearly
        rows = {}
        for name, fmt in _SHOWN:
            if y[name].notna().any():
                rows[MEASURES[name].label] = [fmt.format(v) if pd.notna(v) else "" for v in y[name]]
        lines.append(pd.DataFrame(rows, index=list(y["year"])).T.to_string())
    for dim, table in ind.breakdowns.items():
        lines += ["", f"by {dim.replace('_', ' ')}:", table.to_string(index=False)]
    lines += [f"note: {n}" for n in ind.notes]
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("path", nargs=-1, required=True, type=click.Path())
@click.option("--population", multiple=True, metavar="N|YEAR=N",
              help="Children aged 0-17 in the LA, for the rate per 10,000: one number, or YEAR=N per collection "
                   "year (the DfE uses the ONS mid-year estimate of the year before 31 March). Repeatable.")
@click.option("--by", "by", multiple=True,
              type=click.Choice(INDICATOR_BREAKDOWNS),
              help="Break the counts (31 March, starts, ceases) down by this (repeatable).")
@click.option("--local", "local", multiple=True, metavar="AREA",
              help="The LA's own postcode areas (AN) or districts (SW6) for the out-of-area measure (repeatable); "
                   "default: the areas of at least 20% of the children's home postcodes.")
@click.option("--monthly", is_flag=True, help="Children looked after at each month end, starts and ceases per "
                                              "month, instead of the yearly measures.")
@_FORMAT
@_OUTPUT
@_YEARS
@_CATEGORIES
@reading_options(pool=True)
def indicators(path, population, by, local, monthly, fmt, output, year_convention, categories, read) -> None:
    """The standard measures from SSDA903 data by collection year or month (DfE definitions, short-break-only
    care excluded): children looked after on 31 March and per 10,000, starts, ceases, share in residential, share
    of fostering that is IFA, 3+ placements in the year, long-term stability, placed out of area, time in care.

    Definitions and sources: docs/indicators.md. CSV holds the yearly (or --monthly) table; with --by, the
    breakdown table. A file stacking several LAs needs --la (one LA) or --pool (counted together).
    """
    from careflow import pipeline

    if output:
        output_file(output, [*path, categories, read.get("columns")])

    data = pipeline.load_returns(path, categories, year_convention, **read)
    ind = pipeline.indicators(data, population=parse_population(population), by=by, local=list(local) or None)
    if fmt == "json":
        _write(json.dumps(ind.to_dict(), indent=2) + "\n", output)
    elif fmt == "csv":
        _write(safecsv.to_csv(pipeline.indicator_table(ind, monthly=monthly, by=bool(by)), index=False), output)
    else:
        _write(render_text(ind, monthly), output)
    if data.errors:
        click.echo(f"note: the data has {len(data.errors)} validation error(s); run `careflow validate` for the "
                   "list", err=True)


def parse_months(text: str) -> list[int]:
    try:
        months = [int(m) for m in text.replace(" ", "").split(",") if m]
    except ValueError:
        raise click.BadParameter(f"expected whole numbers separated by commas, got {text!r}",
                                 param_hint="--months") from None
    if not months or min(months) < 1:
        raise click.BadParameter("months must be 1 or more", param_hint="--months")
    return months


def render_cohort(c) -> str:
    def block(title: str, co) -> list[str]:
        out = [f"{title}: {co.children} children; {co.in_care_at_start} looked after on {co.start.date()}"
               + (f" ({_counts(co.by_category_at_start)})" if co.by_category_at_start else "")]
        for p in co.status:
            if p.in_care is None:
                out.append(f"  {p.months:>3} months ({p.date.date()}): {p.note}")
                continue
            out.append(f"  {p.months:>3} months ({p.date.date()}): looked after {p.in_care}"
                       + (f" ({_counts(p.by_category)})" if p.by_category else "")
                       + f"; left {sum(p.left.values())}" + (f" ({_counts(p.left)})" if p.left else "")
                       + f"; not looked after {p.not_looked_after}; entered care since the start {p.entered}")
        return out

    lines = block("cohort", c)
    if c.comparison is not None:
        lines += block("matched comparison group (same age band and placement category at the start)", c.comparison)
        if c.unmatched:
            lines.append(f"  {c.unmatched} cohort children had no comparison child left to draw")
    lines += [f"note: {n}" for n in c.notes]
    return "\n".join(lines) + "\n"


def _counts(d: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items())


@click.command()
@click.argument("path", nargs=-1, required=True, type=click.Path())
@click.option("--children", "children_file", required=True, type=click.Path(dir_okay=False),
              help="CSV with a CHILD column of raw SSDA903 child identifiers (and optionally LA).")
@click.option("--start", required=True, help="Date the cohort is followed from (YYYY-MM-DD), e.g. the "
                                             "intervention's start.")
@click.option("--months", default="3,6,12", show_default=True, help="Points to report, in months after the start.")
@click.option("--compare", is_flag=True, help="Also follow a matched comparison group from the same data (same age "
                                              "band and placement category on the start date).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed for drawing the comparison group.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@_OUTPUT
@_YEARS
@_CATEGORIES
@reading_options()
def cohort(path, children_file, start, months, compare, seed, fmt, output, year_convention, categories, read) -> None:
    """Follow a named list of children from a date: at each point how many are looked after (by placement
    category), how many have left care (by exit group), and how many entered care since the start."""
    from careflow import pipeline
    from careflow.indicators import read_children

    wanted = parse_months(months)
    if output:
        output_file(output, [*path, children_file, categories, read.get("columns")])
    read_children(children_file)  # a bad children file is reported before the returns are read
    data = pipeline.load_returns(path, categories, year_convention, **read)
    result = pipeline.cohort(data, children_file, start, wanted, compare=compare, seed=seed)
    if fmt == "json":
        _write(json.dumps(result.to_dict(), indent=2) + "\n", output)
    else:
        _write(render_cohort(result), output)
