"""How reports read a case: finance's line form, the register's forms, and dates as council papers write them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careflow.reports.case_view import (
    INVESTMENT,
    ONGOING,
    SAVING,
    as_mapping,
    case_lines,
    community_impact_of,
    options_of,
    parse_when,
    scope_of,
    timeline_rows,
)


def test_finance_lines_split_into_one_row_per_flow():
    case = {"lines": [
        {"name": "H", "title": "Placement Commissioning", "investment": {"2017-18": 100},
         "savings": {"2018-19": 100, "2019-20": 100}},
        {"name": "Ongoing costs", "title": "Ongoing costs - Family Assist", "ongoing_costs": {"2018/19": 350}},
        {"name": "C", "title": "Relationships break (no costs of its own)"}]}
    lines = case_lines(case)
    assert [(ln.name, ln.kind, ln.values) for ln in lines] == [
        ("H: Placement Commissioning", INVESTMENT, {"2017-18": 100.0}),
        ("H: Placement Commissioning", SAVING, {"2018-19": 100.0, "2019-20": 100.0}),
        ("Ongoing costs - Family Assist", ONGOING, {"2018-19": 350.0})]


def test_register_forms_of_options_scope_and_impact():
    case = {"options": {"study": "Yes", "considered": [{"title": "A", "preferred": True}]},
            "scope": {"within": ["LAC"], "outside": ["Early help"]},
            "community_impact": {"affected": "Children in care"}}
    assert options_of(case) == ("Yes", [{"title": "A", "preferred": True}])
    assert scope_of(case) == (["LAC"], ["Early help"])
    assert community_impact_of(case)["affected"] == "Children in care"
    assert scope_of({"scope": {"in": ["x"], "out": ["y"]}}) == (["x"], ["y"])
    assert community_impact_of({"community_impact": {"who": "staff"}})["affected"] == "staff"


def test_register_business_case_financials_are_merged_back():
    from careflow.register import loads_case

    case, _ = loads_case("reference: R1\ntitle: T\nunits: £k\nsavings: {2025-26: 5}\n")
    m = as_mapping(case)
    assert m["units"] == "£k" and m["savings"] == {"2025-26": 5} and m["reference"] == "R1"


def test_only_a_business_case_or_its_mapping_is_a_case():
    from careflow.register import loads_finance_case

    with pytest.raises(TypeError, match="not a business case: Case"):
        as_mapping(loads_finance_case("reference: R1\nunits: £k\nsavings: {2025-26: 5}\n"))


def test_dates_as_council_papers_write_them():
    assert parse_when("September 2016") == dt.date(2016, 9, 1)
    assert parse_when("Sept 2016") == dt.date(2016, 9, 1)
    assert parse_when("Summer 2017") == dt.date(2017, 6, 1)
    assert parse_when("2018-19") == dt.date(2018, 4, 1)  # a financial year starts on 1 April
    assert parse_when("2018/19") == dt.date(2018, 4, 1)
    assert parse_when("2017-05-03") == dt.date(2017, 5, 3)
    assert parse_when("when funding allows") is None


def test_dated_milestones_run_to_the_next_one():
    rows = timeline_rows({"milestones": [
        {"phase": "Review", "date": "Summer 2017"},
        {"phase": "Scoping and planning", "date": "September 2016"},
        {"phase": "Review", "date": "2018-19"},
        {"phase": "Implementation", "date": "not yet known"}]})
    assert [(r["phase"], r["start"], r["end"]) for r in rows] == [
        ("Scoping and planning", dt.date(2016, 9, 1), dt.date(2017, 5, 31)),
        ("Review", dt.date(2017, 6, 1), dt.date(2018, 3, 31)),
        ("Review", dt.date(2018, 4, 1), dt.date(2018, 5, 1))]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_parse_when_never_raises(text):
    result = parse_when(text)
    assert result is None or isinstance(result, dt.date)


def test_overview_names_the_council_sponsor_and_accountable_director():
    from pathlib import Path

    from careflow import yamlio
    from careflow.reports.case_view import overview_rows

    case = yamlio.load(Path(__file__).resolve().parents[1] / "examples" / "cases" / "hf_bc2.yaml").data
    rows = dict(overview_rows(case))
    assert rows["Authority"] == "London Borough of Hammersmith & Fulham"
    assert rows["Sponsor"] == "Clare Chamberlin"  # appendix 1's sign-off: "Programme / Project Sponsor"
    assert rows["Accountable Director"] == "Steve Miley / Dave Mcnamara"
