"""The public SSDA903 samples in both layouts give the same counts, and those counts match a hand count."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime

import pytest
from click.testing import CliRunner

from careflow.cli import main

pytestmark = pytest.mark.shared
YEARS = range(2017, 2022)  # file "2017" holds the return for 1 April 2017 - 31 March 2018


def _d(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise AssertionError(f"bad date in sample: {text}")


def hand_count_at_31_march(folder) -> dict[int, int]:
    """Independent count with the csv module: each (child, DECOM) episode from the latest return holding it; an
    episode left open is closed by the child's next episode, or (when no later return has it) on 1 April after
    its own return; an episode overlapping the next ends when the next starts; children on 31 March are those with a non-V3/V4 episode covering that day."""
    latest: dict[tuple[str, date], tuple[int, dict]] = {}
    for y in YEARS:
        with open(folder / f"{y}-episodes.csv", newline="") as fh:
            for row in csv.DictReader(fh):
                key = (row["CHILD"], _d(row["DECOM"]))
                if key not in latest or latest[key][0] <= y:
                    latest[key] = (y, row)
    by_child: dict[str, list] = {}
    for (child, decom), (y, row) in latest.items():
        by_child.setdefault(child, []).append((decom, y, row))
    spans = []  # (child, start, end or None, short_break)
    for child, eps in by_child.items():
        eps.sort(key=lambda e: e[0])
        for i, (decom, y, row) in enumerate(eps):
            end = _d(row["DEC"])
            if end is None and i + 1 < len(eps):
                end = eps[i + 1][0]
            elif end is None and y < max(YEARS):
                end = date(y + 1, 4, 1)
            if end is not None and i + 1 < len(eps):
                end = min(end, eps[i + 1][0])  # overlapping episodes (rule 501): the later one wins
            spans.append((child, decom, end, row["LS"] in ("V3", "V4")))
    counts = {}
    for y in YEARS:
        day = date(y + 1, 3, 31)
        counts[y] = len({c for c, s, e, sb in spans if not sb and s <= day and (e is None or e > day)})
    return counts


def _summary(path, *args) -> dict:
    res = CliRunner().invoke(main, ["summary", str(path), "--format", "json", *args])
    assert res.exit_code == 0, res.output
    return {y["year"]: y for y in json.loads(res.stdout)["years"]}


def _per_la(path) -> dict[str, dict]:
    res = CliRunner().invoke(main, ["summary", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    out: dict[str, dict] = {}
    for y in json.loads(res.stdout)["years"]:
        out.setdefault(y["la"], {})[y["year"]] = y
    return out


def test_both_layouts_give_the_same_counts_and_match_a_hand_count(shared_data):
    """The stacked copy spreads the same children over three LAs: counted LA by LA, they add up to the
    return-layout counts (children are in one LA each)."""
    base = shared_data / "ssda903_samples"
    combined = _summary(base / "cs_demand_model_combined")
    stacked = _per_la(base / "cs_demand_model_regional_v1")
    assert list(stacked) == ["Bromley", "Hillingdon", "Southwark"]
    assert list(combined) == ["2017-18", "2018-19", "2019-20", "2020-21", "2021-22"]
    for label in combined:
        for key in ("at_31_march", "starts", "ceases"):
            assert combined[label][key] == sum(la[label][key] for la in stacked.values()), (label, key)
        for cat, n in combined[label]["by_category"].items():
            assert n == sum(la[label]["by_category"][cat] for la in stacked.values()), (label, cat)
    one = _summary(base / "cs_demand_model_regional_v1", "--la", "Southwark")
    assert {k: v["at_31_march"] for k, v in one.items()} == {k: v["at_31_march"]
                                                            for k, v in stacked["Southwark"].items()}
    hand = hand_count_at_31_march(base / "cs_demand_model_combined")
    assert {y: combined[f"{y}-{(y + 1) % 100:02d}"]["at_31_march"] for y in YEARS} == hand
    for y in combined.values():
        assert sum(y["by_category"].values()) == y["at_31_march"]


def test_open_episodes_in_last_return_match_the_31_march_count(shared_data):
    """In the latest return (2021-22) every child with a blank DEC, not on short breaks, is in care on
    31 March 2022, and no one else is: a plain reading of one file."""
    folder = shared_data / "ssda903_samples" / "cs_demand_model_combined"
    with open(folder / "2021-episodes.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    open_children = {r["CHILD"] for r in rows if not r["DEC"].strip() and r["LS"] not in ("V3", "V4")}
    covering = {r["CHILD"] for r in rows if r["DEC"].strip() and r["LS"] not in ("V3", "V4")
                and _d(r["DECOM"]) <= date(2022, 3, 31) < _d(r["DEC"])}
    assert _summary(folder)["2021-22"]["at_31_march"] == len(open_children | covering)


def test_validate_reads_both_layouts_and_reports_sample_errors(shared_data):
    base = shared_data / "ssda903_samples"
    for name in ("cs_demand_model_combined", "cs_demand_model_regional_v1"):
        res = CliRunner().invoke(main, ["validate", str(base / name), "--format", "json"])
        doc = json.loads(res.stdout)
        assert res.exit_code == 1  # the synthetic sample has open episodes with a REC (rule 148)
        assert doc["summary"]["children"] == 820
        assert doc["summary"]["years"] == ["2017-18", "2018-19", "2019-20", "2020-21", "2021-22"]
        rules = {i["rule"] for i in doc["issues"]}
        assert "148" in rules
        assert all(i["file"] and i["row"] for i in doc["issues"] if i["rule"] == "148")
