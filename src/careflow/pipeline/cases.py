"""The register's jobs for a surface (the web app, a notebook): open a register with the example cases, appraise a
case in it, and write a case or the register's MTFS roll-up as Word, Excel or CSV."""

from __future__ import annotations

from pathlib import Path

from careflow.errors import CareflowError, Finding

EXAMPLE_CASES = Path(__file__).resolve().parents[3] / "examples" / "cases"


def example_case_files(folder: str | Path | None = None) -> list[Path]:
    """The example business cases shipped with careflow (examples/cases in the source checkout): the seeds'
    cases from Cambridgeshire, Haringey and Hammersmith & Fulham. Empty when the folder is not there."""
    folder = Path(folder) if folder is not None else EXAMPLE_CASES
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def seed_register(register, folder: str | Path | None = None) -> int:
    """Import the example cases into ``register`` if it holds no case yet (so every page of a fresh install has
    cases to show); returns how many were imported (0 when it already had cases or no examples were found)."""
    from careflow.register import load_case

    if register.list():
        return 0
    files = example_case_files(folder)
    if not files:
        return 0
    return len(register.import_cases([load_case(f) for f in files]))


def appraise_stored(case):
    """The appraisal (a dict, as ``careflow appraise --format json`` writes it) of a register case, or None when
    the case states no figures."""
    from careflow import finance
    from careflow.register import finance_case

    fc = finance_case(case)
    return finance.appraise(fc).to_dict() if fc is not None else None


def register_portfolio_report(cases, output: str | Path, *, authority: str, title: str | None = None,
                              command: str | None = None) -> Path:
    """The portfolio workbook (MTFS tables by year, incremental and against the baseline, by directorate, type and
    status, failed checks) of one council's cases in the register (``cases``: BusinessCase list)."""
    from careflow.finance.portfolio import NOT_STATED_AUTHORITY
    from careflow.pipeline.report import FINANCE_PARAMETERS, shipped_parameters
    from careflow.reports import Provenance, portfolio_workbook

    chosen = []
    for c in cases:
        if (c.authority or NOT_STATED_AUTHORITY) != authority:
            continue
        appraisal = appraise_stored(c)
        if appraisal is not None:
            chosen.append((c, appraisal))
    if not chosen:
        raise CareflowError(Finding(rule="portfolio", field="authority",
                                    message=f"no case of {authority!r} in the register states any savings"))
    title = title or f"{authority}: savings programme"
    prov = Provenance(title=f"{title}: MTFS roll-up", command=command)
    prov.settings["cases"] = ", ".join(c.reference for c, _ in chosen)
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    portfolio_workbook(out, chosen, shipped_parameters(FINANCE_PARAMETERS), prov, title=title)
    return out


def stored_case_report(case, output: str | Path, fmt: str, *, version: int | None = None,
                       command: str | None = None) -> Path:
    """A register case as a Word document (``docx``, the council template) or a finance workbook (``xlsx``;
    refused for a case without figures)."""
    from careflow.pipeline.report import FINANCE_PARAMETERS, shipped_parameters
    from careflow.reports import Provenance, case_document, case_workbook

    if fmt not in ("docx", "xlsx"):
        raise CareflowError(Finding(rule="usage", field="format", message=f"format is docx or xlsx, not {fmt!r}"))
    appraisal = appraise_stored(case)
    if fmt == "xlsx" and appraisal is None:
        raise CareflowError(Finding(rule="report-input", field="format",
                                    message=f"{case.reference!r} states no investment or savings, so there is no "
                                            "financial workbook to write (download the Word document)"))
    prov = Provenance(title=f"Business case {case.reference}: {case.title or ''}".strip().rstrip(":"),
                      command=command)
    if version is not None:
        prov.settings["register version"] = str(version)
    params = shipped_parameters(FINANCE_PARAMETERS) if appraisal else []
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "docx":
        case_document(out, case, appraisal, None, params, prov)
    else:
        case_workbook(out, case, appraisal, None, params, prov)
    return out


def portfolio_chart(portfolio):
    """The chart of one council's roll-up by financial year (:func:`careflow.reports.mtfs_chart` of
    :func:`careflow.register.listing.portfolio_years`), its alt text describing the programme."""
    from dataclasses import replace

    from careflow.register.listing import portfolio_years
    from careflow.reports import mtfs_chart

    years = portfolio_years(portfolio)
    chart = mtfs_chart(years, units=portfolio.units,
                       title=f"{portfolio.authority}: investment, savings and cumulative net")
    by_year = portfolio.by_year()
    unit_word = portfolio.units.replace("£k", "£ thousands")
    alt = (f"Bar and line chart of {portfolio.authority}'s savings programme ({len(portfolio.cases)} cases) by "
           f"financial year from {years[0]['financial_year']} to {years[-1]['financial_year']} in {unit_word}: "
           f"investment totals {by_year.loc['Total', 'investment']:,.0f}; the annual saving reaches "
           f"{by_year.loc['Total', 'savings_cumulative']:,.0f} against the baseline by the last year; the "
           f"cumulative net (savings less investment) ends at {years[-1]['cumulative_net']:,.0f}.")
    return replace(chart, alt_text=alt)


def cross_checks_only(case) -> list[dict]:
    """For a case without financial figures: the checks of the figures its document states more than once or with
    their parts (``cross_checks``, :mod:`careflow.finance.crosscheck`), as the appraisal lists them."""
    from careflow.finance import crosscheck

    if not case.cross_checks:
        return []
    return [c.to_dict() for c in crosscheck.run(crosscheck.parse(case.cross_checks, f"register:{case.reference}"))]


def attach_scenario(case, result, lever: str = "all", *, data: str | None = None, seed: int | None = None):
    """``case`` (a register :class:`~careflow.register.BusinessCase`) with its savings taken from a priced scenario
    (``result``, a :class:`careflow.levers.ScenarioResult`): the saving of ``lever`` (``all`` for the levers
    together) in each financial year, against the baseline (cumulative basis), with its P10 and P90, in the case's
    units (£k for a case without figures yet), the run named as the source of the savings and its price base.

    The same figures a case file's ``savings_from`` takes from the run's difference.csv, so attaching a run in the
    web app and pointing a case file at the run's output give the same case. A ``savings_from`` the case had is
    dropped (its savings now come from this run); its other figures (investment, ongoing costs, lines) stay.
    ``data`` is what the run was priced on and ``seed`` its seed, for the record. Raises CareflowError when the
    lever is not in the run or the result is not a valid case (a saving before the case's first year)."""
    from careflow.errors import CareflowError, Finding
    from careflow.finance.case import UNITS
    from careflow.finance.scenario_link import run_text, savings_by_year
    from careflow.pipeline.scenario import scenario_summary
    from careflow.register import financials as fin

    diff = result.difference()
    levers = list(dict.fromkeys(diff["lever"]))
    if lever not in levers:
        raise CareflowError(Finding(rule="scenario-lever", field="lever", message=f"the scenario run has no lever "
                                    f"{lever!r} (levers: {', '.join(levers)})"))
    money = dict(case.financials)
    units = money.setdefault("units", "£k")
    for key, measure in (("savings", "pounds_mean"), ("savings_p10", "pounds_p10"), ("savings_p90", "pounds_p90")):
        by_year = savings_by_year(diff, lever, measure)
        money[key] = {year.label: round(pounds / UNITS[units], 6) for year, pounds in by_year.items()}
    settings = scenario_summary(result, data, seed)
    money["savings_source"] = run_text(settings, lever)
    money["price_base"] = settings["price_base"]
    money.pop("savings_from", None)
    money.pop("savings_basis", None)  # each year's saving against the baseline: the default, cumulative
    context = {"directorate": case.directorate, "status": case.status.value}
    return case.model_copy(update={"financials": fin.validate(money, context=context)})
