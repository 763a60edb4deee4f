"""Benchmark, LA lookup and national forecast on fixtures (no /work/shared). Expected values by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from click.testing import CliRunner

from careflow.aggregate import benchmark, find_la, national_backtest, national_forecast
from careflow.cli import main
from careflow.dfe import read_folder
from careflow.errors import CareflowError
from dfe_fixtures import rates_row, write_folder, write_rates


@pytest.fixture
def data(tmp_path):
    return read_folder(write_folder(tmp_path))


def test_benchmark_against_neighbours_by_hand(data):
    b = benchmark(data, "101", 2021, weekly_cost=600)
    row = b.row("cla")
    # 2021 stock / population x 10,000: 101: 98/20000 -> 49.0; neighbours 102: 80/10000 -> 80.0,
    # 103: 202/40000 -> 50.5, 104: 154/25000 -> 61.6, 105: 36/5000 -> 72.0
    assert row.la_rate == pytest.approx(49.0)
    assert row.neighbours_median == pytest.approx((61.6 + 72.0) / 2)
    assert row.neighbours_mean == pytest.approx((80 + 50.5 + 61.6 + 72) / 4)
    assert row.neighbours_used == 4
    assert row.england_rate == pytest.approx(1000 / 200000 * 10000)
    assert b.gap.expected_at_neighbours_mean == pytest.approx(66.025 * 2)
    assert b.gap.gap_children == pytest.approx(98 - 132.05)
    assert b.gap.gap_pounds_a_year == pytest.approx((98 - 132.05) * 600 * 365 / 7)


def test_benchmark_leaves_suppressed_neighbours_out_and_says_so(data):
    b = benchmark(data, "101", 2021)
    starts = b.row("starts")
    assert starts.neighbours_used == 3 and "North Deltaby (105)" in starts.missing_neighbours[0]
    assert b.gap.weekly_cost == 1934 and "cla_weekly_cost" in b.gap.cost_source


def test_find_la_by_code_name_and_ons_code(data):
    assert find_la(data, "103").la_name == "Gammaton"
    assert find_la(data, "e06000903").old_la_code == "103"
    assert find_la(data, "  gammaTON ").old_la_code == "103"
    assert find_la(data, "Deltaby").old_la_code == "104"  # exact name wins over the longer "North Deltaby"
    with pytest.raises(CareflowError) as exc:
        find_la(data, "delta")
    assert "several" in str(exc.value) and "104" in str(exc.value) and "105" in str(exc.value)
    with pytest.raises(CareflowError) as exc:
        find_la(data, "Gamaton")
    assert "did you mean Gammaton" in str(exc.value)


def test_cli_benchmark_text_json_and_unknown_la(tmp_path):
    root = write_folder(tmp_path)
    r = CliRunner().invoke(main, ["benchmark", "--data", str(root), "--la", "alphaford", "--year", "2021"])
    assert r.exit_code == 0, r.output
    assert "Alphaford (101)" in r.output and "49.0" in r.output
    r = CliRunner().invoke(main, ["benchmark", "--data", str(root), "--la", "101", "--format", "json"])
    assert r.exit_code == 0 and '"neighbours_mean": 66.025' in r.output
    r = CliRunner().invoke(main, ["benchmark", "--data", str(root), "--la", "Nowhere"])
    assert r.exit_code == 1 and "no local authority 'Nowhere'" in r.output


def synthetic_folder(root, seed=7, n=40, years=range(2010, 2025), change_after=None):
    """n LAs with random-walk stocks and flows consistent with them; optionally perturb years after a cut."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        code = str(600 + i)
        s = float(rng.integers(50, 600))
        growth = rng.normal(0, 0.04)
        for y in years:
            growth = 0.5 * growth + rng.normal(0, 0.03)
            starts = max(1, round(s * 0.4 + rng.normal(0, 5)))
            new = max(5.0, s * (1 + growth))
            ceases = max(0, round(s + starts - new))
            s = new
            stock = round(s) + (50 if change_after and y > change_after else 0)
            rows += [rates_row(y, code, "cla", stock), rates_row(y, code, "starts", starts),
                     rates_row(y, code, "ceases", ceases)]
    write_rates(root / "synth.csv", rows)
    return read_folder(root)


def test_forecast_covers_every_la_and_orders_quantiles(tmp_path):
    d = synthetic_folder(tmp_path)
    f = national_forecast(d, 2022, 2)
    assert f.table.old_la_code.nunique() == 40 and set(f.table.year) == {2023, 2024}
    assert (f.table.p10 <= f.table.p50).all() and (f.table.p50 <= f.table.p90).all()
    assert np.isfinite(f.table[["mean", "p10", "p50", "p90"]].to_numpy()).all()
    h1, h2 = (f.table[f.table.year == y] for y in (2023, 2024))
    assert ((h2.p90.to_numpy() - h2.p10.to_numpy()) > (h1.p90.to_numpy() - h1.p10.to_numpy())).all()


def test_forecast_uses_only_data_up_to_the_origin(tmp_path):
    a = synthetic_folder(tmp_path / "a")
    b = synthetic_folder(tmp_path / "b", change_after=2020)  # same up to 2020, different after
    fa, fb = national_forecast(a, 2020, 2), national_forecast(b, 2020, 2)
    assert np.allclose(fa.table[["mean", "p10", "p50", "p90"]], fb.table[["mean", "p10", "p50", "p90"]])


def test_missing_stock_at_origin_is_reported_not_guessed(tmp_path):
    d = synthetic_folder(tmp_path)
    d.series.loc[(d.series.old_la_code == "605") & (d.series.year == 2022) & (d.series.measure == "cla"),
                 ["value", "reason"]] = [math.nan, "c: confidential (suppressed by DfE)"]
    f = national_forecast(d, 2022, 1)
    assert "605" not in set(f.table.old_la_code)
    assert any(x.rule == "forecast-missing" and "(605)" in x.message and "confidential" in x.message
               for x in f.findings)


def test_backtest_reports_model_and_baselines(tmp_path):
    d = synthetic_folder(tmp_path)
    t = national_backtest(d, [2021, 2022], [1, 2])
    assert list(t.origin) == [2021, 2021, 2022, 2022] and (t.n_las == 40).all()
    assert t.p10_p90_coverage.between(0, 100).all()


def test_too_little_history_is_a_clear_error(tmp_path):
    write_rates(tmp_path / "r.csv", [rates_row(y, "101", "cla", 50 + y - 2019) for y in (2019, 2020, 2021)])
    with pytest.raises(CareflowError, match="too little history"):
        national_forecast(read_folder(tmp_path), 2021, 1)


def test_demo_step_skips_without_shared_data(tmp_path, monkeypatch, capsys):
    from careflow import demo

    monkeypatch.setattr(demo, "_shared_data", lambda: tmp_path / "absent")
    demo._demo_aggregate(tmp_path)
    assert "aggregate: skipped" in capsys.readouterr().out and not (tmp_path / "aggregate").exists()


def test_cli_national_forecast_and_backtest(tmp_path):
    synthetic_folder(tmp_path / "d")
    out = tmp_path / "f.csv"
    r = CliRunner().invoke(main, ["national-forecast", "--data", str(tmp_path / "d"), "--origin", "2022",
                                  "--horizon", "2", "--output", str(out)])
    assert r.exit_code == 0, r.output
    lines = out.read_text().splitlines()
    assert lines[0] == "old_la_code,la_name,year,mean,p10,p50,p90" and len(lines) == 1 + 40 * 2
    r = CliRunner().invoke(main, ["national-backtest", "--data", str(tmp_path / "d"), "--origins", "2021",
                                  "--horizons", "1", "--format", "csv"])
    assert r.exit_code == 0 and r.output.splitlines()[0].startswith("origin,horizon,target_year,n_las")


def test_cli_folder_without_dfe_figures_exits_1(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("a,b\n1,2\n")
    r = CliRunner().invoke(main, ["national-forecast", "--data", str(tmp_path / "data"), "--origin", "2022",
                                  "--output", str(tmp_path / "o.csv")])
    assert r.exit_code == 1 and "dfe-no-data" in r.output and "dfe-unrecognised" in r.output


def test_pipeline_benchmark_reads_the_folder_once_and_answers_for_any_la(tmp_path):
    from careflow import pipeline

    data = pipeline.load_benchmark_data(write_folder(tmp_path))
    assert data.local_authorities() == [("101", "Alphaford"), ("102", "Betaham"), ("104", "Deltaby"),
                                        ("103", "Gammaton"), ("105", "North Deltaby")]  # by name
    b = pipeline.benchmark(data, "101", 2021, weekly_cost=600)
    assert b.gap.gap_children == pytest.approx(98 - 132.05)  # as test_benchmark_against_neighbours_by_hand
    assert pipeline.benchmark(data, "Gammaton", 2021).la.old_la_code == "103"
    with pytest.raises(CareflowError, match="no local authority 'Nowhere'"):
        pipeline.benchmark(data, "Nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CareflowError, match="no DfE children looked after figures"):
        pipeline.load_benchmark_data(tmp_path / "empty")
    with pytest.raises(CareflowError, match="no such folder"):
        pipeline.load_benchmark_data(tmp_path / "nowhere")
