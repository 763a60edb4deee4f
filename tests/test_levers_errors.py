"""Bad scenario files: a clear finding naming file, line and field; exit code 1 from the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from careflow.cli import main
from careflow.errors import CareflowError
from careflow.levers import Scenario

GOOD_LEVER = """\
name: bad
levers:
  - type: sufficiency
    add_category: in_house_fostering
    displace_category: ifa_fostering
    placements: 10
    start: 2025-04-01
"""


def findings(text: str):
    with pytest.raises(CareflowError) as exc:
        Scenario.loads(text, file="bad.yaml")
    return exc.value.findings


@pytest.mark.parametrize("old,new,line,field,words", [
    ("type: sufficiency", "type: sufficency", 3, "levers.0.type", "unknown lever type 'sufficency'"),
    ("ifa_fostering", "agency_fostering", 5, "levers.0.displace_category", "unknown placement category"),
    ("placements: 10", "placements: -3", 6, "levers.0.placements", "greater than or equal to 0"),
    ("placements: 10", "placments: 10", 6, "levers.0.placments", "unknown key 'placments'"),
    ("start: 2025-04-01", "start: 1900-04-01", 7, "levers.0.start", "out of range"),
    ("start: 2025-04-01", "start: 2025-13-01", 7, "levers.0.start", "date"),
    ("    start: 2025-04-01", "    start: 2025-04-01\n    end: 2024-04-01", 3, "levers.0", "before start"),
    ("    placements: 10\n", "", 3, "levers.0.placements", "'placements' is required"),
])
def test_bad_scenario_names_line_and_field(old, new, line, field, words):
    text = GOOD_LEVER.replace(old, new)
    assert text != GOOD_LEVER
    fs = [f for f in findings(text) if f.field == field]
    assert fs, findings(text)
    f = fs[0]
    assert f.file == "bad.yaml" and f.row == line, f
    assert words in f.message, f.message


def test_every_problem_is_reported_not_just_the_first():
    text = GOOD_LEVER + "  - {type: contract, annual_cost: 100, reinvest: 200, start: 2025-04-01}\n" \
                        "  - {type: closure, start: 2025-04-01}\nnmae: typo\n"
    fs = findings(text)
    assert [f.row for f in fs] == [10, 8, 9]
    assert "reinvest" in fs[1].message and "unknown lever type 'closure'" in fs[2].message


def test_not_a_mapping_and_not_yaml():
    assert "mapping" in findings("- a\n- b\n")[0].message
    assert findings("name: [x\n")[0].rule == "yaml-syntax"


def test_phasing_needs_financial_years():
    text = "name: x\nlevers:\n  - {type: reduce_entries, reduction: {2025-27: 5}, start: 2025-04-01}\n"
    f = findings(text)[0]
    assert f.row == 3 and f.field == "levers.0.reduction" and "financial year" in f.message


def test_cli_bad_file_exit_code_1(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD_LEVER.replace("placements: 10", "placements: -1"))
    res = CliRunner().invoke(main, ["scenario", str(path), "--data", str(tmp_path / "data"), "--output",
                                    str(tmp_path / "out")])
    assert res.exit_code == 1, res.output
    assert "row 6" in res.output and "levers.0.placements" in res.output
    assert "Traceback" not in res.output
