"""``careflow scenario``: price savings proposals (levers) against the forecast (see careflow.pipeline)."""

from __future__ import annotations

import datetime as dt

import click

from careflow import pipeline
from careflow.cli.data import reading_options
from careflow.cli.dates import parse_date
from careflow.cli.forecast import load_data
from careflow.cli.outputs import output_folder
from careflow.levers import ScenarioResult

SCENARIO_FILES = ("difference.csv", "difference_by_month.csv", "savings.png", "summary.json")


def _date(value: str | None, field: str) -> dt.date | None:
    return None if value is None else parse_date(value, field)


def summary_lines(result: ScenarioResult) -> list[str]:
    df = result.difference()
    lines = []
    for fy, rows in df.groupby("financial_year", sort=True):
        total = rows[rows.lever == "all"].iloc[0]
        band = "" if result.deterministic else f" (P10 £{total.pounds_p10 / 1e3:,.0f}k to P90 " \
                                               f"£{total.pounds_p90 / 1e3:,.0f}k)"
        parts = ", ".join(f"{r.lever} £{r.pounds_mean / 1e3:,.0f}k" for r in rows.itertuples() if r.lever != "all")
        lines.append(f"  {fy}: saving £{total.pounds_mean / 1e3:,.0f}k{band}; {parts}")
    return lines


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""

    @group.command("scenario")
    @click.argument("files", nargs=-1, required=True, type=click.Path())
    @click.option("--data", required=True, type=click.Path(), help="SSDA903 files (folder) or cleaned episodes CSV.")
    @click.option("--runs", default=200, show_default=True, type=int, help="Monte Carlo runs.")
    @click.option("--seed", default=0, show_default=True, type=int, help="Random seed (same seed, same result).")
    @click.option("--deterministic", is_flag=True, help="Expected values only (no runs, no intervals).")
    @click.option("--start", help="Projection start (YYYY-MM-DD); default: the scenario's horizon or the data end.")
    @click.option("--end", help="Projection end (YYYY-MM-DD); default: 31 March five years after the start.")
    @click.option("--costs", "costs_file", type=click.Path(), help="Weekly unit costs (YAML, as unit_costs.yaml).")
    @click.option("--inflation", "inflation_file", type=click.Path(),
                  help="Your MTFS inflation rates (YAML, as inflation.yaml): they replace careflow's price index "
                       "from their first date, for the categories listed.")
    @click.option("--categories", "categories_file", type=click.Path(), help="Placement category mapping (YAML).")
    @click.option("--output", required=True, type=click.Path(), help="Folder for the outputs.")
    @reading_options(pool=True)
    def scenario_cmd(files, data, runs, seed, deterministic, start, end, costs_file, inflation_file, categories_file,
                     output, read):
        """Price the levers in FILES (scenario YAML; several files combine) against the forecast.

        Writes difference.csv (financial_year, lever, children_mean, care_days_mean, pounds_mean, pounds_p10,
        pounds_p90; savings positive; lever 'all' is the combined scenario, each lever's row its Shapley
        contribution), difference_by_month.csv, summary.json and savings.png into --output.
        """
        if runs < 1 and not deterministic:
            raise click.BadParameter("must be at least 1 (or use --deterministic)", param_hint="--runs")
        output = output_folder(output, [*files, data, costs_file, inflation_file, categories_file,
                                        read.get("columns")],
                               names=SCENARIO_FILES)
        scenario = pipeline.load_scenarios(files)  # a bad scenario file stops here, before the data are read
        episodes = load_data(data, categories_file, **read)
        result = pipeline.price_scenario(scenario, episodes, runs=runs, seed=seed, deterministic=deterministic,
                                         start=_date(start, "start"), end=_date(end, "end"), costs=costs_file,
                                         inflation=inflation_file)
        pipeline.write_scenario(result, output, data=str(data), seed=None if deterministic else seed)
        mode = "deterministic" if deterministic else f"{result.runs} runs, seed {seed}"
        click.echo(f"{result.scenario.name} ({mode}), savings against the baseline "
                   f"({pipeline.scenario_summary(result)['price_base']}):")
        for line in summary_lines(result):
            click.echo(line)
        for d in result.delivery:
            click.echo(f"  delivered: {d.describe()}")
        for w in result.warnings():
            click.echo(f"warning: {w}", err=True)
        click.echo(f"outputs in {output}")
