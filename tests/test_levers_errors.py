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


def _all_levers():
    from careflow.levers.schema import LeverBase

    out, todo = [], [LeverBase]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if "type" in cls.model_fields:
            out.append(cls)
    return out


@pytest.mark.parametrize("cls", _all_levers(), ids=lambda c: c.__name__)
def test_every_lever_with_a_category_list_or_age_bands_declares_them(cls):
    """The engine checks a lever's listed categories and age bands against the model through the typed
    LeverBase methods (docs/decisions/0005), not by looking for fields: a lever with the field must answer."""
    from careflow.levers.schema import LeverBase

    if "age_bands" in cls.model_fields:
        assert cls.age_bands_used is not LeverBase.age_bands_used
    if "categories" in cls.model_fields:
        assert cls.categories_listed is not LeverBase.categories_listed


@pytest.mark.parametrize("lever,field,words", [
    ("{type: reduce_entries, reduction: 5, start: 2025-04-01, age_bands: [10-16, 11-15]}", "levers.0.age_bands.1",
     "the model has no age band '11-15' (it has: 0-5, 5-10, 10-16, 16-18)"),
    ("{type: reduce_entries, reduction: 5, start: 2025-04-01, categories: [external_residential, secure]}",
     "levers.0.categories.1", "the model has no placement category 'secure'"),
    ("{type: unit_cost_change, percent: -3, start: 2025-04-01, categories: [secure]}", "levers.0.categories.0",
     "the model has no placement category 'secure'"),
    ("{type: step_down, from_category: external_residential, to_category: ifa_fostering, children_per_year: 1, "
     "start: 2025-04-01, age_bands: [0-4]}", "levers.0.age_bands.0", "the model has no age band '0-4'"),
])
def test_listed_categories_and_age_bands_are_checked_against_the_model(lever, field, words):
    from careflow.levers import evaluate
    from levers_standin import StandIn, stock

    scenario = Scenario.loads(f"name: x\nlevers:\n  - {lever}\n", file="x.yaml")
    model = StandIn(stock(ifa_fostering=10))  # its categories have no 'secure'; its bands 0-5, 5-10, 10-16, 16-18
    with pytest.raises(CareflowError) as err:
        evaluate(scenario, model, dict.fromkeys(model.categories, 1.0), runs=0)
    f = err.value.findings[0]
    assert f.field == field and words in f.message, f
