"""``careflow workforce``: social workers needed from a forecast, employees and agency, and what they cost."""

from __future__ import annotations

import click

from careflow.cli.outputs import output_folder

WORKFORCE_FILES = ("workforce.csv", "workforce_by_month.csv", "workforce_chart.png", "workforce.json")


def register(group: click.Group) -> None:
    group.add_command(workforce_cmd)


def _direct_time(ctx, param, value):
    if value is None:
        return None
    try:
        before, after = (float(x) for x in value.split(":"))
    except ValueError:
        raise click.BadParameter("give BEFORE:AFTER percentages, e.g. 20:40") from None
    return before, after


@click.command("workforce")
@click.argument("forecast_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--caseload", type=float, default=None,
              help="Target cases per case-holding FTE (default: the LA's own average caseload, with --la).")
@click.option("--la", default=None, help="LA (code or name) whose own workforce figures give the defaults.")
@click.option("--csww", type=click.Path(exists=True), default=None,
              help="DfE children's social work workforce indicators CSV, or a folder holding it (with --la).")
@click.option("--year", type=int, default=None, help="Workforce reporting year for --la (default: the latest).")
@click.option("--agency-rate", type=click.FloatRange(0, 100), default=None,
              help="Percent of FTE filled by agency workers (default: the LA's own, else England's).")
@click.option("--vacancy-rate", type=click.FloatRange(0, 100), default=None,
              help="Percent of posts vacant and not covered by agency (default: the LA's own, else 0).")
@click.option("--salary", type=click.FloatRange(0), default=None, help="Salary per FTE, GBP a year.")
@click.option("--on-costs", type=click.FloatRange(0, 100), default=None, help="Employer on-costs, percent of salary.")
@click.option("--agency-premium", type=click.FloatRange(0, 500), default=None,
              help="Agency cost above an employee's (salary + on-costs), percent.")
@click.option("--teams", "teams_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Teams file (YAML): other teams' caseloads and cases (see docs/workforce.md).")
@click.option("--direct-time", callback=_direct_time, default=None,
              help="BEFORE:AFTER percent of social workers' time with families (e.g. 20:40): capacity freed.")
@click.option("--output", required=True, type=click.Path(file_okay=False), help="Folder for the outputs.")
def workforce_cmd(forecast_dir, caseload, la, csww, year, agency_rate, vacancy_rate, salary, on_costs,
                  agency_premium, teams_file, direct_time, output):
    """Social workers needed = projected cases / target caseload, by team and financial year, with P10/P90 from
    the forecast's runs; employees and agency at the agency rate; cost at salary, on-costs and agency premium.

    Writes workforce.csv, workforce_by_month.csv, workforce_chart.png and workforce.json into --output."""
    from careflow.pipeline.workforce import workforce, write_workforce

    output = output_folder(output, [forecast_dir, csww, teams_file], names=WORKFORCE_FILES)
    result = workforce(forecast_dir, caseload=caseload, la=la, csww=csww, year=year,
                                     agency_rate=agency_rate, vacancy_rate=vacancy_rate, salary=salary,
                                     on_costs=on_costs, agency_premium=agency_premium, teams_file=teams_file,
                                     direct_time=direct_time)
    write_workforce(result, output)
    y = result.yearly
    click.echo(f"caseload {result.teams[0].caseload:g}, agency {result.deployment.agency_rate:g}%, uncovered "
               f"vacancies {result.deployment.vacancy_uncovered:g}%; employee GBP {result.cost.employee:,.0f} and "
               f"agency GBP {result.cost.agency:,.0f} a year per FTE ({result.cost.price_base} prices)")
    click.echo(y[["financial_year", "team", "months", "fte_mean", "fte_p10", "fte_p90", "permanent_fte",
                  "agency_fte", "cost_mean"]].round(1).to_string(index=False))
    for note in result.notes:
        click.echo(f"Note: {note}")
    click.echo(f"written: {output}/workforce.csv, workforce_by_month.csv, workforce_chart.png, workforce.json")
