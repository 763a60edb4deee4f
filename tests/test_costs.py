"""Care-days and costs by hand: the seeds' unit costs, inflation, and financial-year totals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from careflow.costs import UnitCosts, load_unit_costs, price_care_days
from careflow.errors import CareflowError
from careflow.fy import FinancialYear

CATS = ("in_house_fostering", "ifa_fostering")


def months_of(fy: FinancialYear):
    starts = [dt.date(fy.start_year + (m > 12), (m - 1) % 12 + 1, 1) for m in range(4, 16)]
    ends = starts[1:] + [dt.date(fy.end_year, 4, 1)]
    return starts, np.array([(b - a).days for a, b in zip(starts, ends, strict=True)], dtype=float)


def test_three_children_in_ifa_for_2025_26():
    fy = FinancialYear.parse("2025-26")
    starts, days = months_of(fy)
    care_days = np.zeros((12, 2))
    care_days[:, 1] = 3 * days
    costs = UnitCosts(weekly={"in_house_fostering": [(dt.date(2025, 4, 1), 350.0)],
                              "ifa_fostering": [(dt.date(2025, 4, 1), 850.0)]}, inflation={})
    years, pounds = price_care_days(care_days, starts, CATS, costs)
    assert years == [fy]
    assert pounds[0, 1] == pytest.approx(3 * 850 * 365 / 7)  # £132,964.29
    assert pounds[0, 0] == 0


def test_national_unit_costs_are_2024_25_and_carried_by_the_dated_index():
    u = load_unit_costs()
    assert u.weekly_cost("in_house_fostering", "2024-25") == 515
    assert u.weekly_cost("ifa_fostering", "2024-25") == 1010
    # forward at the 2% assumption (default) and 5% (external residential), back by CPI 2024 (2.5%) and 2023 (7.3%)
    assert u.weekly_cost("ifa_fostering", "2025-26") == pytest.approx(1010 * 1.02)  # £1,030.20
    assert u.weekly_cost("external_residential", "2026-27") == pytest.approx(6741 * 1.05 * 1.05)  # £7,431.95
    assert u.weekly_cost("ifa_fostering", "2022-23") == pytest.approx(1010 / 1.025 / 1.073)  # £918.34
    # Cambridgeshire's 2018-19 IFA figure (£850) carried to 2024-25 by CPI 2019-2024:
    # 850 x 1.018 x 1.009 x 1.026 x 1.091 x 1.073 x 1.025 = £1,074.86
    assert 850 * u.price_factor("default", "2018-19", "2024-25") == pytest.approx(1074.86, abs=0.01)
    assert u.price_factor("ifa_fostering", "2024-25", "2018-19") == pytest.approx(1 / 1.264546, rel=1e-6)
    assert all(u.sources.get(c) for c in u.weekly)


def test_mtfs_rates_replace_the_index_from_their_date_only(tmp_path):
    mtfs = tmp_path / "mtfs.yaml"
    mtfs.write_text("description: our MTFS\nunit: proportion\nreference: Council MTFS 2025-30, table 4\n"
                    'values:\n  default: {"2025-04-01": 0.04}\n')
    u = load_unit_costs(inflation=mtfs)
    assert u.weekly_cost("in_house_fostering", "2026-27") == pytest.approx(515 * 1.04 * 1.04)  # £557.02
    assert u.weekly_cost("in_house_fostering", "2023-24") == pytest.approx(515 / 1.025)  # CPI outturn kept
    # external residential keeps its own series (the MTFS file does not list it)
    assert u.weekly_cost("external_residential", "2025-26") == pytest.approx(6741 * 1.05)


def test_runs_priced_one_by_one():
    # two runs: 1 child and 3 children in IFA for April 2025; the bands come from each run's own cost
    starts = [dt.date(2025, 4, 1)]
    runs = np.array([[[0.0, 30.0]], [[0.0, 90.0]]])
    costs = UnitCosts(weekly={c: [(dt.date(2025, 4, 1), 700.0)] for c in CATS}, inflation={})
    _, pounds = price_care_days(runs, starts, CATS, costs)
    assert pounds[:, 0, 1].tolist() == [3000.0, 9000.0]


def test_user_costs_override_and_errors(tmp_path):
    f = tmp_path / "costs.yaml"
    f.write_text('description: our costs\nunit: GBP per week\nreference: our MTFS 2025\n'
                 'values:\n  ifa_fostering: {"2025-04-01": 900}\n')
    u = load_unit_costs(f, categories=("ifa_fostering", "in_house_fostering"))
    assert u.weekly_cost("ifa_fostering", "2025-26") == 900
    assert u.weekly_cost("in_house_fostering", "2024-25") == 515  # the national default still applies
    bad = tmp_path / "bad.yaml"
    bad.write_text('description: x\nunit: GBP\nreference: r\nvalues:\n  ifa_fostering: {"2025-04-01": lots}\n')
    with pytest.raises(CareflowError, match="must be a number") as exc:
        load_unit_costs(bad)
    assert "bad.yaml" in str(exc.value) and "row 5" in str(exc.value)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text('description: x\nunit: GBP\nreference: r\nvalues:\n  fostering: {"2025-04-01": 1}\n')
    with pytest.raises(CareflowError, match="unknown category 'fostering'"):
        load_unit_costs(unknown, categories=CATS)
