"""Cohort follow-up against a hand count from the raw return of tests/indicator_fixtures.py (children A-H there)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import indicator_fixtures
from careflow.cli import main
from careflow.errors import CareflowError
from careflow.indicators import follow, read_children
from careflow.ssda903 import load


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("cohort")
    indicator_fixtures.write(d)
    # A, B, G looked after on 15 May 2021; E enters on 1 June; F has short breaks only; Z is never looked after;
    # A twice (counted once).
    (d / "kids.csv").write_text("Child,Note\nA,x\nB,\nE,\nG,\nF,\nZ,\nA,again\n", encoding="utf-8")
    return d


def test_hand_count(folder):
    c = follow(load(folder), read_children(folder / "kids.csv"), "2021-05-15", months=(1, 3, 6, 9, 12))
    assert (c.children, c.in_data, c.in_care_at_start) == (6, 4, 3)  # F's short breaks are not care; Z absent
    assert c.by_category_at_start == {"in_house_fostering": 2, "external_residential": 1}  # A, G; B since 1 May
    p1 = c.point(1)  # 15 June: A, B, G, and E (IFA since 1 June)
    assert (p1.in_care, p1.left, p1.not_looked_after, p1.entered) == (4, {}, 2, 1)
    assert p1.by_category == {"in_house_fostering": 2, "ifa_fostering": 1, "external_residential": 1}
    p3 = c.point(3)  # 15 August: G went home on 30 June
    assert (p3.in_care, p3.left, p3.not_looked_after) == (3, {"return_home": 1}, 2)
    assert c.point(6).by_category == {"in_house_fostering": 1, "ifa_fostering": 2}  # B back in IFA on 1 October
    p9 = c.point(9)  # 15 February 2022: E went home on 1 December
    assert (p9.in_care, p9.left, p9.not_looked_after, p9.entered) == (2, {"return_home": 2}, 2, 1)
    p12 = c.point(12)  # 15 May 2022 is after the data (31 March 2022): unknown, not zero
    assert p12.in_care is None and "after the end of the data" in p12.note


def test_cli_json(folder):
    r = CliRunner().invoke(main, ["cohort", str(folder), "--children", str(folder / "kids.csv"), "--start",
                                  "2021-05-15", "--months", "3,6", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["children"] == 6
    assert [(s["months"], s["in_care"], s["left"]) for s in doc["status"]] == [
        (3, 3, {"return_home": 1}), (6, 3, {"return_home": 1})]
    assert doc["status"][0]["by_category"] == {"in_house_fostering": 1, "ifa_fostering": 1,
                                               "external_residential": 1}


def test_bad_inputs(folder, tmp_path):
    data = load(folder)
    (tmp_path / "no_child.csv").write_text("ID\nA\n", encoding="utf-8")
    with pytest.raises(CareflowError, match="no CHILD column"):
        read_children(tmp_path / "no_child.csv")
    (tmp_path / "blank.csv").write_text("CHILD,LA\nA,\n,x\n", encoding="utf-8")
    with pytest.raises(CareflowError) as exc:
        read_children(tmp_path / "blank.csv")
    assert exc.value.findings[0].row == 3
    with pytest.raises(CareflowError, match="outside the data"):
        follow(data, ["A"], "2030-01-01")
    r = CliRunner().invoke(main, ["cohort", str(folder), "--children", str(tmp_path / "no_child.csv"), "--start",
                                  "2021-05-15"])
    assert r.exit_code == 1 and "no CHILD column" in r.output
    r = CliRunner().invoke(main, ["cohort", str(folder), "--children", str(folder / "kids.csv"), "--start",
                                  "2021-05-15", "--months", "three"])
    assert r.exit_code == 2


def test_matched_comparison_on_anyshire(tmp_path):
    from careflow.synth import anyshire

    folder = anyshire(tmp_path / "anyshire")
    raw = pd.read_csv(folder / "2023" / "episodes.csv", dtype=str)
    kids = sorted(raw["CHILD"].unique())[:40]
    data = load(folder)
    a = follow(data, kids, "2022-06-30", compare=True, rng=np.random.default_rng(7))
    b = follow(data, kids, "2022-06-30", compare=True, rng=np.random.default_rng(7))
    assert a.to_dict() == b.to_dict()  # same seed, same comparison group
    comp = a.comparison
    assert comp.in_care_at_start + a.unmatched == a.in_care_at_start
    # matched on category at the start: the comparison never has more of a category than the cohort
    for cat, n in comp.by_category_at_start.items():
        assert n <= a.by_category_at_start[cat]
    assert comp.children == comp.in_care_at_start  # everyone drawn was looked after at the start
    assert comp.point(12).in_care is not None  # 30 June 2023 is inside the data
