"""The national unit costs in unit_costs.yaml, recomputed from the published files they cite (RO3 2024-25 and the
DfE national placement x provider table), and the provider split checked by hand."""

from __future__ import annotations

import csv

import pytest

from careflow.aggregate.spend import split_by_provider
from careflow.costs import load_unit_costs
from careflow.dfe.outturn import ENGLAND_ONS, read_outturn

WEEKS = 365 / 7
CPI_2021_TO_2024 = 1.026 * 1.091 * 1.073 * 1.025  # ONS CPI annual averages 2021-2024 (inflation.yaml)


def test_split_adds_back_to_the_line():
    # 100 children, 60 in-house; £5,000k a year is £95,890.41 a week, £958.90 a child.
    given = split_by_provider("fostering", "2024-25", 5000, 100, 60, external_given=1200)
    assert given.blended == pytest.approx(5_000_000 / 100 / WEEKS)
    assert given.in_house == pytest.approx((5_000_000 / WEEKS - 40 * 1200) / 60)  # £798.17
    ratio = split_by_provider("residential", "2024-25", 5000, 100, 60, ratio_given=1.25)
    assert ratio.external == pytest.approx(5_000_000 / WEEKS / (60 * 1.25 + 40))  # £833.83
    for s in (given, ratio):
        assert s.in_house * 60 + s.external * 40 == pytest.approx(5_000_000 / WEEKS)
    with pytest.raises(ValueError):
        split_by_provider("fostering", "2024-25", 5000, 100, 100, external_given=1)


def _national_counts(path) -> dict[tuple[str, str], int]:
    """Children at 31 March 2024 by placement group (inside + outside council boundary) and provider."""
    out: dict[tuple[str, str], int] = {}
    with open(path, encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            if r["time_period"] != "2024" or not r["placement_type"][:2].rstrip(".")[-1:].isalpha():
                continue
            group = r["placement_type"].split(". ", 1)[1]
            n = int(r["number"]) if r["number"].isdigit() else 0  # c (suppressed), z: not counted
            out[(group, r["placement_provider"])] = out.get((group, r["placement_provider"]), 0) + n
    return out


def test_unit_costs_yaml_recomputed_from_the_outturn(shared_data):
    o = read_outturn(shared_data / "finance" / "RO3_LA_Data_2024-25_data_by_LA.ods")
    counts = _national_counts(shared_data / "dfe" / "release_2024" /
                              "national_cla_on_31_march_by_placement_provider_placement_type_and_locality.csv")
    u = load_unit_costs()

    foster_all = counts[("Foster placements", "All children")]
    foster_own = counts[("Foster placements", "Own provision (by the LA)")]
    assert (foster_all, foster_own) == (56_390, 33_580)  # 32,480 + 23,910 and 24,380 + 9,200
    fostering = split_by_provider("fostering", o.year, o.value(ENGLAND_ONS, "fostering"), foster_all, foster_own,
                                  external_given=820 * CPI_2021_TO_2024)
    assert fostering.blended == pytest.approx(715.11, abs=0.01)
    assert u.weekly_cost("ifa_fostering", "2024-25") == round(fostering.external)  # 1,009.51
    assert u.weekly_cost("in_house_fostering", "2024-25") == round(fostering.in_house)  # 515.13

    groups = ("Secure homes and children's homes", "Other residential settings", "Residential schools")
    res_all = sum(counts[(g, "All children")] for g in groups)
    # LA-provided: the published cells, with the one suppressed (outside boundary, children's homes) as all less
    # the other providers: 5,860 - 110 - 5,440 - 300 = 10
    res_own = sum(counts[(g, "Own provision (by the LA)")] for g in groups) + 10
    assert (res_all, res_own) == (10_000, 1_080)
    residential = split_by_provider("residential", o.year, o.value(ENGLAND_ONS, "residential"), res_all, res_own,
                                    ratio_given=4750 / 3970)
    assert residential.blended == pytest.approx(6883.58, abs=0.01)
    assert u.weekly_cost("external_residential", "2024-25") == round(residential.external)  # 6,740.55
    assert u.weekly_cost("in_house_residential", "2024-25") == round(residential.in_house)  # 8,064.89
    # supported accommodation: Lincolnshire's £1,821.58 (2021-22) carried by CPI 2022-2024
    assert u.weekly_cost("supported_accommodation", "2024-25") == round(1821.58 * 1.091 * 1.073 * 1.025)
