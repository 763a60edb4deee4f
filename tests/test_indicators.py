"""Indicators counted by hand on the small return of tests/indicator_fixtures.py (see its docstring for the
children), and agreement with ``careflow summary`` on 31 March."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

import indicator_fixtures
from careflow.cli import main
from careflow.errors import CareflowError
from careflow.indicators import compute
from careflow.ssda903 import load, summarise

D = date(2022, 3, 31)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return indicator_fixtures.write(tmp_path_factory.mktemp("ind"))


@pytest.fixture(scope="module")
def data(folder):
    d = load(folder)
    assert not d.errors, [str(f) for f in d.errors]
    return d


@pytest.fixture(scope="module")
def year(data):
    ind = compute(data, population=10_000, by=("age_band", "sex", "ethnicity", "uasc", "category"))
    assert list(ind.yearly["year"]) == ["2021-22"]
    return ind, ind.yearly.iloc[0]


def test_counts_on_31_march_starts_and_ceases(year):
    _, y = year
    assert y["at_31_march"] == 5  # A, B, C, D, H (E and G left; F short breaks only)
    assert y["per_10000"] == pytest.approx(5.0)  # 5 / 10,000 x 10,000
    assert y["starts"] == 2  # D, E (F's short breaks do not count)
    assert y["ceases"] == 2  # E, G


def test_placement_mix(year):
    _, y = year
    assert (y["residential"], y["residential_share"]) == (1, pytest.approx(20.0))  # C of 5
    assert (y["fostering"], y["ifa"]) == (3, 1)  # A in-house, B IFA, D kinship; H is placed for adoption
    assert y["ifa_share"] == pytest.approx(100 / 3)


def test_stability(year):
    _, y = year
    assert y["three_plus_placements_n"] == 1  # B: IFA, residential, IFA; C's legal-status change is no move
    assert y["three_plus_placements"] == pytest.approx(20.0)
    # Under 16 and in care since 30 Sept 2019 or before: A, B, H (C is 16, D too recent). Same placement since
    # 31 March 2020: A; H counts its adoptive placement with the foster placement before it; B moved in 2021.
    assert (y["long_term_eligible"], y["long_term_stable"]) == (3, 2)


def test_out_of_area_and_time_in_care(year):
    ind, y = year
    assert any("AN" in n for n in ind.notes)  # every home postcode is in AN: AN is the LA's own
    assert (y["postcode_known"], y["out_of_area"]) == (4, 1)  # C has no PL_POST; B is placed in BX
    assert y["out_of_area_share"] == pytest.approx(25.0)
    starts = [date(2019, 6, 1), date(2019, 1, 10), date(2020, 11, 1), date(2021, 7, 1), date(2019, 5, 1)]
    assert y["average_days_in_care"] == pytest.approx(sum((D - s).days for s in starts) / 5)
    left = [(date(2021, 12, 1) - date(2021, 6, 1)).days, (date(2021, 6, 30) - date(2018, 4, 1)).days]
    assert y["average_days_ceased"] == pytest.approx(sum(left) / 2)  # E 183 days, G 1,186 days


def test_local_postcodes_given(data):
    y = compute(data, local=["AN2", "BX"]).yearly.iloc[0]
    # local districts AN2 (A) and area BX (B): D (AN3) and H (AN4) are out of area
    assert y["out_of_area"] == 2


def test_monthly(year):
    ind, _ = year
    m = ind.monthly.set_index(ind.monthly["month_end"].dt.strftime("%Y-%m"))
    assert len(m) == 12
    assert m.loc["2021-04", "at_month_end"] == 5  # A, B, C, G, H
    assert tuple(m.loc["2021-06", ["at_month_end", "starts", "ceases"]]) == (5, 1, 1)  # E in, G out on 30 June
    assert tuple(m.loc["2021-07", ["at_month_end", "starts", "ceases"]]) == (6, 1, 0)  # D in
    assert m.loc["2021-12", "ceases"] == 1 and m.loc["2021-12", "at_month_end"] == 5  # E home
    assert m.loc["2022-03", "at_month_end"] == 5  # = 31 March; F's short break from 30 March not counted


def _by(ind, dim):
    t = ind.breakdowns[dim]
    return {g: (a, s, c) for g, a, s, c in zip(t["group"], t["at_31_march"], t["starts"], t["ceases"], strict=True)}


def test_breakdowns(year):
    ind, _ = year
    # age on 31 March: A 12, B 14, C 16, D 0, H 5; at starting: D 0, E 9; at ceasing: E 9, G 17
    assert _by(ind, "age_band") == {"0-1": (1, 1, 0), "5-10": (1, 1, 1), "10-16": (2, 0, 0), "16-18": (1, 0, 1)}
    assert _by(ind, "sex") == {"F": (3, 1, 0), "M": (2, 1, 2)}
    assert _by(ind, "uasc") == {"UASC": (1, 0, 0), "Non-UASC": (4, 2, 2)}
    assert _by(ind, "ethnicity") == {
        "White": (2, 1, 2), "Black, African, Caribbean or Black British": (1, 0, 0),
        "Mixed or Multiple ethnic groups": (1, 1, 0), "Refused or information not yet available": (1, 0, 0)}
    assert _by(ind, "category") == {"in_house_fostering": (1, 0, 1), "ifa_fostering": (1, 1, 1),
                                    "in_house_residential": (1, 0, 0), "kinship_fostering": (1, 1, 0),
                                    "placed_for_adoption": (1, 0, 0)}


def test_agrees_with_summary_on_fixture_and_anyshire(data, tmp_path):
    from careflow.synth import anyshire

    for d in (data, load(anyshire(tmp_path / "anyshire"))):
        ind = compute(d)
        s = summarise(d)
        assert list(ind.yearly["at_31_march"]) == list(s["at_31_march"])
        assert list(ind.yearly["starts"]) == list(s["starts"])
        assert list(ind.yearly["ceases"]) == list(s["ceases"])
        march = ind.monthly.loc[ind.monthly["month_end"].dt.month == 3, "at_month_end"]
        assert list(march) == list(s["at_31_march"])


def test_agrees_with_summary_on_sample(shared_data):
    d = load(shared_data / "ssda903_samples" / "cs_demand_model_combined")
    assert list(compute(d).yearly["at_31_march"]) == list(summarise(d)["at_31_march"])


def test_population_by_year_and_errors(data):
    y = compute(data, population={"2021/22": 4000}).yearly.iloc[0]
    assert y["per_10000"] == pytest.approx(12.5)
    with pytest.raises(CareflowError, match="positive"):
        compute(data, population=0)
    with pytest.raises(CareflowError, match="break down"):
        compute(data, by=("colour",))


def test_cli_json_csv_and_text(folder):
    r = CliRunner().invoke(main, ["indicators", str(folder), "--population", "10000", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["yearly"][0]["at_31_march"] == 5 and doc["yearly"][0]["per_10000"] == 5.0
    assert "long_term_stability" in doc["measures"]
    r = CliRunner().invoke(main, ["indicators", str(folder), "--by", "sex", "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == "dimension,year,group,at_31_march,starts,ceases"
    assert "sex,2021-22,F,3,1,0" in r.output
    r = CliRunner().invoke(main, ["indicators", str(folder)])
    assert r.exit_code == 0 and "Children looked after on 31 March" in r.output and "20.0%" in r.output
    r = CliRunner().invoke(main, ["indicators", str(folder), "--population", "2021-22=0"])
    assert r.exit_code == 1 and "positive" in r.output
    r = CliRunner().invoke(main, ["indicators", str(folder), "--population", "many"])
    assert r.exit_code == 2


def test_stacked_file_one_la_at_a_time(shared_data):
    stacked = shared_data / "ssda903_samples" / "cs_demand_model_regional_v1"
    las = load(stacked).las
    if len(las) < 2:
        pytest.skip("the stacked sample holds one LA")
    r = CliRunner().invoke(main, ["indicators", str(stacked)])
    assert r.exit_code == 1 and "--la" in r.output
    s = summarise(load(stacked))
    for la in las:
        r = CliRunner().invoke(main, ["indicators", str(stacked), "--la", la, "--format", "json"])
        assert r.exit_code == 0, r.output
        got = [y["at_31_march"] for y in json.loads(r.stdout)["yearly"]]
        assert got == list(s.loc[s["la"] == la, "at_31_march"])
