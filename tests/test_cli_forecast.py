"""``careflow forecast`` and ``careflow backtest`` on a CSV of cleaned episodes: outputs and clear errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from careflow.cli import main
from episode_builder import random_episodes


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("la") / "episodes.csv"
    random_episodes(7, n=200).to_csv(path, index=False)
    return path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_forecast_writes_tables_summary_and_chart(data_csv, tmp_path):
    out = tmp_path / "out"
    r = run("forecast", data_csv, "--end", "2027-03-31", "--runs", 50, "--seed", 3, "--output", out)
    assert r.exit_code == 0, r.output
    fc = pd.read_csv(out / "forecast.csv")
    assert list(fc.columns) == ["date", "category", "age_band", "mean", "p10", "p50", "p90"]
    assert fc["date"].nunique() == 24 and fc["date"].iloc[0] == "2025-04-30"
    tot = fc[(fc.category == "all") & (fc.age_band == "all")]
    by_cat = fc[(fc.category != "all") & (fc.age_band == "all")].groupby("date")["mean"].sum()
    n_cats = fc.loc[fc.category != "all", "category"].nunique()
    # widened runs are not whole children, so each mean is rounded to 3 decimals in the file: up to 0.0005 each
    assert (tot.set_index("date")["mean"] - by_cat).abs().max() <= 0.0005 * (n_cats + 1) + 1e-9
    assert ((fc.p10 <= fc.p50) & (fc.p50 <= fc.p90)).all()
    costs = pd.read_csv(out / "costs.csv")
    assert list(costs.columns) == ["financial_year", "category", "mean", "p10", "p50", "p90"]
    assert sorted(costs.financial_year.unique()) == ["2025-26", "2026-27"]
    s = json.loads((out / "summary.json").read_text())
    assert s["start"] == "2025-03-31" and s["runs"] == 50
    assert (out / "fan_chart.png").stat().st_size > 10_000


@pytest.mark.parametrize("args, message", [
    (["--start", "2010-03-31"], "nothing to fit"),
    (["--end", "2024-01-01"], "must be after"),
    (["--start", "31/13/2024"], "not a date"),
])
def test_bad_settings_exit_1_with_a_message(data_csv, tmp_path, args, message):
    r = run("forecast", data_csv, *args, "--runs", 5, "--output", tmp_path / "o")
    assert r.exit_code == 1 and message in r.output, r.output


def test_bad_cost_files_exit_1(data_csv, tmp_path):
    bad = tmp_path / "costs.yaml"
    bad.write_text("description: x\nunit: GBP\nreference: r\nvalues:\n  ifa_fostering: [850\n")
    r = run("forecast", data_csv, "--costs", bad, "--runs", 5, "--output", tmp_path / "o")
    assert r.exit_code == 1 and "not valid YAML" in r.output
    bad.write_text('description: x\nunit: GBP\nreference: r\nvalues:\n  residential: {"2025-04-01": 4000}\n')
    r = run("forecast", data_csv, "--costs", bad, "--runs", 5, "--output", tmp_path / "o")
    assert r.exit_code == 1 and "unknown category 'residential'" in r.output


def test_backtest_json(data_csv):
    r = run("backtest", data_csv, "--origins", "2023-03-31", "2024-03-31", "--horizon-months", 12, "--runs", 50,
            "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    rows = pd.DataFrame(out["rows"])
    assert set(rows.origin) == {"2023-03-31", "2024-03-31"}
    tot = rows[rows.series == "all"]
    assert (tot.last_value_abs_error == (tot.at_origin - tot.actual).abs()).all()
    assert 0 <= out["summary"]["total"]["coverage_p10_p90"] <= 1


def test_backtest_past_the_data_is_a_clear_error(data_csv):
    r = run("backtest", data_csv, "--origins", "2025-01-31", "--horizon-months", 12)
    assert r.exit_code == 1 and "after the data ends" in r.output


@pytest.mark.parametrize("calibrate", ["--calibrate", "--no-calibrate"])
def test_backtest_without_runs_is_a_clear_error(data_csv, calibrate):
    r = run("backtest", data_csv, "--origins", "2023-03-31", "--horizon-months", 6, "--runs", 0, calibrate)
    assert r.exit_code == 1 and "--runs must be at least 1" in r.output
