"""Cross-document checks: the same figure stated in two places, parts against a stated total, a stated share
against its ratio. The seeds' own disagreements, found by hand (seeds 000, 001 and 003)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from careflow.cli import main
from careflow.errors import CareflowError
from careflow.finance import appraise
from careflow.register import load_finance_case as load_case
from careflow.register import loads_finance_case as loads_case

CASES = Path(__file__).resolve().parents[1] / "examples" / "cases"


def _wrong(name: str) -> dict[str, tuple[float, float]]:
    a = appraise(load_case(CASES / name))
    return {c.item.split(":")[0]: (c.stated, c.computed) for c in a.checks if not c.ok and c.field
            and c.field.startswith("cross_checks")}


def test_mst_figures_across_the_two_cambridgeshire_papers():
    checks = [c for c in appraise(load_case(CASES / "cambs_ar_6_264.yaml")).checks
              if (c.field or "").startswith("cross_checks")]
    got = sorted((c.stated, c.computed, c.ok) for c in checks)
    # £319K (financial section) is the first statement: £320K and £316K disagree with it; 321 + 216 + 100 = 637
    assert got == [(316, 319, False), (320, 319, False), (640, 637, False)]


def test_early_help_on_both_bases():
    a = appraise(load_case(CASES / "cambs_early_help.yaml"))
    by_item = {c.item.split(":")[0]: c for c in a.checks if (c.field or "").startswith("cross_checks")}
    posts = by_item["savings target met on budgeted posts (29 to 16 FTE)"]
    people = by_item["savings target met on staff actually in post (24 to 16 FTE)"]
    assert posts.ok and posts.computed == pytest.approx(13 * 41.6 + 216)  # £756,800 exceeds £750K
    assert not people.ok and people.computed == pytest.approx(8 * 41.6 + 216)  # £548,800
    assert people.stated - people.computed == pytest.approx(201.2)  # short by £201,200


def test_around_fifty_percent_is_41_and_runs_without_financial_figures():
    r = CliRunner().invoke(main, ["appraise", str(CASES / "cambs_ar_6_255.yaml"), "--format", "json"])
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    # A/R.6.255's savings come from its scenario (tests/test_scenario_case.py); it states no totals to check
    (check,) = data["checks"]
    assert check["stated"] == 50 and check["computed"] == pytest.approx(350 / 850 * 100)  # 41.2%
    assert not check["ok"]


def test_haringey_table_1_reconciles_with_table_3_but_not_with_its_own_text():
    a = appraise(load_case(CASES / "haringey_04_early_help.yaml"))
    cross = [c for c in a.checks if (c.field or "").startswith("cross_checks")]
    assert [c.ok for c in cross] == [True, True, True, True, False]
    assert (cross[-1].stated, cross[-1].computed) == (3500, 3570)  # "£3.5m" against Table 1's 3,570
    for name in ("haringey_01_early_years.yaml", "haringey_02_young_people.yaml"):
        assert appraise(load_case(CASES / name)).ok


@pytest.mark.parametrize(("body", "message"), [
    ("cross_checks: {item: x}\n", "must be a list"),
    ("cross_checks:\n  - {item: x, parts: [1, 2]}\n", "exactly one of"),
    ("cross_checks:\n  - {item: x, same: [{value: 1, where: a}]}\n", "exactly one of"),
    ("cross_checks:\n  - {item: x, percent: 50, numerator: 1, denominator: 0}\n", "exactly one of"),
    ("cross_checks:\n  - {item: x, same: [{value: one, where: a}, {value: 1, where: b}]}\n", "cross_checks.0.same"),
])
def test_malformed_cross_checks_are_clear_errors(body, message):
    with pytest.raises(CareflowError, match=message):
        loads_case("reference: X\nunits: £k\nsavings: {2025-26: 1}\n" + body)
