"""Editing a case one template section at a time from form values (careflow.register.sections), stored with the
register's versioned update: a stale edit is refused and the first edit kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from careflow.errors import CareflowError
from careflow.register import Register, StaleEditError, load_case
from careflow.register.sections import (
    BLANK_ROWS,
    SECTIONS,
    apply_section,
    form_values,
    line_items,
    new_case,
    parse_number,
    row_count,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "cases"


def _case(name: str):
    return load_case(EXAMPLES / name)[0]


def _fields(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {f.field: f.message for f in exc.value.findings}


@pytest.mark.parametrize("key", list(SECTIONS))
def test_every_section_round_trips_unchanged_on_every_example(key):
    # the form made from a case, sent back untouched, gives the same case: opening and saving changes nothing
    for path in sorted(EXAMPLES.glob("*.yaml")):
        case = load_case(path)[0]
        assert apply_section(case, key, form_values(case, key)) == case, (path.name, key)


def test_the_template_sections_the_issue_lists_are_all_editable():
    wanted = {"overview", "background", "options", "assumptions", "constraints", "scope", "dependencies",
              "financials", "benefits", "risks", "community_impact", "indicators", "milestones"}
    assert wanted <= set(SECTIONS)


def test_text_section_edit_changes_only_that_section():
    case = _case("cambs_ar_6_255.yaml")
    values = form_values(case, "assumptions") | {"assumptions": "  IFA at £850 a week; in-house at £350.\r\n"}
    edited = apply_section(case, "assumptions", values)
    assert edited.assumptions == "IFA at £850 a week; in-house at £350."
    assert edited.model_copy(update={"assumptions": case.assumptions}) == case
    # blank means "not stated"
    assert apply_section(case, "assumptions", {"assumptions": "   "}).assumptions is None


def test_lists_one_item_per_line():
    case = _case("cambs_ar_6_255.yaml")
    edited = apply_section(case, "scope", {"within": "- In-house fostering\n\nIFA placements\n", "outside": ""})
    assert edited.scope.within == ["In-house fostering", "IFA placements"] and edited.scope.outside == []
    edited = apply_section(case, "dependencies", {"dependencies": "Recruitment campaign\r\nLegal capacity"})
    assert edited.dependencies == ["Recruitment campaign", "Legal capacity"]


def test_risk_rows_add_remove_and_validate():
    case = _case("hf_bc2.yaml")
    values = form_values(case, "risks")
    n = len(case.risks)
    assert row_count(values, "risks") == n + BLANK_ROWS
    # clear the first risk (removed) and add one in the first blank row
    for f in SECTIONS["risks"].row_fields:
        values[f"risks-0-{f.name}"] = ""
    values |= {f"risks-{n}-title": "Carer recruitment slower than planned", f"risks-{n}-likelihood": "4",
               f"risks-{n}-impact": "high", f"risks-{n}-review_date": "2026-03-31"}
    edited = apply_section(case, "risks", values)
    assert [r.title for r in edited.risks] == [r.title for r in case.risks[1:]] + [
        "Carer recruitment slower than planned"]
    assert edited.risks[-1].score == 16  # 4 x high (4)
    # a row with text but no title, and an impossible date, are refused naming the fields
    values[f"risks-{n}-title"] = ""
    values[f"risks-{n}-review_date"] = "31/03/2026"
    with pytest.raises(CareflowError) as exc:
        apply_section(case, "risks", values)
    assert set(_fields(exc)) == {f"risks-{n}-title", f"risks-{n}-review_date"}  # every problem at once
    assert "YYYY-MM-DD" in _fields(exc)[f"risks-{n}-review_date"]


def test_indicator_rename_keeps_its_actuals_and_targets():
    case = _case("hf_bc2.yaml")
    i = next(k for k, ind in enumerate(case.indicators) if ind.actuals or ind.targets or ind.source)
    old = case.indicators[i]
    values = form_values(case, "indicators") | {f"indicators-{i}-name": "Renamed indicator",
                                                f"indicators-{i}-target": "1,200.5"}
    edited = apply_section(case, "indicators", values)
    new = edited.indicators[i]
    assert new.name == "Renamed indicator" and new.target == 1200.5
    assert (new.actuals, new.targets, new.source, new.cohort) == (old.actuals, old.targets, old.source, old.cohort)
    # two indicators with one name are refused
    other = (i + 1) % len(case.indicators)
    values[f"indicators-{other}-name"] = "Renamed indicator"
    with pytest.raises(CareflowError) as exc:
        apply_section(case, "indicators", values)
    assert any("own name" in m for m in _fields(exc).values())


def test_options_at_most_one_preferred():
    case = _case("cambs_ar_6_255.yaml")
    values = {"study": "Yes", "options-0-title": "Do nothing", "options-0-preferred": "yes",
              "options-1-title": "Recruit carers", "options-1-preferred": "yes"}
    with pytest.raises(CareflowError) as exc:
        apply_section(case, "options", values)
    assert "options-1-preferred" in _fields(exc)
    values["options-0-preferred"] = ""
    edited = apply_section(case, "options", values)
    assert [(o.title, o.preferred) for o in edited.options.considered] == [("Do nothing", False),
                                                                          ("Recruit carers", True)]


def test_milestone_status_and_dates():
    case = _case("hf_bc2.yaml")
    values = {"milestones-0-phase": "Implementation", "milestones-0-planned": "2026-09-30",
              "milestones-0-status": "in progress", "milestones-1-phase": "Review", "milestones-1-planned": "soon"}
    with pytest.raises(CareflowError) as exc:
        apply_section(case, "milestones", values)
    assert list(_fields(exc)) == ["milestones-1-planned"]
    values["milestones-1-planned"] = "2027-03-31"
    edited = apply_section(case, "milestones", values)
    assert [(m.phase, m.status.value if m.status else None) for m in edited.milestones] == [
        ("Implementation", "in progress"), ("Review", None)]


def test_cost_and_savings_table_feeds_the_appraisal_figures():
    # A/R.6.258 states no figures ("see accompanying financial report"): enter A/R.6.264's MST figures by hand
    case = _case("cambs_ar_6_258.yaml")
    assert case.financials == {}
    values = {"units": "£k", "first_year": "", "savings_basis": "cumulative", "recurring": "yes",
              "saving_type": "cashable", "years-0-year": "2019/20", "years-0-savings": "321",
              "years-1-year": "2020-21", "years-1-savings": "£1,000.5", "years-1-investment": "50"}
    edited = apply_section(case, "financials", values)
    assert edited.financials["savings"] == {"2019-20": 321.0, "2020-21": 1000.5}
    assert edited.financials["investment"] == {"2020-21": 50.0}
    from careflow.register import financials as fin

    assert fin.planned_savings(edited.financials) == {"2019-20": 321.0, "2020-21": 1000.5}
    # errors name the row and column
    bad = values | {"years-1-savings": "lots", "years-2-year": "2020-21", "years-2-savings": "1"}
    with pytest.raises(CareflowError) as exc:
        apply_section(case, "financials", bad)
    assert set(_fields(exc)) == {"years-1-savings", "years-2-year"}
    # a negative investment is refused by finance's own rule, reported on its cell
    with pytest.raises(CareflowError) as exc:
        apply_section(case, "financials", values | {"years-1-investment": "-50"})
    assert "years-1-investment" in _fields(exc)
    # clearing every figure gives a case without financials again
    blank = {k: v for k, v in values.items() if not k.startswith("years-")}
    assert apply_section(edited, "financials", blank).financials == {}


def test_blank_column_keeps_the_line_items():
    # BC2 states its savings in lines only; editing its investment row leaves the lines' savings in force
    case = _case("hf_bc2.yaml")
    assert "savings" in line_items(case) and "investment" not in line_items(case)
    from careflow.register import financials as fin

    values = form_values(case, "financials")
    assert all(not v for k, v in values.items() if k.endswith("-savings"))
    values["years-0-investment"] = "500"  # was 446 (2016-17)
    edited = apply_section(case, "financials", values)
    assert edited.financials["investment"]["2016-17"] == 500.0
    assert edited.financials["lines"] == case.financials["lines"]
    assert fin.planned_savings(edited.financials) == fin.planned_savings(case.financials)  # 797, 1261, 1365 ...


def test_new_case_needs_reference_and_title():
    with pytest.raises(CareflowError) as exc:
        new_case({"reference": " ", "title": ""})
    assert set(_fields(exc)) == {"reference", "title"}
    case = new_case({"reference": " A/R.9.001 ", "title": "Step-down fostering", "authority": "Anyshire"})
    assert (case.reference, case.title, case.authority, case.status.value) == ("A/R.9.001", "Step-down fostering",
                                                                              "Anyshire", "draft")


def test_parse_number():
    assert parse_number("£1,250.5") == 1250.5 and parse_number("-300") == -300
    for bad in ("1.2.3", "ten", "", "1e400"):
        with pytest.raises(ValueError):
            parse_number(bad)


def test_two_edits_from_one_version_second_refused_first_kept(tmp_path):
    with Register(str(tmp_path / "r.sqlite"), user="a") as reg:
        reg.import_cases([load_case(EXAMPLES / "cambs_ar_6_255.yaml")])
        stored = reg.get("A/R.6.255")
        first = apply_section(stored.case, "assumptions", {"assumptions": "First editor's text"})
        second = apply_section(stored.case, "constraints", {"constraints": "Second editor's text"})
        assert reg.update(first, expected_version=stored.version, user="alice") == stored.version + 1
        with pytest.raises(StaleEditError) as exc:
            reg.update(second, expected_version=stored.version, user="bob")
        assert "alice" in exc.value.findings[0].message
        now = reg.get("A/R.6.255")
        assert now.version == stored.version + 1
        assert now.case.assumptions == "First editor's text" and now.case.constraints == stored.case.constraints
        assert [(e.user, e.field, e.new) for e in reg.history("A/R.6.255") if e.action == "update"] == [
            ("alice", "assumptions", "First editor's text")]


def test_tracking_form_read_into_numbers_and_recorded(tmp_path):
    from careflow.register.listing import delivery_table
    from careflow.register.model import Rag
    from careflow.register.sections import read_tracking, tracking_fields

    case = _case("hf_bc2.yaml")
    fields = {name: field for field, name in tracking_fields(case).items()}
    with pytest.raises(CareflowError) as exc:
        read_tracking(case, {"year": "", "forecast": "lots", fields[case.indicators[0].name]: "x"})
    assert set(_fields(exc)) == {"year", "forecast", fields[case.indicators[0].name]}
    with pytest.raises(CareflowError) as exc:
        read_tracking(case, {"year": "2017-18"})  # nothing to record
    assert "forecast" in _fields(exc)
    got = read_tracking(case, {"year": "2017/18", "forecast": "£720", "delivered": "",
                               fields["Increase in social worker time & capacity"]: "30"})
    assert (got.year, got.planned, got.forecast, got.delivered) == ("2017-18", None, 720.0, None)
    with Register(str(tmp_path / "r.sqlite")) as reg:
        reg.import_cases([(case, None)])
        reg.track("BC2", got.year, planned=got.planned, forecast=got.forecast, delivered=got.delivered,
                  indicators=got.indicators, expected_version=1)
        row = next(r for r in delivery_table(reg.get("BC2").case) if r.year == "2017-18")
        assert (row.planned, row.forecast, row.rag) == (797.0, 720.0, Rag.AMBER)  # 720 / 797 = 90.3%
