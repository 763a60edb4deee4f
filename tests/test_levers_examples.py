"""The worked examples in examples/scenarios/ load, and their purely financial figures are the seeds' own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from careflow.levers import Scenario, evaluate
from levers_standin import StandIn, stock

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "scenarios"
COSTS = {"in_house_fostering": 350.0, "ifa_fostering": 850.0, "external_residential": 4527.0,
         "in_house_residential": 5700.0, "other": 850.0}
CATS = ("in_house_fostering", "ifa_fostering", "external_residential", "in_house_residential",
        "supported_accommodation")


def priced(name: str, months: int = 36):
    sc = Scenario.load(EXAMPLES / name)
    model = StandIn(stock(ifa_fostering=60, external_residential=12), months=months, categories=CATS)
    return evaluate(sc, model, COSTS | {"supported_accommodation": 1800.0}, deterministic=True).difference()


def saving(df, fy="2025-26", lever="all"):
    return float(df[(df.lever == lever) & (df.financial_year == fy)].pounds_mean.iloc[0])


def test_every_example_loads():
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 8
    for f in files:
        assert Scenario.load(f).levers


def test_mst_contract_is_321k_a_year():
    df = priced("ar6264_mst.yaml")
    assert saving(df) == pytest.approx(321_000)  # "£321K per annum full year cashable savings"


def test_victoria_road_full_year():
    # £600k a year less £3,200 + £1,200 a week for the two young people's new placements.
    assert saving(priced("ar6258_victoria_road.yaml")) == pytest.approx(600_000 - 4_400 * 365 / 7)


def test_early_help_exceeds_750k_in_a_full_year():
    df = priced("early_help_restructure.yaml")
    per_fte = 32_000 * 1.30
    assert saving(df, "2025-26") == pytest.approx(13 * per_fte - 120_000 + 216_000)
    assert saving(df, "2026-27") == pytest.approx(13 * per_fte + 216_000)
    assert saving(df, "2026-27") > 750_000


def test_placement_mix_uses_the_case_weekly_costs():
    df = priced("ar6255_placement_mix.yaml")
    # In 2026-27 all 43 placements are filled all year and no child leaves the stand-in: 43 x £500 a week, plus
    # the 12 SGO conversions from IFA at £850 a week less the special guardianship allowance: £199 a week
    # (2024-25, carried by careflow's index at 2% a year to 2026-27) paid for 80% of them.
    mix = saving(df, "2026-27", "in-house carers displace IFA")
    sgo = saving(df, "2026-27", "SGOs converting IFA placements")
    allowance = 199 * 1.02 ** 2 * 0.8
    assert mix + sgo == pytest.approx(43 * 500 * 365 / 7 + 12 * (850 - allowance) * 365 / 7)
    assert np.isclose(saving(df, "2026-27"), mix + sgo)


def test_case_costs_in_2018_19_prices_are_carried_to_each_year():
    """With careflow's index, the case's £350 and £850 (prices_year: 2018-19) are priced in each year's cash
    prices like every other category: 2026-27 is 2018-19 x CPI 2019-2024 (1.264546) x 1.02 x 1.02."""
    from careflow.costs import load_unit_costs

    sc = Scenario.load(EXAMPLES / "ar6255_placement_mix.yaml")
    model = StandIn(stock(ifa_fostering=60, external_residential=12), months=36, categories=CATS)
    df = evaluate(sc, model, load_unit_costs(categories=CATS), deterministic=True).difference()
    factor = 1.264546 * 1.02 ** 2
    assert saving(df, "2026-27", "in-house carers displace IFA") == pytest.approx(
        43 * 500 * factor * 365 / 7, rel=1e-6)  # £1,463,811 (£1,121,429 at 2018-19 prices)


def test_haringey_entries_and_family_assist_run():
    model = StandIn(stock(ifa_fostering=60, external_residential=12), entries=stock(ifa_fostering=4), months=36,
                    categories=CATS)
    df = evaluate(Scenario.load(EXAMPLES / "haringey_entries.yaml"), model, COSTS | {"supported_accommodation": 0},
                  deterministic=True).difference()
    # 4 entries a month: 5% fewer in year one is 2.4 children by 31 March 2026.
    assert df[(df.lever == "all") & (df.financial_year == "2025-26")].children_mean.iloc[0] == pytest.approx(2.4)
    df = priced("hf_family_assist.yaml")
    # One child every 3 months from September 2025 until 8 have stepped down (by August 2027): in 2027-28 (366
    # days) months April to August 2027 have 19/3 ... 23/3 children moved, then 8.
    days = [30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 29, 31]
    moved = [min(8, (19 + i + 1) / 3) for i in range(12)]
    assert saving(df, "2027-28") == pytest.approx(sum(m * d for m, d in zip(moved, days, strict=True)) * (4527 - 850) / 7)


def test_an_sgo_saves_less_than_a_return_home_by_the_allowance():
    """The same 12 children leave IFA care (one at the start of each month of 2025-26) by SGO or by going home:
    the SGO saves less by the special guardianship allowance, £199 a week in 2024-25 prices for 80% of them,
    from the month each leaves (careflow's index, 2% a year: £202.98 in 2025-26, £207.04 in 2026-27)."""
    import datetime as dt

    from careflow.fy import FinancialYear
    from careflow.levers.schema import PermanenceExits

    def run(group):
        sc = Scenario(name=group, levers=[PermanenceExits(type="permanence_exits", name="exits",
                                                           from_category="ifa_fostering", exit_group=group,
                                                           children_per_year=12, total=12,
                                                           start=dt.date(2025, 4, 1))])
        model = StandIn(stock(ifa_fostering=60), months=24, categories=CATS)
        return evaluate(sc, model, COSTS | {"supported_accommodation": 0}, deterministic=True).difference()

    home, sgo = run("return_home"), run("sgo")
    weekly = {"2025-26": 199 * 1.02 * 0.8, "2026-27": 199 * 1.02 ** 2 * 0.8}  # index: 2% from 2025-26
    # 2025-26: the k-th child (k = 0..11) is paid from the first day of month k to 31 March 2026
    starts = [dt.date(2025 + (4 + k > 12), (3 + k) % 12 + 1, 1) for k in range(12)]
    days_2025 = sum((FinancialYear.parse("2025-26").end - d).days + 1 for d in starts)
    assert saving(home, "2025-26") - saving(sgo, "2025-26") == pytest.approx(days_2025 * weekly["2025-26"] / 7)
    assert saving(home, "2026-27") - saving(sgo, "2026-27") == pytest.approx(12 * 365 * weekly["2026-27"] / 7)
    assert saving(home, "2026-27") == pytest.approx(12 * 850 * 365 / 7)  # a return home carries no allowance
