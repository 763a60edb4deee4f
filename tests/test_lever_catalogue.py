"""The lever catalogue (what the scenario builder shows) and building levers from form values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import BaseModel

from careflow.errors import CareflowError
from careflow.levers import LEVER_TYPES, Scenario
from careflow.levers.catalogue import (
    EXAMPLES,
    KINDS,
    TITLES,
    answers,
    form_values,
    lever_catalogue,
    lever_from_form,
)

EXAMPLE_SCENARIOS = sorted((Path(__file__).parents[1] / "examples" / "scenarios").glob("*.yaml"))

# One lever of each type the example scenarios lack, so every type goes through the form round trip.
EXTRA = """
name: every type
levers:
  - {type: unit_cost_change, start: 2025-04-01, categories: [ifa_fostering, secure], percent: -3}
  - {type: income, start: 2025-04-01, profile: {2025-26: 120000, 2026-27: 150000}}
  - {type: reduce_entries, start: 2025-04-01, reduction: {2025-26: 2, 2026-27: 5}, age_bands: ["10-16"]}
  - {type: cap_growth, start: 2025-04-01, category: external_residential, level: 30, to_category: ifa_fostering}
"""


def _every_lever():
    levers = [lv for f in EXAMPLE_SCENARIOS for lv in Scenario.load(f).levers]
    return levers + Scenario.loads(EXTRA).levers


def test_every_lever_type_is_in_the_catalogue_with_a_title_and_every_field_explained():
    specs = {s.type: s for s in lever_catalogue()}
    assert set(specs) == set(LEVER_TYPES) == set(TITLES)
    for kind, model in LEVER_TYPES.items():
        spec = specs[kind]
        assert spec.title and spec.summary.endswith(".")
        assert [f.name for f in spec.fields] == [n for n in model.model_fields if n != "type"]
        for f in spec.fields:
            assert f.kind in KINDS
            assert len(f.hint.split()) >= 4, f"{kind}.{f.name} has no plain-words explanation"
            for item in f.items:
                assert len(item.hint.split()) >= 4, f"{kind}.{f.name}.{item.name} has no explanation"
            if f.kind in ("items", "item"):
                assert f.items and f.example, f"{kind}.{f.name}: a list field needs its item fields and an example"
    assert specs["sufficiency"].flow and not specs["contract"].flow
    # required fields and defaults are the schema's
    assert specs["step_down"].field("from_category").required
    assert specs["contract"].field("reinvest").default == 0
    assert specs["workforce"].field("follow_demand").default is True
    assert specs["staffing"].field("basis").choices == (("establishment", "establishment"), ("in_post", "in post"))


def test_the_nested_models_fields_are_listed_for_the_item_fields():
    posts = next(s for s in lever_catalogue() if s.type == "staffing").field("posts")
    assert [i.name for i in posts.items][:4] == ["post", "fte_before", "fte_after", "in_post"]
    assert isinstance(LEVER_TYPES["staffing"].model_fields["posts"].annotation, type(list[BaseModel]))


def test_categories_offered_are_the_models_own():
    spec = next(s for s in lever_catalogue(categories=("fostering", "residential")) if s.type == "step_down")
    assert [v for v, _ in spec.field("from_category").choices] == ["fostering", "residential"]
    lever = lever_from_form("step_down", {"start": "2025-04-01", "from_category": "residential",
                                          "to_category": "fostering", "children_per_year": "4"},
                            categories=("fostering", "residential"))
    assert lever.to_category == "fostering"


@pytest.mark.parametrize("lever", _every_lever(), ids=lambda lv: f"{lv.type}:{lv.label()}")
def test_a_lever_comes_back_from_its_own_form_values(lever):
    assert lever_from_form(lever.type, form_values(lever)) == lever


def test_the_worked_examples_are_valid_and_read_as_written():
    moves = lever_from_form("close_provision", {"start": "2025-04-01", "annual_cost": "500000",
                                                "moves": EXAMPLES["moves"], "one_off": EXAMPLES["one_off"]})
    assert [(m.category, m.weekly_cost, m.children) for m in moves.moves] == [
        ("external_residential", 5000, 2), ("in_house_fostering", 500, 1)]
    assert moves.one_off[0].amount == 40000 and moves.one_off[0].date == dt.date(2025, 6, 30)
    staffing = lever_from_form("staffing", {"start": "2025-04-01", "posts": EXAMPLES["posts"]})
    assert [(p.post, p.fte_before, p.fte_after, p.agency_fte) for p in staffing.posts] == [
        ("Team manager", 4, 3, 0), ("Social worker", 20, 18, 2)]
    suff = lever_from_form("sufficiency", {"start": "2025-04-01", "add_category": "in_house_fostering",
                                           "displace_category": "ifa_fostering", "placements": "6",
                                           "recruitment": EXAMPLES["recruitment"]})
    assert suff.recruitment.enquiries_per_month == 12 and suff.recruitment.assessment_to_approval == 0.7


def test_form_values_as_typed_become_the_schemas_values():
    lever = lever_from_form("reduce_entries", {"start": "2025-04-01", "reduction": "5, 10, 15",
                                               "age_bands": ["0-1", "1-5"], "name": "Edge of care",
                                               "categories": []})
    assert lever.reduction == [5, 10, 15] and lever.age_bands == ["0-1", "1-5"] and lever.categories is None
    by_year = lever_from_form("reduce_entries", {"start": "2025-04-01", "reduction": "2025-26: 2\n2026-27: 5"})
    assert by_year.reduction == {"2025-26": 2, "2026-27": 5}
    assert lever_from_form("workforce", {"start": "2025-04-01", "caseload": "17", "agency_rate": "20",
                                         "agency_rate_after": "10", "follow_demand": "false"}).follow_demand is False
    assert dict(answers(lever))["Reduction"] == "5, 10, 15"


def _fields(exc: pytest.ExceptionInfo) -> dict[str | None, str]:
    return {f.field: f.message for f in exc.value.findings}


def test_errors_name_the_field_with_the_scenario_files_messages():
    with pytest.raises(CareflowError) as exc:
        lever_from_form("sufficiency", {"start": "2025-13-01", "add_category": "in_house_fostering",
                                        "displace_category": "ifa_fostering", "lag_months": "-1"})
    errors = _fields(exc)
    assert set(errors) == {"start", "placements", "lag_months"}
    assert errors["placements"] == "'placements' is required"
    # the same lever in a scenario file gets the same messages, on the same fields under levers.0
    with pytest.raises(CareflowError) as yaml_exc:
        Scenario.loads("levers:\n- {type: sufficiency, start: '2025-13-01', add_category: in_house_fostering, "
                       "displace_category: ifa_fostering, lag_months: -1}\n")
    assert {f.field: f.message for f in yaml_exc.value.findings} == {f"levers.0.{k}": v for k, v in errors.items()}


def test_a_rule_across_fields_and_an_item_error_are_reported():
    with pytest.raises(CareflowError) as exc:
        lever_from_form("step_down", {"start": "2025-04-01", "from_category": "secure", "to_category": "secure",
                                      "children_per_year": "2"})
    assert "from_category and to_category are the same" in _fields(exc)[None]
    with pytest.raises(CareflowError) as exc:
        lever_from_form("staffing", {"start": "2025-04-01", "posts": "- post: Manager\n  fte_before: 2\n  "
                                                                      "fte_after: 1\n"})
    assert _fields(exc) == {"posts.0.salary": "'salary' is required"}


@pytest.mark.parametrize("kind,field,value,expected", [
    ("reduce_entries", "reduction", "5, x", "'x' is not a number"),
    ("reduce_entries", "reduction", "150", "less than or equal to 100"),
    ("income", "profile", "just words", "One line per financial year"),
    ("income", "profile", "2025-26: [unclosed", "line 1"),
    ("staffing", "posts", "post: Manager", "one item per block"),
    ("contract", "annual_cost", "lots", "valid number"),
    ("nonsense", "start", "2025-04-01", "unknown lever type 'nonsense'"),
])
def test_bad_form_values_are_findings_on_their_field(kind, field, value, expected):
    with pytest.raises(CareflowError) as exc:
        lever_from_form(kind, {"start": "2025-04-01", field: value})
    msgs = [f.message for f in exc.value.findings if (f.field or "").split(".")[0] in (field, "type")]
    assert any(expected in m for m in msgs), exc.value.findings


def test_a_percentage_list_is_not_also_told_to_be_a_number():
    with pytest.raises(CareflowError) as exc:
        lever_from_form("reduce_entries", {"start": "2025-04-01", "reduction": "5, 150"})
    assert _fields(exc) == {"reduction.1": "Input should be less than or equal to 100"}


@pytest.mark.parametrize("path", EXAMPLE_SCENARIOS, ids=lambda p: p.stem)
def test_a_scenario_saved_as_yaml_reads_back_the_same(path):
    scenario = Scenario.load(path)
    again = Scenario.loads(scenario.to_yaml())
    assert (again.name, again.levers, again.unit_costs, again.horizon) == (
        scenario.name, scenario.levers, scenario.unit_costs, scenario.horizon)


def test_what_cannot_be_read_and_what_the_schema_refuses_are_reported_together():
    with pytest.raises(CareflowError) as exc:
        lever_from_form("contract", {"start": "2025-13-01", "annual_cost": "lots", "one_off": "not a list"})
    errors = _fields(exc)
    assert set(errors) == {"one_off", "start", "annual_cost"}
    assert errors["one_off"].startswith("cannot be read")
    assert "valid number" in errors["annual_cost"]
