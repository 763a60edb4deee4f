"""``careflow cases``: the register of business cases (import, list, show, export, history, track, status,
refresh, risks, benefits, milestone, child-level)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from careflow import safecsv
from careflow.cli.data import _CATEGORIES, _YEARS, reading_options
from careflow.cli.outputs import output_file, register_file
from careflow.errors import CareflowError, Finding
from careflow.vocabulary import MilestoneStatus


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    group.add_command(cases)


def _open(ctx: click.Context):
    from careflow.register import Register

    settings = ctx.find_object(_Settings) or _Settings()
    if settings.register is None:
        settings.register = Register(settings.database, user=settings.user)
        ctx.find_root().call_on_close(settings.register.close)
    return settings.register


class _Settings:
    def __init__(self, database: str | None = None, user: str | None = None):
        self.database = database
        self.user = user
        self.register = None


@click.group()
@click.option("--database", metavar="URL|FILE", default=None,
              help="Register database: a SQLAlchemy URL (postgresql://user@host/db) or an SQLite file. "
                   "Default: $CAREFLOW_DATABASE_URL, else register.sqlite in the user data directory.")
@click.option("--user", default=None, help="Name recorded in the audit trail (default: $CAREFLOW_USER, else the "
                                           "OS login).")
@click.pass_context
def cases(ctx: click.Context, database: str | None, user: str | None) -> None:
    """The register of business cases: import, list, show, export, history, track delivery, move status."""
    ctx.obj = _Settings(database, user)


def read_case_file(path: str | Path):
    """A YAML (.yaml/.yml) or Excel (.xlsx) case file -> (case, version)."""
    from careflow.register.casefile import load_case
    from careflow.register.workbook import read_workbook

    suffix = Path(path).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return load_case(path)
    if suffix == ".xlsx":
        return read_workbook(path)
    raise CareflowError(Finding(rule="case-file", file=str(path),
                                message="case files are .yaml, .yml or .xlsx"))


@cases.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--update", is_flag=True, help="Edit cases already in the register (the file's version, if it has "
                                             "one, must be the register's current version).")
@click.pass_context
def import_(ctx: click.Context, files: tuple[str, ...], update: bool) -> None:
    """Import case files (YAML or Excel). All or nothing: any error and the register is unchanged."""
    items, findings = [], []
    for f in files:
        try:
            items.append((*read_case_file(f), f))
        except CareflowError as exc:
            findings.extend(exc.findings)
    if findings:
        raise CareflowError(findings)
    reg = _open(ctx)
    try:
        results = reg.import_cases([(c, v) for c, v, _ in items], update=update)
    except CareflowError as exc:  # name the file the refused case came from
        by_ref = {}
        for c, _, f in items:
            by_ref.setdefault(c.reference, []).append(f)
        raise CareflowError([
            Finding(**{**x.to_dict(), "file": x.file or ", ".join(
                next((fs for ref, fs in by_ref.items() if repr(ref) in x.message), []))}) if not x.file else x
            for x in exc.findings]) from None
    for r in results:
        click.echo(f"{r.action:9} {r.reference} (version {r.version})")
    click.echo(f"{len(results)} case(s) imported into {reg.safe_url}")


@cases.command("list")
@click.option("--status", "status", default=None, help="Only cases with this status.")
@click.pass_context
def list_(ctx: click.Context, status: str | None) -> None:
    """List the cases in the register."""
    from careflow.register import financials as fin

    stored = _open(ctx).list()
    if status:
        stored = [s for s in stored if s.case.status.value == status]
    rows = [("reference", "ver", "status", "units", "net saving (year, cumulative)", "RAG", "title")]
    for s in stored:
        c = s.case
        planned = fin.planned_savings(c.financials)
        # the last year's net saving against the baseline: what the MTFS counts once the case is delivered
        total = f"{list(planned.values())[-1]:,.0f} ({list(planned)[-1]})" if planned else ""
        latest = c.tracking[-1] if c.tracking else None
        rows.append((c.reference, str(s.version), c.status.value, fin.units(c.financials) or "", total,
                     f"{latest.year} {latest.rag.value}" if latest and latest.rag else "", (c.title or "")[:60]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)) + "  " + r[-1])
    click.echo(f"{len(stored)} case(s)")


@cases.command("show")
@click.argument("reference")
@click.pass_context
def show(ctx: click.Context, reference: str) -> None:
    """Show one case (as YAML, with its register version and delivery RAG)."""
    from careflow.register.casefile import dumps_case

    s = _open(ctx).get(reference)
    click.echo(f"# {s.case.reference}, version {s.version}, last changed by {s.updated_by} at "
               f"{s.updated_at:%Y-%m-%d %H:%M}")
    for e in s.case.tracking:
        if e.rag:
            click.echo(f"# {e.year}: planned {e.planned}, forecast {e.forecast}, delivered {e.delivered}: "
                       f"{e.rag.value}")
    for ind in s.case.indicators:
        if ind.actuals:
            series = ", ".join(f"{p} {v:g}" for p, v in ind.actuals.items())
            loaded = f" (from {ind.loaded.data}, {ind.loaded.at} by {ind.loaded.by})" if ind.loaded else ""
            click.echo(f"# {ind.name}: baseline {ind.baseline}, target {ind.target}; actuals {series}{loaded}")
    for m in s.case.milestones:
        if m.late():
            click.echo(f"# milestone late: {m.phase} planned {m.planned}"
                       + (f", done {m.actual}" if m.actual else f", status {m.status.value if m.status else '-'}"))
    for r in s.case.risks:
        if r.score is not None:
            click.echo(f"# risk score {r.score}: {r.title}" + (f" (review {r.review_date})" if r.review_date else ""))
    click.echo(dumps_case(s.case, s.version), nl=False)


def _default_name(reference: str, suffix: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", reference).strip("_").lower() + suffix


@cases.command("export")
@click.argument("reference")
@click.option("--format", "fmt", type=click.Choice(["yaml", "xlsx"]), default="yaml", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="File to write (YAML default: standard output; xlsx default: <reference>.xlsx).")
@click.pass_context
def export(ctx: click.Context, reference: str, fmt: str, output: str | None) -> None:
    """Export a case as a YAML case file or an Excel workbook (re-importable with --update)."""
    from careflow.register.casefile import dumps_case
    from careflow.register.workbook import write_workbook

    if fmt == "xlsx":
        output = output or _default_name(reference, ".xlsx")
    if output is not None:
        settings = ctx.find_object(_Settings) or _Settings()
        output = output_file(output, [register_file(settings.database)])
    s = _open(ctx).get(reference)
    if fmt == "yaml":
        text = dumps_case(s.case, s.version)
        if output is None:
            click.echo(text, nl=False)
            return
        Path(output).write_text(text, encoding="utf-8")
    else:
        write_workbook(s.case, output, s.version)
    click.echo(f"wrote {output} ({reference}, version {s.version})")


@cases.command("history")
@click.argument("reference")
@click.pass_context
def history(ctx: click.Context, reference: str) -> None:
    """The audit trail of a case: who changed which field when, old and new values."""
    import json

    def short(v) -> str:
        text = "" if v is None else json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
        text = text.replace("\n", " ")
        return text if len(text) <= 60 else text[:57] + "..."

    for e in _open(ctx).history(reference):
        click.echo(f"v{e.version:<3} {e.at:%Y-%m-%d %H:%M:%S}  {e.user:<12} {e.action:<7} {e.field}: "
                   f"{short(e.old) or '-'} -> {short(e.new) or '-'}")


@cases.command("child-level")
@click.option("--allow", "allow", flag_value=True, default=None,
              help="Let cases hold child-level data (CHILD numbers or pseudonyms, dates of birth, rows per child).")
@click.option("--refuse", "allow", flag_value=False,
              help="Refuse child-level data in cases again (the default); what cases hold already stays.")
@click.option("--reason", default=None, help="Why, kept with the change (e.g. the DPIA that covers it).")
@click.pass_context
def child_level(ctx: click.Context, allow: bool | None, reason: str | None) -> None:
    """Whether cases may hold child-level data: off unless allowed here. Without an option, says which and
    lists every change of the setting (who, when, why)."""
    reg = _open(ctx)
    if allow is not None:
        reg.allow_child_level(allow, reason=reason)
    state = "allowed" if reg.child_level_allowed() else "refused (the default)"
    click.echo(f"child-level data in cases: {state}")
    for c in reg.setting_history("child_level"):
        click.echo(f"{c.at:%Y-%m-%d %H:%M:%S}  {c.user:<12} {'allow' if c.value else 'refuse'}"
                   + (f"  ({c.reason})" if c.reason else ""))


@cases.command("track")
@click.argument("reference")
@click.option("--year", required=True, help="Financial year, e.g. 2025-26.")
@click.option("--planned", type=float, default=None, help="Planned saving (default: the case's savings that year).")
@click.option("--forecast", type=float, default=None, help="Forecast saving for the year.")
@click.option("--delivered", type=float, default=None, help="Saving delivered in the year.")
@click.option("--note", default=None)
@click.option("--indicator", "indicator_values", multiple=True, metavar="NAME=VALUE",
              help="An indicator's actual value for the year (repeatable); NAME as in the case's indicators.")
@click.option("--expect-version", type=int, default=None,
              help="Refuse the change unless the case is still at this version.")
@click.pass_context
def track(ctx, reference, year, planned, forecast, delivered, note, indicator_values, expect_version) -> None:
    """Record delivery of a case's savings in one financial year (amounts in the case's units), and the year's
    indicator actuals."""
    actuals = {}
    for item in indicator_values:
        name, sep, value = item.rpartition("=")
        try:
            actuals[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=NUMBER, got {item!r}", param_hint="--indicator")
    reg = _open(ctx)
    e = reg.track(reference, year, planned=planned, forecast=forecast, delivered=delivered, note=note,
                  indicators=actuals or None, expected_version=expect_version)
    case = reg.get(reference).case
    for ind in case.indicators:
        if ind.name in actuals:
            click.echo(f"{reference} {e.year}: {ind.name} = {ind.actuals[e.year]:g} (baseline {ind.baseline}, "
                       f"target {ind.target})")
    from careflow.register import financials as fin

    new = fin.planned_incremental(case.financials).get(e.year)
    basis = (f" (net saving against the baseline, cumulative basis; {new:,.0f} of it new in {e.year}, incremental)"
             if new is not None and planned is None else "")
    click.echo(f"{reference} {e.year}: planned {e.planned}{basis}, forecast {e.forecast}, delivered {e.delivered}: "
               f"RAG {e.rag.value if e.rag else '-'}")


@cases.command("status")
@click.argument("reference")
@click.argument("new_status")
@click.option("--expect-version", type=int, default=None,
              help="Refuse the change unless the case is still at this version.")
@click.pass_context
def status(ctx, reference, new_status, expect_version) -> None:
    """Move a case along its workflow (draft, submitted, approved, delivering, delivered, withdrawn)."""
    version = _open(ctx).set_status(reference, new_status, expected_version=expect_version)
    click.echo(f"{reference}: {new_status} (version {version})")


@cases.command("refresh")
@click.argument("reference")
@click.argument("path", nargs=-1, required=True, type=click.Path())
@click.option("--population", multiple=True, metavar="N|YEAR=N",
              help="Children aged 0-17, for indicators bound to per_10000: one number or YEAR=N (repeatable).")
@click.option("--local", "local", multiple=True, metavar="AREA",
              help="The LA's own postcode areas or districts, for out_of_area_share (repeatable).")
@click.option("--cohort-dir", type=click.Path(file_okay=False), default=None,
              help="Folder to find cohort children files in when their path is not found as given.")
@click.option("--expect-version", type=int, default=None,
              help="Refuse the change unless the case is still at this version.")
@_YEARS
@_CATEGORIES
@reading_options(pool=True)
@click.pass_context
def refresh(ctx, reference, path, population, local, cohort_dir, expect_version, year_convention, categories, read):
    """Fill in the actuals of a case's indicators bound to data (source: indicators.<measure> or cohort.<...>)
    from SSDA903 data at PATH; recorded with the date, the user and the data in the audit trail."""
    from careflow import pipeline
    from careflow.cli.indicators import parse_population

    data = pipeline.load_returns(path, categories, year_convention, **read)
    version, messages = pipeline.refresh_case(_open(ctx), reference, data, population=parse_population(population),
                                              local=list(local) or None, base_dir=cohort_dir,
                                              data_label=", ".join(path), expected_version=expect_version)
    for m in messages:
        click.echo(f"{reference}: {m}")
    click.echo(f"{reference}: indicators refreshed from {', '.join(path)} (version {version})")


@cases.command("risks")
@click.option("--status", "status", default=None, help="Only cases with this status.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True)
@click.pass_context
def risks(ctx, status, fmt) -> None:
    """The risk register across cases: every risk with likelihood x impact score (1-5 scales; words very low, low,
    medium, high, very high read as 1-5), owner and review date, highest score first."""
    import dataclasses
    import json

    entries = _open(ctx).risks(status)
    rows = [dataclasses.asdict(e) | {"overdue": e.overdue()} for e in entries]
    if fmt == "json":
        click.echo(json.dumps({"risks": rows}, indent=2))
        return
    if fmt == "csv":
        click.echo(safecsv.dict_rows(list(rows[0]), rows) if rows else "", nl=False)
        return
    table = [("score", "reference", "likelihood", "impact", "owner", "review", "title")]
    for e in entries:
        table.append((str(e.score) if e.score is not None else "-", e.reference, _short(e.likelihood, 12),
                      _short(e.impact, 12), _short(e.owner, 20),
                      (e.review_date or "") + (" overdue" if e.overdue() else ""), _short(e.title, 70)))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]) - 1)]
    for r in table:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)) + "  " + r[-1])
    click.echo(f"{len(entries)} risk(s) in {len({e.reference for e in entries})} case(s)")


def _short(value, n: int) -> str:
    text = "" if value is None else str(value).replace("\n", " ")
    return text if len(text) <= n else text[: n - 3] + "..."


@cases.command("benefits")
@click.argument("reference")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True)
@click.pass_context
def benefits(ctx, reference, fmt) -> None:
    """A case's benefits profile: planned against actual by period, financial (savings by financial year: planned,
    forecast, delivered) and non-financial (each indicator's targets and actuals), with indicator tiers."""
    import dataclasses
    import json

    from careflow.register.tracking import benefits_profile

    case = _open(ctx).get(reference).case
    rows = [dataclasses.asdict(r) for r in benefits_profile(case)]
    tiers = {i.name: i.tier for i in case.indicators}
    for r in rows:
        r["tier"] = tiers.get(r["name"])
    if fmt == "json":
        click.echo(json.dumps({"reference": reference, "benefits": rows}, indent=2))
        return
    if fmt == "csv":
        click.echo(safecsv.dict_rows(["kind", "name", "tier", "unit", "period", "planned", "forecast", "actual"],
                                     rows), nl=False)
        return
    if not rows:
        click.echo(f"{reference}: no savings, targets or actuals recorded")
        return

    def num(v) -> str:
        return "" if v is None else f"{v:,.1f}".rstrip("0").rstrip(".")

    name = None
    for r in rows:
        if r["name"] != name:
            name = r["name"]
            unit = f" ({r['unit']})" if r["unit"] else ""
            tier = f" [{r['tier']}]" if r["tier"] else ""
            click.echo(f"{r['kind']}: {_short(name, 80)}{unit}{tier}")
        click.echo(f"  {r['period']:<12} planned {num(r['planned']) or '-':>10}  forecast "
                   f"{num(r['forecast']) or '-':>10}  actual {num(r['actual']) or '-':>10}")


@cases.command("milestone")
@click.argument("reference")
@click.argument("milestone")
@click.option("--status", type=click.Choice([s.value for s in MilestoneStatus]),
              default=None, help="The milestone's status.")
@click.option("--planned", default=None, metavar="YYYY-MM-DD", help="Planned completion date.")
@click.option("--actual", default=None, metavar="YYYY-MM-DD", help="Actual completion date.")
@click.option("--expect-version", type=int, default=None,
              help="Refuse the change unless the case is still at this version.")
@click.pass_context
def milestone(ctx, reference, milestone, status, planned, actual, expect_version) -> None:
    """Record a milestone's status and planned/actual dates. MILESTONE is its phase as the case names it, or its
    number in the case's list (1 = first)."""
    m = _open(ctx).milestone(reference, milestone, status=status, planned=planned, actual=actual,
                             expected_version=expect_version)
    late = " (late)" if m.late() else ""
    click.echo(f"{reference}: {m.phase}: status {m.status.value if m.status else '-'}, planned {m.planned or '-'}, "
               f"actual {m.actual or '-'}{late}")
