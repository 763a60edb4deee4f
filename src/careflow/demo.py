"""``careflow demo``: the whole pipeline on the embedded synthetic LA, Anyshire.

Each capability adds its step here; the demo writes everything to one output folder and prints a short summary.
"""

from __future__ import annotations

from pathlib import Path

import click

from careflow import safecsv
from careflow.privacy import using_salt

# Anyshire's children are fictional: the demo pseudonymises them with a fixed salt, so its outputs are the same on
# every machine and the user's own salt (careflow.privacy) is neither used nor created.
DEMO_SALT = "careflow-demo-anyshire"


def run_demo(output: str | Path) -> None:
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    click.echo(f"careflow demo: outputs in {out}")
    with using_salt(DEMO_SALT):
        validation = _demo_data(out)
        _demo_indicators(out)
        _demo_finance(out)
        benchmark = _demo_aggregate(out)
        _demo_register(out)
        scenarios = _demo_scenarios(out)
        forecast = _demo_forecast(out)
        # last: it reports on what the other steps made (handed over in memory, never read back from their files)
        _demo_reports(out, forecast, validation, scenarios, benchmark)


def _demo_ssda903(out: Path, source: Path | None = None):
    """Validate and summarise SSDA903 returns: ``source`` (Anyshire's, from the synth step) when given, else the
    public sample in ../shared/data beside the checkout. Writes out/summary.json and prints a short table."""
    import json

    from careflow.errors import CareflowError
    from careflow.pipeline import validate_data, write_validation
    from careflow.ssda903 import load, summarise

    candidates = [source] if source is not None else [
        out / "anyshire", Path(__file__).resolve().parents[3] / "shared" / "data" / "ssda903_samples"
        / "cs_demand_model_combined"]
    source = next((c for c in candidates if c.is_dir()), None)
    if source is None:
        click.echo("ssda903: no SSDA903 files to read (synthetic Anyshire returns not generated yet); skipped")
        return None
    folder = out / "ssda903"
    report = validate_data(source)
    write_validation(report, folder / "validation.json")
    try:
        data = load(source)
    except CareflowError as exc:
        click.echo(f"ssda903: {source} unusable ({len(exc.findings)} findings); see {folder}/validation.json")
        return report
    table = summarise(data)
    safecsv.to_csv(table, folder / "summary.csv", index=False)
    (out / "summary.json").write_text(json.dumps(
        {"source": str(source), "errors": report.errors, "warnings": report.warnings,
         "years": json.loads(table.to_json(orient="records"))}, indent=2), encoding="utf-8")
    short = table[["year", "at_31_march", "starts", "ceases"]].to_string(index=False)
    click.echo("\n".join("  " + line for line in short.splitlines()))
    last = table.iloc[-1]
    click.echo(f"ssda903: {source.name}: {report.children} children, {report.episodes} episodes, "
               f"{report.errors} errors, {report.warnings} warnings; {last['year']}: {last['at_31_march']} looked "
               f"after on 31 March, {last['starts']} starts, {last['ceases']} ceases; outputs in {folder}")
    return report


def _demo_data(out: Path):
    """Build Anyshire's SSDA903 returns into out/anyshire/ (careflow's synthetic LA), then validate and summarise
    them."""
    from careflow.synth import anyshire

    folder = anyshire(out / "anyshire")
    years = sorted(p.name for p in folder.iterdir() if p.is_dir())
    click.echo(f"synth: Anyshire synthetic SSDA903 returns {years[0]} to {years[-1]} in {folder}")
    return _demo_ssda903(out, folder)


def _demo_indicators(out: Path) -> None:
    """Anyshire's standard measures by year and month (out/indicators/) and the Family Assist-style example cohort
    followed 3, 6 and 12 months on, with a matched comparison group."""
    import json

    from careflow import pipeline

    source = out / "anyshire"
    if not source.is_dir():
        click.echo("indicators: no Anyshire returns (synth step); skipped")
        return
    folder = out / "indicators"
    folder.mkdir(parents=True, exist_ok=True)
    data = pipeline.load_returns(source)
    ind = pipeline.indicators(data, by=("age_band", "ethnicity"))
    safecsv.to_csv(pipeline.indicator_table(ind), folder / "indicators.csv", index=False)
    safecsv.to_csv(pipeline.indicator_table(ind, monthly=True), folder / "monthly.csv", index=False)
    safecsv.to_csv(pipeline.indicator_table(ind, by=True), folder / "by_age_band_and_ethnicity.csv", index=False)
    last = ind.yearly.iloc[-1]
    click.echo(f"indicators: Anyshire {last['year']}: {last['at_31_march']} looked after on 31 March, "
               f"{last['residential_share']:.1f}% in residential care, {last['ifa_share']:.1f}% of fostering IFA, "
               f"{last['three_plus_placements']:.1f}% with 3+ placements; {folder}/indicators.csv")
    children = Path(__file__).resolve().parents[2] / "examples" / "cohorts" / "anyshire_family_assist.csv"
    if children.is_file():
        c = pipeline.cohort(data, children, "2023-04-01", compare=True, seed=1)
        (folder / "cohort.json").write_text(json.dumps(c.to_dict(), indent=2) + "\n", encoding="utf-8")
        p12, m12 = c.point(12), c.comparison.point(12)
        click.echo(f"cohort: {c.children} children from 1 April 2023: {p12.in_care} still looked after at 12 months "
                   f"(matched comparison {m12.in_care} of {c.comparison.children}); {folder}/cohort.json")


def _demo_finance(out: Path) -> None:
    """Appraise the example business cases (H&F BC2, Haringey Table 3) and roll them up into an MTFS table."""
    import json
    import re

    from careflow.finance.appraisal import appraise
    from careflow.finance.portfolio import check_stated_totals_file, rollup
    from careflow.finance.render import appraisal_text, payback_text, portfolio_text
    from careflow.register import load_finance_cases

    examples = Path(__file__).resolve().parents[2] / "examples"
    if not (examples / "cases").is_dir():
        click.echo("finance: example cases not found (examples/cases in the source checkout); skipped")
        return
    folder = out / "finance"
    folder.mkdir(parents=True, exist_ok=True)
    cases, without_figures = load_finance_cases([examples / "cases"])
    wrong = 0
    for case in cases:
        result = appraise(case)
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", case.reference)
        (folder / f"appraisal_{stem}.txt").write_text(appraisal_text(result), encoding="utf-8")
        (folder / f"appraisal_{stem}.json").write_text(json.dumps(result.to_dict(), indent=2, default=str),
                                                       encoding="utf-8")
        wrong += len(result.failed_checks)
        if case.reference == "BC2":
            m = result.measures
            click.echo(f"finance: BC2 payback {payback_text(m.payback_years_simple)} (simple), "
                       f"{payback_text(m.payback_years_cashflow)} (cash-flow); NPV £{m.npv:,.0f}k; "
                       f"{len(result.failed_checks)} stated figures disagree")
    portfolio = rollup(cases, combine_authorities=True)  # the demo's all-examples file: labelled as a sum
    stated = examples / "portfolios" / "haringey_table3.yaml"
    haringey = rollup([c for c in cases if c.reference.startswith("HGY-")])
    if stated.exists():
        check_stated_totals_file(haringey, stated)
    (folder / "portfolio.txt").write_text(portfolio_text(portfolio), encoding="utf-8")
    (folder / "portfolio.csv").write_text(safecsv.to_csv(portfolio.breakdown(), index=False), encoding="utf-8")
    (folder / "portfolio.json").write_text(json.dumps(portfolio.to_dict(), indent=2, default=str),
                                           encoding="utf-8")
    (folder / "haringey_table3.txt").write_text(portfolio_text(haringey), encoding="utf-8")
    total = haringey.by_year().loc["Total", "savings_incremental"]
    click.echo(f"finance: appraised {len(cases)} cases ({wrong} stated figures disagree; {len(without_figures)} "
               f"cases state no figures); Haringey Table 3 "
               f"rolls up to £{total:,.0f}k; portfolio in {folder}")


def _shared_data() -> Path:
    # ../shared/data beside the project checkout (public DfE files; never copied into the repo)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _demo_aggregate(out: Path):
    """Benchmark one LA against its statistical neighbours and forecast every LA, from the public DfE files."""
    data_dir = _shared_data()
    if not data_dir.is_dir():
        click.echo(f"aggregate: skipped (no public DfE data at {data_dir})")
        return None
    import json

    from careflow.aggregate import benchmark, national_forecast
    from careflow.dfe import read_folder

    folder = out / "aggregate"
    folder.mkdir(parents=True, exist_ok=True)
    data = read_folder(data_dir)
    b = benchmark(data, "873", 2024)
    (folder / "benchmark_873_2024.txt").write_text(b.to_text() + "\n")
    (folder / "benchmark_873_2024.json").write_text(json.dumps(b.to_dict(), indent=2))
    f = national_forecast(data, 2024, 3)
    safecsv.to_csv(f.table.round(1), folder / "national_forecast_2024.csv", index=False)
    g = b.gap
    click.echo(f"aggregate: {b.la.label} {b.year}: {g.la_count:.0f} children looked after, "
               f"{g.expected_at_neighbours_mean:.0f} at its statistical neighbours' mean rate "
               f"(gap {g.gap_children:+.0f}, GBP {g.gap_pounds_a_year:+,.0f} a year)")
    click.echo(f"aggregate: {f.table.old_la_code.nunique()} LAs forecast to {2024 + 3} -> "
               f"{folder / 'national_forecast_2024.csv'}")
    return b


def _demo_register(out: Path) -> None:
    """Import the example business cases into a fresh SQLite register under out/register/, record some delivery,
    export a case to Excel and print the list."""
    from careflow.register import Register, load_case
    from careflow.register.workbook import write_workbook

    examples = Path(__file__).resolve().parents[2] / "examples"
    files = sorted(examples.glob("cases/*.yaml"))
    if not files:
        click.echo("register: example cases not found (examples/ in the source checkout); skipped")
        return
    folder = out / "register"
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "register.sqlite"
    for stale in folder.glob("register.sqlite*"):
        stale.unlink()
    with Register(str(database), user="careflow-demo") as reg:
        reg.import_cases([load_case(f) for f in files])
        for status in ("submitted", "approved", "delivering"):
            reg.set_status("A/R.6.264", status)
        reg.track("A/R.6.264", "2019-20", forecast=300, delivered=321)
        reg.track("Cambs Early Help 2020-21", "2020-21", forecast=700)
        reg.track("BC2", "2017-18", forecast=720)
        if (out / "anyshire").is_dir():  # indicators bound to data measures fill in from Anyshire's returns
            from careflow.ssda903 import load

            anyshire = load(out / "anyshire")
            for ref in ("BC2", "HGY-T3-04"):
                reg.refresh(ref, anyshire, base_dir=examples.parent, data_label="Anyshire (synthetic)")
        stored = reg.get("BC2")
        write_workbook(stored.case, folder / "bc2.xlsx", stored.version)
        rows = reg.list()
        # three councils' cases: added together here only to count the register, labelled as such below
        total = reg.portfolio(combine_authorities=True).by_year().loc["Total"]
    click.echo(f"register: {len(rows)} cases in {database}")
    for s in rows:
        c = s.case
        latest = c.tracking[-1] if c.tracking else None
        rag = f"  {latest.year} {latest.rag.value}" if latest and latest.rag else ""
        click.echo(f"  {c.reference:<26} v{s.version} {c.status.value:<10} {(c.title or '')[:48]}{rag}")
    click.echo(f"register: portfolio of the register (3 councils added together): £{total['investment']:,.0f}k invested, "
               f"£{total['savings_incremental']:,.0f}k savings; BC2 workbook {folder / 'bc2.xlsx'}")


def _demo_reports(out: Path, forecast=None, validation=None, scenarios=None, benchmark=None) -> None:
    """Workbooks, Word business cases and charts from what the other demo steps made (and the example cases)."""
    from careflow.pipeline import ForecastTables, case_report, forecast_report, portfolio_report
    from careflow.reports import benchmark_chart, savings_waterfall
    from careflow.reports.charts import benchmark_frame
    from careflow.reports.provenance import command_line

    folder = out / "reports"
    charts = folder / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    made: list[str] = []
    skipped: list[str] = []
    command = command_line()

    if forecast is not None:
        tables = ForecastTables.of(forecast, validation.status() if validation is not None else None)
        forecast_report(tables, folder / "forecast.xlsx", "Anyshire", charts, command=command)
        made.append("forecast.xlsx")
    else:
        skipped.append("forecast workbook (no forecast from the forecast step)")

    examples = Path(__file__).resolve().parents[2] / "examples" / "cases"
    hf = examples / "hf_bc2.yaml"
    if hf.is_file():
        case_report(hf, folder / "case_hf_bc2.docx", "docx", charts_dir=charts, command=command)
        case_report(hf, folder / "case_hf_bc2.xlsx", "xlsx", command=command)
        made += ["case_hf_bc2.docx", "case_hf_bc2.xlsx"]
    else:
        skipped.append("business case (examples/cases/hf_bc2.yaml not found)")
    ar6255 = examples / "cambs_ar_6_255.yaml"
    if ar6255.is_file():  # its figures are "in the accompanying financial report": its savings come from a scenario
        case_report(ar6255, folder / "case_ar_6_255.docx", "docx", command=command)
        made.append("case_ar_6_255.docx")
    database = out / "register" / "register.sqlite"
    if database.is_file():  # from the register: status and delivery tracking included
        case_report("A/R.6.264", folder / "case_ar_6_264_from_register.docx", "docx", database=str(database),
                    command=command)
        made.append("case_ar_6_264_from_register.docx")
        # indicators filled in from Anyshire's data (register step), risks and milestones
        case_report("BC2", folder / "case_bc2_from_register.xlsx", "xlsx", database=str(database), command=command)
        made.append("case_bc2_from_register.xlsx")
    else:
        skipped.append("case from the register (no out/register/register.sqlite)")
    haringey = sorted(examples.glob("haringey_*.yaml"))
    if haringey:
        portfolio_report(haringey, folder / "portfolio_haringey.xlsx", "Haringey Priority 1", command=command)
        made.append("portfolio_haringey.xlsx")
    if examples.is_dir():
        _, n, _ = portfolio_report([examples], folder / "portfolio_all_examples.xlsx", "Example business cases",
                                   command=command)
        made.append(f"portfolio_all_examples.xlsx ({n} cases)")

    if scenarios:
        # the scenario with the most levers shows the waterfall best
        frames = {name: result.difference() for name, result in scenarios.items()}
        best = max(frames, key=lambda name: (frames[name]["lever"].nunique(), name))
        savings_waterfall(frames[best], title=f"Savings by lever: {best}", la_name="Anyshire").save(charts)
        made.append("savings waterfall")
    else:
        skipped.append("savings waterfall (no priced scenario)")
    if benchmark is not None:
        frame, name = benchmark_frame(benchmark.to_dict())
        benchmark_chart(frame, la_name=name).save(charts)
        made.append("benchmark chart")
    else:
        skipped.append("benchmark chart (no benchmark)")
    click.echo(f"reports: {', '.join(made) or 'nothing'} in {folder}; charts (PNG, SVG, alt text) in {charts}")
    for s in skipped:
        click.echo(f"reports: skipped {s}")


def _demo_scenarios(out: Path, runs: int = 100, seed: int = 1) -> dict:
    """Price the worked examples (examples/scenarios, one per proposal in the seed documents) against Anyshire.
    Returns each example's priced result by file stem."""
    from careflow.costs import load_unit_costs
    from careflow.levers import Scenario
    from careflow.money import pounds, pounds_k
    from careflow.pipeline import fitted_projector, price_scenario, write_scenario
    from careflow.synth import anyshire

    examples = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
    if not examples.is_dir():
        click.echo("scenarios: examples/scenarios not found (source checkout only); skipped")
        return {}
    folder = out / "scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    data = out / "anyshire" if (out / "anyshire").is_dir() else anyshire(folder / "anyshire")
    files = sorted(examples.glob("*.yaml"))
    scenarios = [Scenario.load(f) for f in files]
    start, end = next((s.horizon for s in scenarios if s.horizon[0]), (None, None))
    projector = fitted_projector(data, start, end)
    unit_costs = load_unit_costs(categories=projector.categories)
    lines = ["| example | lever | financial year | children (expected) | £ expected | £ mean of runs | £ P10 | £ P90 |",
             "|---|---|---|---|---|---|---|---|"]
    results = {}
    for f, sc in zip(files, scenarios, strict=True):
        expected = price_scenario(sc, projector, costs=unit_costs, deterministic=True).difference()
        result = results[f.stem] = price_scenario(sc, projector, costs=unit_costs, runs=runs, seed=seed)
        write_scenario(result, folder / f.stem, data=str(data), seed=seed)
        safecsv.to_csv(expected, folder / f.stem / "difference_expected.csv", index=False, float_format="%.2f")
        df = result.difference()
        for e, r in zip(expected.itertuples(), df.itertuples(), strict=True):
            lines.append(f"| {f.stem} | {r.lever} | {r.financial_year} | {e.children_mean:,.1f} | "
                         f"{pounds(e.pounds_mean)} | {pounds(r.pounds_mean)} | {pounds(r.pounds_p10)} | "
                         f"{pounds(r.pounds_p90)} |")
        first = expected[expected.lever == "all"].iloc[0]
        click.echo(f"scenarios: {sc.name}: {first.financial_year} saving {pounds_k(first.pounds_mean)} expected")
    (folder / "results.md").write_text(
        f"Worked examples priced against Anyshire: expected values, and the mean, P10 and P90 of {runs} Monte "
        f"Carlo runs (seed {seed}); savings positive, cash prices of each financial year. Made by "
        "`careflow demo`.\n\n"
        + "\n".join(lines) + "\n", encoding="utf-8")
    click.echo(f"scenarios: {len(files)} worked examples; results in {folder}/results.md")
    return results


def _demo_forecast(out: Path):
    """Anyshire's forecast of children in care, placement costs by financial year and fan chart."""
    from careflow.pipeline import forecast, load_data, write_forecast

    folder = out / "forecast"
    source = out / "anyshire"  # Anyshire's returns, written by the data step
    if not source.is_dir():
        from careflow.synth import anyshire

        source = anyshire(source)
    result = forecast(load_data(source), runs=1000, seed=1)
    write_forecast(result, folder, title="Anyshire (synthetic): children in care, 5-year forecast")
    s = result.summary()
    e = s["children_at_end"]
    click.echo(f"forecast: Anyshire {s['children_at_start']:.0f} children in care at {s['start']}, "
               f"{e['mean']:.0f} expected at {s['end']} (P10 {e['p10']:.0f} to P90 {e['p90']:.0f}); "
               f"fan chart, forecast.csv and costs.csv in {folder}")
    for fy, c in list(s["cost_by_financial_year"].items())[:2]:
        click.echo(f"forecast: {fy} placement cost £{c['mean'] / 1e6:,.1f}m "
                   f"(P10 £{c['p10'] / 1e6:,.1f}m to P90 £{c['p90'] / 1e6:,.1f}m)")
    return result
