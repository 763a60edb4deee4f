"""The synthetic LA generator: valid returns, calibrated to England, reproducible, faults that can be found."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from careflow.cli import main
from careflow.synth import FAULT_KINDS, generate, load_synth_parameters, returns_from, synthesize
from careflow.synth.calibrate import ceases_by_group, mix_31_march, published_ceases_by_group, starts_by_age
from careflow.synth.faults import parse_faults

# Codes valid in the SSDA903 return (DfE guidance; /work/shared/data/reference/ssda903_placement_codes_compiled.csv)
RNE = {"S", "P", "L", "T", "U", "B"}
LS = {"C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"}
CIN = {f"N{i}" for i in range(1, 9)}
PLACE = {"A3", "A4", "A5", "A6", "H5", "K1", "K2", "K3", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1", "T0", "T1",
         "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1"}
REC = {"X1", "E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E41", "E45", "E46", "E47", "E48", "E4A",
       "E4B", "E5", "E6", "E7", "E8", "E9"}
RPC = {"CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ", "PLACE", "CUSTOD", "OTHER"}
NO_PROVIDER = {"Z1", "T0", "T1", "T2", "T3", "T4"}


@pytest.fixture(scope="module")
def small_la():
    return synthesize(300, 2020, 6, np.random.default_rng(7))


@pytest.fixture(scope="module")
def small_returns(small_la):
    return returns_from(small_la)


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.replace("", None), format="%d/%m/%Y")


def test_returns_have_the_return_layout(small_returns):
    for year, t in small_returns.items():
        assert list(t["header"].columns) == ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
        assert list(t["episodes"].columns) == ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER",
                                               "DEC", "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"]
        assert list(t["uasc"].columns) == ["CHILD", "SEX", "DOB", "DUC"]
        # SEX 1/2 to 2023-24, M/F from 2024-25
        assert set(t["header"]["SEX"]) <= ({"M", "F"} if year >= 2025 else {"1", "2"})
        assert t["episodes"]["DECOM"].str.fullmatch(r"\d\d/\d\d/\d{4}").all()


def test_codes_are_valid_and_consistent(small_returns):
    for year, t in small_returns.items():
        e = t["episodes"]
        assert set(e["RNE"]) <= RNE and set(e["LS"]) <= LS and set(e["CIN"]) <= CIN
        assert set(e["PLACE"]) <= PLACE | ({"K3"} if year >= 2025 else set())
        if year < 2025:
            assert "K3" not in set(e["PLACE"])          # K3 is new in 2024-25
        assert set(e["REC"]) - {""} <= REC
        assert set(e["REASON_PLACE_CHANGE"]) - {""} <= RPC
        prov, place = e["PLACE_PROVIDER"], e["PLACE"]
        assert (prov[place.isin(NO_PROVIDER)] == "").all()
        assert (prov[place == "P1"] == "PR0").all()
        assert (prov[~place.isin(NO_PROVIDER | {"P1"})].isin(["PR1", "PR2", "PR3", "PR4", "PR5"])).all()
        assert not (place.isin(["R2", "R5"]) & prov.isin(["PR1", "PR2"])).any()
        assert not (place.str.startswith("U") & prov.isin(["PR0", "PR3"])).any()
        # DEC and REC both or neither (rule 148)
        assert ((e["DEC"] == "") == (e["REC"] == "")).all()


def test_episodes_do_not_overlap_and_end_after_they_start(small_returns):
    for t in small_returns.values():
        e = t["episodes"].copy()
        e["decom"], e["dec"] = _dates(e["DECOM"]), _dates(e["DEC"])
        assert (e["dec"].isna() | (e["dec"] >= e["decom"])).all()
        e = e.sort_values(["CHILD", "decom"])
        nxt = e.groupby("CHILD")["decom"].shift(-1)
        has_next = nxt.notna()
        # the next episode starts on or after this one ends; an open episode is the child's last
        assert e.loc[has_next, "dec"].notna().all()
        assert (nxt[has_next] >= e.loc[has_next, "dec"]).all()
        # X1 continues on the same day; a new period (S) never starts on the day the last one ended (rule 431)
        cont = has_next & (e["REC"] == "X1")
        assert (nxt[cont] == e.loc[cont, "dec"]).all()
        assert (e.loc[has_next & (e["REC"] != "X1"), "dec"] < nxt[has_next & (e["REC"] != "X1")]).all()


def test_nobody_in_care_past_18_and_every_child_has_a_header(small_returns):
    for year, t in small_returns.items():
        h = t["header"].set_index("CHILD")
        e = t["episodes"]
        assert set(e["CHILD"]) == set(h.index)
        dob = _dates(h["DOB"])
        b18 = dob + pd.DateOffset(years=18)
        b18 = b18.where(~((dob.dt.month == 2) & (dob.dt.day == 29)), b18 + pd.Timedelta(days=1))
        end = _dates(e["DEC"]).fillna(pd.Timestamp(year, 3, 31))
        assert (end.to_numpy() <= b18.loc[e["CHILD"]].to_numpy()).all()
        assert (_dates(e["DECOM"]).to_numpy() >= dob.loc[e["CHILD"]].to_numpy()).all()
        # every return holds the episodes open at any time in its year
        assert (_dates(e["DECOM"]) <= pd.Timestamp(year, 3, 31)).all()
        assert (_dates(e["DEC"]).fillna(pd.Timestamp(year, 3, 31)) >= pd.Timestamp(year - 1, 4, 1)).all()


def test_uasc_are_mostly_older_boys(small_la):
    c = small_la.children[small_la.children["uasc"]]
    ep = small_la.episodes[small_la.episodes["child"].isin(c["child"]) & (small_la.episodes["rne"] == "S")]
    age = (ep["decom"].to_numpy() - c.set_index("child").loc[ep["child"], "dob"].to_numpy()) / np.timedelta64(365, "D")
    assert len(c) > 10
    assert c["male"].mean() > 0.85
    assert (age >= 13).all() and (age >= 16).mean() > 0.7


def test_same_seed_same_bytes_different_seed_different(tmp_path):
    def digest(folder):
        h = hashlib.sha256()
        for f in sorted(folder.rglob("*.csv")):
            h.update(f.relative_to(folder).as_posix().encode())
            h.update(f.read_bytes())
        return h.hexdigest()

    a = generate(120, 2023, 2, 11, tmp_path / "a")
    b = generate(120, 2023, 2, 11, tmp_path / "b")
    c = generate(120, 2023, 2, 12, tmp_path / "c")
    assert digest(a) == digest(b)
    assert digest(a) != digest(c)


def test_steady_state_children_in_care():
    # with the burn-in the stock at the start of the first year is the requested size (Poisson noise aside)
    la = synthesize(2000, 2021, 2, np.random.default_rng(3))
    e = la.episodes
    day = pd.Timestamp(2020, 4, 1)
    n = ((e["decom"] <= day) & (e["dec"].isna() | (e["dec"] > day))).sum()
    assert abs(n - 2000) < 150


@pytest.fixture(scope="module")
def large_la():
    return synthesize(12_000, 2022, 3, np.random.default_rng(2024))


def test_31_march_placement_mix_within_3_points_of_england(large_la):
    """England, 31 March 2024 (DfE national_cla_on_31_march_by_characteristics, 'Placement'), hand-checkable."""
    england = {"kin": 13670, "foster": 42740, "adoption": 1910, "parents": 5300, "childrens_home": 8540,
               "secure": 100, "supported": 6250, "other_residential": 1260, "residential_school": 90, "other": 3790}
    total = sum(england.values())
    assert total == 83650  # the groups add to the published 83,630 within rounding to the nearest 10
    p = load_synth_parameters()
    mix = mix_31_march(large_la.episodes, 2024, p.categories)
    for cat, n in england.items():
        assert abs(mix[cat] - n / total) < 0.03, (cat, mix[cat], n / total)


def test_providers_on_31_march_close_to_england(large_la):
    """Foster placements with other carers (U4-U6): England 2024, 47% own provision, 53% agency (PR4/PR5)."""
    e = large_la.episodes
    day = pd.Timestamp(2024, 3, 31)
    s = e[(e["decom"] <= day) & (e["dec"].isna() | (e["dec"] > day)) & (e["category"] == "foster")]
    agency = s["place_provider"].isin(["PR4", "PR5"]).mean()
    assert abs(agency - (17900 + 4630) / 42740) < 0.04
    homes = e[(e["decom"] <= day) & (e["dec"].isna() | (e["dec"] > day)) & (e["place"] == "K2")]
    assert abs(homes["place_provider"].isin(["PR4", "PR5"]).mean() - (7040 + 490) / 8650) < 0.05


def test_starts_by_age_within_3_points_of_england(large_la):
    """England 2024 starts (national_cla_started_to_be_looked_after, 'Age on starting'): 5,210 under 1, 4,830 1-4,
    4,890 5-9, 8,690 10-15, 9,440 16+ of 33,050 (the synthetic starts include re-entries, as DfE's do)."""
    england = np.array([5210, 4830, 4890, 8690, 9440]) / 33050
    sim = np.mean([starts_by_age(large_la.episodes, large_la.children, y).to_numpy() for y in (2022, 2023, 2024)],
                  axis=0)
    assert np.abs(sim - england).max() < 0.03, sim


def test_ceases_by_reason_within_3_points_of_england(large_la):
    england = published_ceases_by_group(load_synth_parameters())
    assert abs(england["adoption"] - 2980 / 33620) < 0.001  # published counts are rounded to 10
    sim = pd.concat([ceases_by_group(large_la.episodes, y) for y in (2022, 2023, 2024)], axis=1).mean(axis=1)
    for g, share in england.items():
        assert abs(sim.get(g, 0) - share) < 0.03, (g, sim.get(g), share)


def test_fault_injector_produces_every_kind(tmp_path):
    out = generate(150, 2024, 2, 5, tmp_path / "f", faults="all,iso_dates", fault_rate=0.02)
    log = pd.DataFrame(json.loads((out / "faults.json").read_text()))
    assert set(log["kind"]) == set(FAULT_KINDS)
    ep = pd.read_csv(out / "2024" / "episodes.csv", dtype=str, keep_default_na=False)
    hd = pd.read_csv(out / "2024" / "header.csv", dtype=str, keep_default_na=False)
    clean = returns_from(synthesize(150, 2024, 2, np.random.default_rng(5).spawn(2)[0]))[2024]
    # each logged fault is visible in the file
    assert ep["DECOM"].str.fullmatch(r"\d{4}-\d\d-\d\d").any()          # iso_dates
    assert len(ep) > len(clean["episodes"])                             # duplicate_row
    assert len(hd) < len(clean["header"])                                # missing_header
    assert set(ep["CHILD"]) - set(hd["CHILD"])                          # an episode child without a header
    assert (hd["SEX"] == "3").any()
    assert ((ep["DEC"] != "") & (ep["REC"] == "")).any()                # dec_without_rec
    assert ep["DECOM"].isin(["31/02/2021", "2021-13-45", "yesterday", "00/00/0000"]).any()
    assert (ep["PLACE"].str.match(r"^[UK]") & (ep["PLACE_PROVIDER"] == "PR3")).any()


def test_fault_spec_parsing():
    assert parse_faults("overlap,invalid_code:0.05") == {"overlap": 0.01, "invalid_code": 0.05}
    assert set(parse_faults("all")) == set(FAULT_KINDS) - {"iso_dates"}
    from careflow.errors import CareflowError

    with pytest.raises(CareflowError, match="unknown fault kind 'nope'"):
        parse_faults("nope")
    with pytest.raises(CareflowError, match="must be in"):
        parse_faults("overlap:2")


def test_cli_synth_writes_years_and_reports_bad_options(tmp_path):
    r = CliRunner().invoke(main, ["synth", "--children-in-care", "80", "--first-year", "2023-24", "--years", "2",
                                  "--seed", "4", "--output", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["2024", "2025"]
    r = CliRunner().invoke(main, ["synth", "--output", str(tmp_path / "x"), "--faults", "bogus"])
    assert r.exit_code == 1 and "unknown fault kind 'bogus'" in r.output
    r = CliRunner().invoke(main, ["synth", "--output", str(tmp_path / "x"), "--first-year", "20x9"])
    assert r.exit_code == 1 and "not a financial year" in r.output


def test_placement_durations_close_to_england(large_la):
    """Placements ceasing in 2023-24: DfE 2024 median days (national_duration_of_placements_by_type_ceasing...):
    foster 174, secure and children's homes 263, supported accommodation 114, with parents 147, adoption 235.
    The synthetic medians are within 30% (the generator draws intended lengths; moves and exits cut them short)."""
    from careflow.synth.calibrate import placement_durations

    england = {"foster": 174, "homes": 263, "supported": 114, "parents": 147, "adoption": 235}
    sim = placement_durations(large_la.episodes, 2024)["median"]
    for group, median in england.items():
        assert abs(sim[group] / median - 1) < 0.30, (group, sim[group], median)


def test_reason_for_new_episode_matches_what_changed(small_returns):
    """RNE L: legal status changed, placement not (rule 434); P: placement changed, not legal status; T: both."""
    place_cols = ["PLACE", "PLACE_PROVIDER", "PL_POST", "URN"]
    for t in small_returns.values():
        e = t["episodes"]
        prev = e.groupby("CHILD").shift(1)
        cont = prev["DEC"].notna() & (prev["DEC"] == e["DECOM"]) & (prev["REC"] == "X1")
        ls_changed = e["LS"] != prev["LS"]
        place_changed = (e[place_cols] != prev[place_cols]).any(axis=1)
        rne = e["RNE"]
        has_prev = prev["DECOM"].notna()
        assert (rne[has_prev & ~cont] == "S").all() and (rne[has_prev & cont] != "S").all()
        assert (ls_changed & ~place_changed)[cont & (rne == "L")].all()
        assert (place_changed & ~ls_changed)[cont & (rne == "P")].all()
        assert (place_changed & ls_changed)[cont & rne.isin(["T", "B"])].all()
        # U: the same carer, only the placement code changes (H5/P2/Z1 recoded from 2025-26)
        same_carer = (e["PL_POST"] == prev["PL_POST"]) & (e["PLACE"] != prev["PLACE"])
        assert (same_carer & ~ls_changed)[cont & (rne == "U")].all()
        # the reason for a placement change sits on the episode that ends with the move
        moved_next = (e["RNE"].shift(-1).isin(["P", "T", "U", "B"])) & (e["REC"] == "X1")
        assert (e.loc[moved_next, "REASON_PLACE_CHANGE"] != "").all()
        assert (e.loc[e["REC"] != "X1", "REASON_PLACE_CHANGE"] == "").all()


def test_anyshire_is_a_mid_sized_la_2019_20_to_2024_25(tmp_path):
    from careflow.synth import anyshire

    out = anyshire(tmp_path / "anyshire")
    assert sorted(p.name for p in out.iterdir()) == ["2020", "2021", "2022", "2023", "2024", "2025"]
    ep = pd.read_csv(out / "2020" / "episodes.csv", dtype=str, keep_default_na=False)
    open_1_april = ((_dates(ep["DECOM"]) <= pd.Timestamp(2019, 4, 1))
                    & (_dates(ep["DEC"]).isna() | (_dates(ep["DEC"]) > pd.Timestamp(2019, 4, 1))))
    assert 340 <= open_1_april.sum() <= 460


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(children=st.integers(5, 150), first_year=st.integers(2012, 2027), years=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_for_any_size_year_and_seed(children, first_year, years, seed):
    """Whatever the size, years and seed: the invariants a validator checks hold in every return."""
    returns = returns_from(synthesize(children, first_year, years, np.random.default_rng(seed)))
    assert sorted(returns) == list(range(first_year, first_year + years))
    test_episodes_do_not_overlap_and_end_after_they_start(returns)
    test_nobody_in_care_past_18_and_every_child_has_a_header(returns)
    test_reason_for_new_episode_matches_what_changed(returns)
    for year, t in returns.items():
        e = t["episodes"]
        assert set(e["RNE"]) <= RNE and set(e["LS"]) <= LS and set(e["CIN"]) <= CIN
        assert ((e["DEC"] == "") == (e["REC"] == "")).all()
        # H5, P2 and Z1 end with 2024-25 (Z11 begins in 2025-26); K3 begins in 2024-25; a Z1 placement open
        # on 1 April 2025 is recoded Z11 that day
        valid_place = (PLACE - ({"H5", "P2", "Z1"} if year >= 2026 else set()) - ({"K3"} if year < 2025 else set())
                       | ({"Z11"} if year >= 2026 else set()))
        recoded_z1 = (e["PLACE"] == "Z1") & (e["DEC"] == "01/04/2025")
        assert set(e.loc[~recoded_z1, "PLACE"]) <= valid_place


def test_default_years_end_with_the_2024_25_return(tmp_path):
    r = CliRunner().invoke(main, ["synth", "--children-in-care", "30", "--years", "3", "--output", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["2023", "2024", "2025"]
