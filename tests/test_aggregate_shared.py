"""Checks against the public DfE files in ../shared/data (skipped when absent).

Expected values are computed here with plain csv reading, independent of careflow's reader.
"""

from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path

import pytest

from careflow.aggregate import benchmark, national_backtest, national_forecast
from careflow.dfe import half_up, read_folder

RATE_FILES = ["dfe/release_2023/cla_number_and_rate_per_10k_children.csv",
              "dfe/release_2024/cla_number_and_rate_per_10k_children.csv"]
CLA = "Children looked after at 31 March each year"


def _rows(path: Path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


@pytest.fixture(scope="module")
def data(shared_data):
    return read_folder(shared_data), shared_data


@pytest.mark.parametrize("name", RATE_FILES)
def test_published_rates_reproduce_from_counts_and_population(shared_data, name):
    checked = 0
    for r in _rows(shared_data / name):
        if r["geographic_level"] != "Local authority" or not r["number"].isdigit():
            continue
        assert r["rate_per_10000"].isdigit() or r["population_estimate"] == "x", r  # no population, no rate
        if not r["rate_per_10000"].isdigit():
            continue  # 2019 rows of the pre-2019 Dorset authorities: counts without population
        pop = float(r["population_estimate"])
        assert half_up(float(r["number"]) / pop * 10000) == int(r["rate_per_10000"]), r
        checked += 1
    assert checked > 2200  # every unsuppressed LA row of the release (3 measures x ~152 LAs x 5 years)


def test_rate_population_is_ons_mid_year_of_the_previous_calendar_year(shared_data):
    # In the 2023 release, 2019-2022 rates divide by the ONS mid-(Y-1) estimate as held in the population file
    # (2023 used an estimate ONS has since revised, so it is left out).
    ons = {(r["time_period"], r["old_la_code"]): r["population_estimate"]
           for r in _rows(shared_data / "population/ons_mid-year_population_estimates_2012_to_2024.csv")
           if r["geographic_level"] == "Local authority"}
    checked = 0
    for r in _rows(shared_data / RATE_FILES[0]):
        if r["geographic_level"] != "Local authority" or not r["rate_per_10000"].isdigit() \
                or r["time_period"] == "2023":
            continue
        assert ons[(str(int(r["time_period"]) - 1), r["old_la_code"])] == r["population_estimate"], r
        checked += 1
    assert checked > 1700


def _by_hand(shared_data: Path, la: str, year: int) -> dict:
    """Neighbours from sn_model_2025_wide.csv, counts and populations from the 2024 release."""
    sn = next(r for r in csv.reader(open(shared_data / "statistical_neighbours/sn_model_2025_wide.csv",
                                         encoding="utf-8-sig")) if r[0] == la)
    neighbours = [sn[4 + 2 * k] for k in range(10)]
    rate, count, pop = {}, {}, {}
    for r in _rows(shared_data / RATE_FILES[1]):
        if r["time_period"] == str(year) and r["population_count"] == CLA and r["number"].isdigit() \
                and r["geographic_level"] in ("National", "Local authority"):
            code = r["old_la_code"] or "england"
            count[code], pop[code] = float(r["number"]), float(r["population_estimate"])
            rate[code] = count[code] / pop[code] * 10000
    nrates = [rate[n] for n in neighbours]
    return dict(rate=rate[la], median=statistics.median(nrates), mean=statistics.mean(nrates),
                england=rate["england"], count=count[la], expected=statistics.mean(nrates) * pop[la] / 10000)


@pytest.mark.parametrize("la", ["873", "205", "309"])
def test_benchmark_2024_matches_the_files(data, la):
    d, shared = data
    b = benchmark(d, la, 2024)
    print("\n" + b.to_text())
    want = _by_hand(shared, la, 2024)
    row = b.row("cla")
    assert row.la_count == want["count"]
    assert row.la_rate == pytest.approx(want["rate"])
    assert row.neighbours_median == pytest.approx(want["median"])
    assert row.neighbours_mean == pytest.approx(want["mean"])
    assert row.england_rate == pytest.approx(want["england"])
    assert b.gap.gap_children == pytest.approx(want["count"] - want["expected"])
    # no outturn given: priced at the England figure of the cla_weekly_cost parameter (RO3 2024-25, £1,934)
    assert b.gap.gap_pounds_a_year == pytest.approx((want["count"] - want["expected"]) * 1934 * 365 / 7)
    assert b.gap.price_base == "2024-25 cash prices"


def test_cambridgeshire_2024_figures(data):
    # By hand from the 2024 release: Cambridgeshire 649 children, population 139,191 -> 46.6 per 10,000
    # (published 47); the 2025-model neighbours' mean rate 51.5, so 717 at their rate: 68 fewer than neighbours.
    b = benchmark(data[0], "Cambridgeshire", 2024)
    assert b.gap.la_count == 649 and round(b.row("cla").la_rate, 1) == 46.6
    assert round(b.gap.expected_at_neighbours_mean) == 717 and round(b.gap.gap_children) == -68


def test_all_current_las_forecast_and_abolished_ones_reported(data):
    f = national_forecast(data[0], 2024, 3)
    assert f.table.old_la_code.nunique() == 153
    missing = {x.message.split(":")[0] for x in f.findings if x.rule == "forecast-missing"}
    assert missing == {"Cumbria (909)", "Northamptonshire (928)"}


def test_design_origins_choose_from_their_own_past(data):
    # 2015 has no earlier scored origin and 2016 only one: the old default is kept (MIN_INNER = 2)
    from careflow.aggregate.forecast import DEFAULT

    assert national_forecast(data[0], 2015, 1).candidate == DEFAULT
    assert national_forecast(data[0], 2016, 1).candidate == DEFAULT
    f = national_forecast(data[0], 2019, 1)
    assert list(f.selection.inner_origins.unique()) == [3]  # 2015->16, 2016->17, 2018->19 (2018 not published)


def test_backtest_one_year_against_naive(data):
    t = national_backtest(data[0], [2020, 2021, 2022, 2023], [1])
    print("\n" + t.to_string(index=False))
    assert 75 <= t.p10_p90_coverage.mean() <= 85
    beats = dict(zip(t.origin, t.model_median_ape < t.naive_median_ape, strict=True))
    # Goal met at 2020-2022; at origin 2023 the model chosen by nested selection (4.54%) is worse than last value
    # (3.91%): see docs/aggregate.md. This records the measured state; it fails if that changes either way.
    assert beats == {2020: True, 2021: True, 2022: True, 2023: False}


def test_placement_mix_2024_by_hand(data):
    # grep ',873,' .../la_cla_on_31_march_by_characteristics_2021_2024.csv | grep '^2024' | grep Placement:
    # Foster placements 427 of Total 631; neighbours' shares computed the same way from the same file.
    d, shared = data
    path = shared / "dfe/release_2025_to_2024_only/la_cla_on_31_march_by_characteristics_2021_2024.csv"
    counts = {}
    for r in _rows(path):
        if r["time_period"] == "2024" and r["cla_group"] == "Placement":
            counts.setdefault(r["old_la_code"], {})[r["characteristic"]] = r["number"]
    sn = next(r for r in csv.reader(open(shared / "statistical_neighbours/sn_model_2025_wide.csv",
                                         encoding="utf-8-sig")) if r[0] == "873")
    shares = [float(counts[n]["Foster placements"]) / float(counts[n]["Total"]) * 100
              for n in (sn[4 + 2 * k] for k in range(10))]
    b = benchmark(d, "873", 2024)
    foster = next(m for m in b.mix if m.characteristic == "Foster placements")
    assert foster.la_count == 427 and foster.la_share == pytest.approx(427 / 631 * 100)
    assert foster.neighbours_median == pytest.approx(statistics.median(shares))
    suppressed = next(m for m in b.mix if m.characteristic == "Residential schools")
    assert math.isnan(suppressed.la_share) and suppressed.la_reason.startswith("c")
