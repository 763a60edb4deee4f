"""Register delivery tracking: indicators filled in from data (hand counts of tests/indicator_fixtures.py), risk
scores and the risk register across cases, milestones with status and dates, benefits profile; the H&F and
Haringey examples."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import indicator_fixtures
from careflow.cli import main
from careflow.errors import CareflowError
from careflow.register import (
    BusinessCase,
    Milestone,
    Register,
    Risk,
    benefits_profile,
    load_case,
    loads_case,
    refresh_indicators,
    risk_register,
)
from careflow.register.workbook import read_workbook, write_workbook
from careflow.ssda903 import load, summarise

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "examples" / "cases"

CASE = """
reference: T-1
title: Edge of care
units: £k
savings: {2021-22: 100, 2022-23: 150}
savings_basis: cumulative
risks:
  - {title: Recruitment, likelihood: High, impact: 4, owner: Head of service, review_date: 2022-01-31}
  - {title: Demand, likelihood: 2, impact: Low}
  - {title: Unrated}
milestones:
  - {phase: Piloting, planned: 2021-09-30, actual: 2021-10-15, status: complete}
  - {phase: Implementation, planned: 2022-03-31, status: in progress}
  - {phase: Review, planned: 2023-03-31, status: not started}
indicators:
  - name: Children looked after
    tier: 'Tier 3: Borough and Strategic level'
    source: indicators.at_31_march
    targets: {2021-22: 4}
    actuals: {2020-21: 7}
  - name: Rate per 10,000
    source: indicators.per_10000
  - name: Entries
    tier: 'Tier 2: Service level'
    source: indicators.starts
  - name: Still looked after
    source: cohort.in_care
    cohort: {children: kids.csv, start: 2021-05-15, months: [1, 3, 12]}
  - name: Left care
    source: cohort.left
    cohort: {children: kids.csv, start: 2021-05-15, months: [9]}
  - name: Family feedback
    tier: 'Tier 1: The Family Level'
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("track")
    indicator_fixtures.write(d)
    (d / "kids.csv").write_text("CHILD\nA\nB\nE\nG\nF\nZ\n", encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def case() -> BusinessCase:
    return loads_case(CASE)[0]


def test_risk_scores(case):
    assert [r.score for r in case.risks] == [16, 4, None]  # high 4 x 4; 2 x low 2; no ratings
    hf, _ = load_case(CASES / "hf_bc2.yaml")
    assert hf.risks[0].likelihood == "Medium" and hf.risks[0].score is None  # its impact is a sentence
    assert Risk(title="x", likelihood="very high", impact="5").score == 25
    assert Risk(title="x", likelihood=6, impact=1).score is None  # off the 1-5 scale


def test_risk_register_across_cases_sorted_by_score(case):
    other = BusinessCase(reference="T-2", risks=[Risk(title="Market", likelihood=5, impact=5),
                                                 Risk(title="Same score later review", likelihood=4, impact=4,
                                                      review_date="2023-01-01")])
    entries = risk_register([case, other])
    assert [(e.reference, e.title, e.score) for e in entries] == [
        ("T-2", "Market", 25), ("T-1", "Recruitment", 16), ("T-2", "Same score later review", 16),
        ("T-1", "Demand", 4), ("T-1", "Unrated", None)]
    assert entries[1].owner == "Head of service" and entries[1].overdue(dt.date(2022, 2, 1))
    assert not entries[1].overdue(dt.date(2022, 1, 31))


def test_milestones(case):
    pilot, impl, review = case.milestones
    assert pilot.late() and pilot.status.value == "complete"  # done 15 days after plan
    assert impl.late(dt.date(2022, 4, 1)) and not impl.late(dt.date(2022, 3, 31))
    assert not review.late(dt.date(2022, 4, 1))
    with pytest.raises(CareflowError, match="status"):
        loads_case("reference: X\nmilestones:\n  - {phase: Review, status: finished}\n")
    assert Milestone(phase="Review", planned="2022-01-01", status="cancelled").late(dt.date(2023, 1, 1)) is False


def test_bad_sources_are_clear_errors():
    with pytest.raises(CareflowError, match="source must be"):
        loads_case("reference: X\nindicators:\n  - {name: A, source: ssda903.count}\n")
    with pytest.raises(CareflowError, match="needs a cohort"):
        loads_case("reference: X\nindicators:\n  - {name: A, source: cohort.in_care}\n")


def test_refresh_fills_actuals_from_hand_counts(case, folder):
    data = load(folder)
    when = dt.datetime(2022, 5, 1, 9, 0, tzinfo=dt.UTC)
    new, messages = refresh_indicators(case, data, population={"2021-22": 10_000}, base_dir=folder, user="ana",
                                       data_label="fixture", now=when)
    ind = {i.name: i for i in new.indicators}
    assert ind["Children looked after"].actuals == {"2020-21": 7, "2021-22": 5}  # 2020-21 kept, 2021-22 from data
    assert ind["Rate per 10,000"].actuals == {"2021-22": 5.0}
    assert ind["Entries"].actuals == {"2021-22": 2}
    # cohort from 15 May 2021: 4 looked after on 15 June, 3 on 15 August; 15 May 2022 is after the data
    assert ind["Still looked after"].actuals == {"2021-06-15": 4, "2021-08-15": 3}
    assert ind["Left care"].actuals == {"2022-02-15": 2}  # G and E went home
    loaded = ind["Entries"].loaded
    assert (loaded.by, loaded.at, loaded.data_end) == ("ana", "2022-05-01T09:00:00+00:00", "2022-03-31")
    assert loaded.data == "fixture (2021-22 to 2021-22)"
    assert ind["Family feedback"].actuals == {} and ind["Family feedback"].loaded is None
    assert len(messages) == 5


def test_refresh_unknown_measure(case, folder):
    bad = case.model_copy(update={"indicators": [case.indicators[0].model_copy(update={"source": "indicators.x"})]})
    with pytest.raises(CareflowError, match="'Children looked after': no measure 'x'"):
        refresh_indicators(bad, load(folder), user="ana")


def test_benefits_profile(case):
    rows = benefits_profile(case)
    fin = [(r.period, r.planned) for r in rows if r.kind == "financial"]
    assert fin == [("2021-22", 100), ("2022-23", 150)]
    looked_after = [(r.period, r.planned, r.actual) for r in rows if r.name == "Children looked after"]
    assert looked_after == [("2020-21", None, 7), ("2021-22", 4, None)]


def test_round_trip_with_tracking_fields(case, folder):
    new, _ = refresh_indicators(case, load(folder), base_dir=folder, user="ana",
                                now=dt.datetime(2022, 5, 1, tzinfo=dt.UTC))
    buf = io.BytesIO()
    write_workbook(new, buf, 3)
    buf.seek(0)
    assert read_workbook(buf) == (new, 3)


def test_register_refresh_risks_benefits_cli(case, folder, tmp_path, monkeypatch):
    monkeypatch.setenv("CAREFLOW_USER", "tester")
    db = str(tmp_path / "reg.sqlite")
    (tmp_path / "t1.yaml").write_text(CASE, encoding="utf-8")

    def run(*args):
        return CliRunner().invoke(main, ["cases", "--database", db, *args])

    assert run("import", str(tmp_path / "t1.yaml"), str(CASES / "hf_bc2.yaml")).exit_code == 0
    r = run("refresh", "T-1", str(folder), "--population", "10000", "--cohort-dir", str(folder))
    assert r.exit_code == 0, r.output
    with Register(db) as reg:
        stored = reg.get("T-1")
        assert stored.version == 2
        assert reg.history("T-1")[-1].action == "refresh" and reg.history("T-1")[-1].user == "tester"
        assert {i.name: i.actuals for i in stored.case.indicators}["Entries"] == {"2021-22": 2}
    r = run("risks", "--format", "json")
    assert r.exit_code == 0, r.output
    risks = json.loads(r.output)["risks"]
    assert [(x["reference"], x["score"]) for x in risks[:2]] == [("T-1", 16), ("T-1", 4)]
    assert {x["reference"] for x in risks} == {"T-1", "BC2"}
    r = run("benefits", "T-1", "--format", "csv")
    assert r.exit_code == 0 and "non-financial,Entries,Tier 2: Service level,,2021-22,,,2" in r.output
    r = run("refresh", "T-1", str(folder))  # cohort file not found without --cohort-dir: exit 1, nothing written
    assert r.exit_code == 1 and "kids.csv" in r.output
    with Register(db) as reg:
        assert reg.get("T-1").version == 2


def test_hf_example_on_anyshire(tmp_path):
    from careflow.synth import anyshire

    data = load(anyshire(tmp_path / "anyshire"))
    hf, _ = load_case(CASES / "hf_bc2.yaml")
    bound = [i for i in hf.indicators if i.source]
    assert {i.source for i in bound} == {"indicators.at_31_march", "indicators.starts", "cohort.in_care",
                                         "indicators.residential_share"}
    new, _ = refresh_indicators(hf, data, base_dir=ROOT, user="demo")
    ind = {i.source: i for i in new.indicators if i.source}
    s = summarise(data)
    assert ind["indicators.at_31_march"].actuals == dict(zip(s["year"], s["at_31_march"].astype(float),
                                                             strict=True))
    cohort = ind["cohort.in_care"]
    assert list(cohort.actuals) == ["2023-07-01", "2023-10-01", "2024-04-01"]  # 3, 6, 12 months after 1 April 2023
    assert all(0 <= v <= 24 for v in cohort.actuals.values())  # 24 children in the cohort


def test_haringey_three_tiers():
    hgy, _ = load_case(CASES / "haringey_04_early_help.yaml")
    assert {i.tier for i in hgy.indicators if i.tier} == {
        "Tier 1: The Family Level", "Tier 2: Service level", "Tier 3: Borough and Strategic level"}


def test_milestone_command(case, tmp_path, monkeypatch):
    monkeypatch.setenv("CAREFLOW_USER", "pm")
    db = str(tmp_path / "reg.sqlite")
    (tmp_path / "t1.yaml").write_text(CASE, encoding="utf-8")

    def run(*args):
        return CliRunner().invoke(main, ["cases", "--database", db, *args])

    assert run("import", str(tmp_path / "t1.yaml"), str(CASES / "hf_bc2.yaml")).exit_code == 0
    r = run("milestone", "T-1", "implementation", "--status", "complete", "--actual", "2022-04-20")
    assert r.exit_code == 0, r.output
    assert "status complete, planned 2022-03-31, actual 2022-04-20 (late)" in r.output
    r = run("milestone", "BC2", "Review", "--status", "complete")  # H&F has two Review milestones
    assert r.exit_code == 1 and "more than one" in r.output and "3. Review (2018-19)" in r.output
    assert run("milestone", "BC2", "3", "--planned", "2019-03-31").exit_code == 0
    r = run("milestone", "T-1", "1", "--actual", "April 2022")
    assert r.exit_code == 1 and "YYYY-MM-DD" in r.output
    with Register(db) as reg:
        impl = reg.get("T-1").case.milestones[1]
        assert (impl.status.value, impl.actual) == ("complete", "2022-04-20")
        assert reg.get("BC2").case.milestones[2].planned == "2019-03-31"
        assert reg.history("T-1")[-1].action == "milestone" and reg.history("T-1")[-1].user == "pm"
