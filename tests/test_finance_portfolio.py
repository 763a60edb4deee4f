"""MTFS roll-up: Haringey's Table 3 and invariants (hypothesis)."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from careflow.cli import main
from careflow.finance import profile as prof
from careflow.finance.portfolio import rollup
from careflow.fy import FinancialYear
from careflow.register import loads_finance_case as loads_case

ROOT = Path(__file__).resolve().parents[1]
HARINGEY = sorted((ROOT / "examples" / "cases").glob("haringey_*.yaml"))


def test_haringey_table3_rolls_up_to_the_stated_totals():
    from careflow.register import load_finance_case as load_case

    assert len(HARINGEY) == 10
    p = rollup([load_case(f) for f in HARINGEY])
    by_year = p.by_year()
    assert list(by_year["savings_incremental"]) == [5364, 7025, 4395, 16784]
    assert list(by_year["savings_cumulative"]) == [5364, 5364 + 7025, 5364 + 7025 + 4395, 16784]
    rows = p.table("reference")
    assert rows.loc["HGY-T3-06"].tolist() == [2000, 2000, 1100, 5100]  # LAC & Sufficiency
    assert rows.loc["HGY-T3-10"].tolist() == [0, 220, 0, 220]  # Pendarren, 2016-17 only
    assert p.check_totals({"2015-16": 5364, "2016-17": 7025, "2017-18": 4395}, 16784)
    assert p.ok


def test_portfolio_cli_with_stated_totals_and_csv():
    stated = ROOT / "examples" / "portfolios" / "haringey_table3.yaml"
    r = CliRunner().invoke(main, ["portfolio", *map(str, HARINGEY), "--stated", str(stated)])
    assert r.exit_code == 0, r.output
    assert "16,784" in r.output
    r = CliRunner().invoke(main, ["portfolio", str(ROOT / "examples" / "cases"), "--format", "csv"])
    assert r.exit_code == 0, r.output
    header = r.stdout.splitlines()[0]
    assert header == "authority,breakdown,group,financial_year,investment,savings_incremental,savings_cumulative"


def test_wrong_stated_total_exits_1(tmp_path):
    stated = tmp_path / "totals.yaml"
    stated.write_text("units: £k\nsavings_incremental_by_year: {2015-16: 5364}\ntotal_savings: 16874\n",
                      encoding="utf-8")
    r = CliRunner().invoke(main, ["portfolio", *map(str, HARINGEY), "--stated", str(stated)])
    assert r.exit_code == 1 and "WRONG total savings: stated 16,874, computed 16,784" in r.output


def test_groups_by_directorate_type_and_rag_with_lines_and_units():
    a = loads_case("reference: A\nunits: £\ndirectorate: Children\nrag: delivered\nsavings: {2025-26: 50000}\n"
                   "recurring: true\n")
    b = loads_case("reference: B\nunits: £k\ndirectorate: Schools\nsavings_basis: incremental\n"
                   "lines:\n"
                   "  - {name: x, savings: {2025-26: 10, 2026-27: 5}, saving_type: income}\n"
                   "  - {name: y, savings: {2026-27: 20}, ongoing_costs: {2026-27: 4}, rag: at risk}\n")
    p = rollup([a, b])
    assert p.units == "£k"
    d = p.table("directorate")
    assert d.loc["Children"].tolist() == [50, 0, 50]
    assert d.loc["Schools"].tolist() == [10, 21, 31]
    t = p.table("saving_type", "savings_cumulative")
    assert t.loc["income"].tolist() == [10, 15, 15]
    r = p.table("rag")
    assert r.loc["at_risk"].tolist() == [0, 16, 16] and r.loc["delivered"].tolist() == [50, 0, 50]


def test_non_recurring_saving_falls_out():
    a = loads_case("reference: A\nunits: £k\nsavings: {2025-26: 100}\n")
    b = loads_case("reference: B\nunits: £k\nsavings: {2027-28: 10}\n")
    p = rollup([a, b])
    assert p.table("reference").loc["A"].tolist() == [100, -100, 0, 0]


years = st.integers(min_value=2010, max_value=2040)
amounts = st.integers(min_value=-5000, max_value=5000).map(float)


@st.composite
def profiles(draw):
    start = draw(years)
    values = draw(st.lists(amounts, min_size=1, max_size=12))
    return {FinancialYear(start + i): v for i, v in enumerate(values)}


@settings(max_examples=60, deadline=None)
@given(profiles())
def test_cumulative_incremental_round_trip(p):
    assert prof.to_cumulative(prof.to_incremental(p)) == pytest.approx(p)
    assert prof.to_incremental(prof.to_cumulative(p)) == pytest.approx(p)


@st.composite
def case_texts(draw, i):
    basis = draw(st.sampled_from(["cumulative", "incremental"]))
    units = draw(st.sampled_from(["£", "£k"]))
    p = draw(profiles())
    recurring = draw(st.booleans())
    body = ", ".join(f"{y.label}: {v:g}" for y, v in p.items())
    text = (f"reference: C{i}\nunits: {units}\nsavings_basis: {basis}\nrecurring: {str(recurring).lower()}\n"
            f"directorate: {draw(st.sampled_from(['D1', 'D2']))}\nsavings: {{{body}}}\n")
    return text


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=5, unique=True).flatmap(
    lambda ids: st.tuples(*[case_texts(i) for i in ids])))
def test_rollup_totals_equal_the_sum_of_cases(texts):
    cases = [loads_case(t) for t in texts]
    p = rollup(cases, units="£k")
    by_year = p.by_year()
    last = max(c.financials.last_stated_year for c in cases)
    expected_last_level = 0.0
    for c in cases:
        fin = c.financials
        levels = prof.extend(fin.savings_levels, last, fin.recurring)
        expected_last_level += levels.get(last, 0.0) * fin.pounds_per_unit / 1000
    assert by_year.loc["Total", "savings_cumulative"] == pytest.approx(expected_last_level, abs=1e-6)
    assert by_year.loc["Total", "savings_incremental"] == pytest.approx(expected_last_level, abs=1e-6)
    for dim in ("directorate", "reference", "rag"):
        t = p.table(dim)
        assert t.loc["Total", "Total"] == pytest.approx(expected_last_level, abs=1e-6)


def test_demo_writes_the_portfolio(tmp_path):
    import csv

    from careflow.demo import _demo_finance

    _demo_finance(tmp_path)
    rows = list(csv.DictReader((tmp_path / "finance" / "portfolio.csv").open()))
    total = next(r for r in rows if r["breakdown"] == "all" and r["financial_year"] == "total")
    # Haringey Table 3, H&F's ongoing saving, and Cambridgeshire's stated savings: A/R.6.259-263 £200k, £151k,
    # £100k, £30k; A/R.6.264 (MST) £321k; A/R.7.103 £50k income; Early Help £750k; and A/R.6.255's last year
    # from its scenario (the combined scenario's 2027-28 mean in its difference.csv, pounds / 1,000)
    run = Path(__file__).resolve().parents[1] / "examples/cases/scenario_runs/ar6255_placement_mix/difference.csv"
    ar6255 = next(float(r["pounds_mean"]) for r in csv.DictReader(run.open())
                  if r["lever"] == "all" and r["financial_year"] == "2027-28") / 1000
    assert float(total["savings_incremental"]) == pytest.approx(
        16784 + 1365 + (200 + 151 + 100 + 30 + 321 + 50 + 750) + ar6255)
    assert float(total["investment"]) == 1701
    assert "16,784" in (tmp_path / "finance" / "haringey_table3.txt").read_text()


def test_portfolio_shows_each_council_and_adds_them_only_when_asked():
    """Three councils' example cases: one roll-up each; a single total only with --combine-authorities."""
    import json

    from careflow.errors import CareflowError

    folder = str(ROOT / "examples" / "cases")
    r = CliRunner().invoke(main, ["portfolio", folder, "--format", "json"])
    assert r.exit_code == 0, r.output
    councils = {p["authority"]: p for p in json.loads(r.stdout)["authorities"]}
    assert sorted(councils) == ["Cambridgeshire County Council", "London Borough of Hammersmith & Fulham",
                                "London Borough of Haringey"]

    def total(p):
        return next(row for row in p["by_year"] if row["financial_year"] == "Total")["savings_incremental"]

    assert total(councils["London Borough of Haringey"]) == 16784  # Haringey Table 3
    assert total(councils["London Borough of Hammersmith & Fulham"]) == 1365  # BC2's net saving
    r = CliRunner().invoke(main, ["portfolio", folder])
    assert r.output.count("MTFS roll-up of") == 3 and "for London Borough of Haringey" in r.output
    r = CliRunner().invoke(main, ["portfolio", folder, "--format", "json", "--combine-authorities"])
    combined = json.loads(r.stdout)
    assert " + " in combined["authority"]
    assert total(combined) == pytest.approx(sum(total(p) for p in councils.values()))
    from careflow.register import load_finance_cases as load_cases

    with pytest.raises(CareflowError, match="3 councils"):
        rollup(load_cases([ROOT / "examples" / "cases"])[0])
