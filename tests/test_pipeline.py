"""careflow.pipeline: the user's jobs return typed results in memory; writing files is a separate step."""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest

from careflow import pipeline
from episode_builder import random_episodes

END = pd.Timestamp("2027-03-31").date()


@pytest.fixture(scope="module")
def episodes_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("la") / "episodes.csv"
    random_episodes(7, n=200).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def result(episodes_csv):
    return pipeline.forecast(pipeline.load_data(episodes_csv), end=END, runs=40, seed=3)


def test_forecast_is_in_memory_and_adds_up(result, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert isinstance(result, pipeline.Forecast) and not list(tmp_path.iterdir())  # nothing written
    stock = result.stock()
    tot = stock[(stock.category == "all") & (stock.age_band == "all")].set_index("date")["mean"]
    by_cat = stock[(stock.category != "all") & (stock.age_band == "all")].groupby("date")["mean"].sum()
    np.testing.assert_allclose(tot, by_cat.loc[tot.index], rtol=1e-9)  # every child is in one category
    costs = result.costs()
    all_cost = costs[costs.category == "all"].set_index("financial_year")["mean"]
    cat_cost = costs[costs.category != "all"].groupby("financial_year")["mean"].sum()
    np.testing.assert_allclose(all_cost, cat_cost.loc[all_cost.index], rtol=1e-9)
    s = result.summary()
    assert s["runs"] == 40 and s["seed"] == 3 and s["start"] == str(result.start)
    assert s["children_at_end"]["mean"] == pytest.approx(tot.iloc[-1])


def test_episodes_or_data_give_the_same_forecast(episodes_csv, result):
    data = pipeline.load_data(episodes_csv)
    again = pipeline.forecast(data.episodes, end=END, runs=40, seed=3, categories=data.categories)
    pd.testing.assert_frame_equal(again.stock(), result.stock())


def test_write_forecast_writes_what_the_result_holds(result, tmp_path):
    paths = pipeline.write_forecast(result, tmp_path / "fc")
    assert json.loads(paths["summary"].read_text()) == json.loads(json.dumps(result.summary(), default=float))
    written = pd.read_csv(paths["forecast"])
    np.testing.assert_allclose(written["mean"], result.stock()["mean"], atol=0.0005)  # 3 decimals in the file
    assert paths["chart"].stat().st_size > 10_000


def test_forecast_report_from_memory_names_the_data(result, episodes_csv, tmp_path):
    out = pipeline.forecast_report(result, tmp_path / "forecast.xlsx", la_name="Testshire", command="test")
    about = openpyxl.load_workbook(out)["About"]
    cells = [str(c.value) for row in about.iter_rows() for c in row if c.value is not None]
    assert any(str(episodes_csv) in c for c in cells)  # the data it came from, not intermediate files


def test_report_reads_a_forecast_folder_as_written(result, tmp_path):
    pipeline.write_forecast(result, tmp_path / "fc")
    tables = pipeline.read_forecast_folder(tmp_path / "fc")
    assert tables.summary["children_at_start"] == result.summary()["children_at_start"]
    # validation.json: the data's validation status the forecast carries (here: a cleaned-episodes CSV, not validated)
    assert [p.name for p in tables.files] == ["forecast.csv", "costs.csv", "validation.json"]
    assert tables.validation == result.validation


def test_case_savings_from_a_scenario_in_memory_or_its_file(tmp_path):
    from careflow.finance.scenario_link import read_difference, savings_by_year
    from careflow.fy import FinancialYear
    from careflow.levers import DIFFERENCE_COLUMNS

    rows = [["2025-26", "all", 2.0, 730.0, 1250.5, 900.0, 1600.0], ["2026-27", "all", 3.0, 1095.0, 2000.0, 1.0, 2.0],
            ["2025-26", "entries", 2.0, 730.0, 1250.5, 900.0, 1600.0]]
    df = pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)
    df.to_csv(tmp_path / "difference.csv", index=False)
    expected = {FinancialYear(2025): 1250.5, FinancialYear(2026): 2000.0}
    assert savings_by_year(df) == expected == read_difference(tmp_path / "difference.csv")
    assert savings_by_year(df, "entries", "pounds_p10") == {FinancialYear(2025): 900.0}


def test_the_tables_a_page_shows_are_the_forecasts_own_rows(result):
    stock = result.stock()
    fan = result.fan()
    tot = stock[(stock.category == "all") & (stock.age_band == "all")]
    assert fan["date"].tolist() == tot["date"].tolist() and fan["p50"].tolist() == tot["p50"].tolist()
    assert (fan["p10"] <= fan["p50"]).all() and (fan["p50"] <= fan["p90"]).all()
    # by category and by age band: every 31 March and the last month end; the parts add up to the total
    for dim in ("category", "age_band"):
        t = result.children_by(dim)
        assert sorted(set(t["date"])) == ["2026-03-31", "2027-03-31"]
        parts = t[t[dim] != "all"].groupby("date")["mean"].sum()
        whole = t[t[dim] == "all"].set_index("date")["mean"]
        np.testing.assert_allclose(parts.loc[whole.index], whole, rtol=1e-9)
    assert set(result.children_by("age_band")["age_band"]) == {"0-1", "1-5", "5-10", "10-16", "16-18", "all"}
    fy = result.costs_by_year()
    costs = result.costs()
    assert fy["financial_year"].tolist() == costs[costs.category == "all"]["financial_year"].tolist()
    assert fy["months"].tolist()[-1] == 12 and (fy["p10"] <= fy["p90"]).all()
    hist = result.history_frame()
    assert len(hist) == 37 and hist["date"].iloc[-1] == str(result.start)


def test_forecast_reports_its_progress_in_order_to_the_end(episodes_csv):
    steps = []
    pipeline.forecast(pipeline.load_data(episodes_csv), end=END, runs=5, seed=3,
                      progress=lambda f, what: steps.append((f, what)))
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and steps[-1] == (1.0, "done")
    assert any("5 Monte Carlo runs" in what for _, what in steps)


def test_a_scenario_built_from_form_values_is_priced_by_lever_and_year(episodes_csv):
    from careflow.levers import Scenario
    from careflow.levers.catalogue import lever_from_form

    contract = lever_from_form("contract", {"start": "2025-04-01", "annual_cost": "640000", "reinvest": "319000",
                                            "name": "Residential contract"})
    steps = []
    result = pipeline.price_scenario(Scenario("web", [contract]), pipeline.load_data(episodes_csv), runs=5,
                                     progress=lambda f, what: steps.append(f))
    diff = result.difference()
    mine = diff[diff.lever == "Residential contract"]
    # a contract of £640,000 a year ended with £319,000 reinvested saves £321,000 in each whole financial year,
    # with no range (money levers do not depend on the children)
    assert mine["pounds_mean"].tolist() == pytest.approx([321_000] * len(mine))
    assert (mine["pounds_p10"] == mine["pounds_p90"]).all() and len(mine) == 5
    assert steps == sorted(steps) and steps[-1] == 1.0


def test_workforce_from_a_forecast_in_memory_is_the_one_from_its_folder(result, tmp_path):
    """The workforce job takes the Forecast itself (no forecast.csv to read back); from the folder it wrote, the
    plan agrees to forecast.csv's 3 decimals. FTE needed = children / caseload, by hand for the last month."""
    in_memory = pipeline.workforce(result, caseload=15)
    from_folder = pipeline.workforce(pipeline.write_forecast(result, tmp_path / "fc")["forecast"].parent, caseload=15)
    np.testing.assert_allclose(in_memory.monthly["fte_mean"], from_folder.monthly["fte_mean"], atol=0.0005 / 15)
    stock = result.stock()
    last = stock[(stock.category == "all") & (stock.age_band == "all")].iloc[-1]
    assert in_memory.monthly["fte_mean"].iloc[-1] == pytest.approx(last["mean"] / 15)
    settings = pipeline.write_workforce(in_memory, tmp_path / "wf")
    assert settings["teams"][0]["caseload"] == 15 and (tmp_path / "wf" / "workforce_chart.png").stat().st_size > 1000
