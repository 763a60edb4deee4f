"""The business case model: status workflow, the RAG rule, case-file validation, YAML/Excel round trips."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careflow.errors import CareflowError
from careflow.register import BusinessCase, Rag, Status, TrackingEntry, can_move, dumps_case, loads_case, rag
from careflow.register import financials as fin
from careflow.register.workbook import read_workbook, write_workbook

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_workflow_allows_the_documented_moves_only():
    assert can_move(Status.DRAFT, Status.SUBMITTED)
    assert can_move(Status.SUBMITTED, Status.APPROVED)
    assert can_move(Status.APPROVED, Status.DELIVERING)
    assert can_move(Status.DELIVERING, Status.DELIVERED)
    assert can_move(Status.SUBMITTED, Status.DRAFT)  # returned for rework
    assert not can_move(Status.DRAFT, Status.APPROVED)  # no approval without submission
    assert not can_move(Status.DELIVERED, Status.DRAFT)
    assert not can_move(Status.DELIVERED, Status.WITHDRAWN)
    assert all(can_move(s, Status.WITHDRAWN) for s in Status if s not in (Status.DELIVERED, Status.WITHDRAWN))


@pytest.mark.parametrize(("planned", "forecast", "delivered", "expected"), [
    (100, 100, None, Rag.GREEN),
    (100, 90, None, Rag.AMBER),  # exactly 90% is amber
    (100, 89.9, None, Rag.RED),
    (100, 120, 80, Rag.RED),  # delivered beats forecast as evidence
    (100, None, 100, Rag.GREEN),
    (100, None, None, Rag.NOT_STARTED),
    (None, 50, 50, None),
    (750, 700, None, Rag.AMBER),  # Early Help: 700/750 = 93%
    (321, 250, None, Rag.RED),  # MST: 250/321 = 78%
])
def test_rag_rule(planned, forecast, delivered, expected):
    assert rag(planned, forecast, delivered) == expected


@given(planned=st.floats(1, 1e6), share=st.floats(0, 2), extra=st.floats(0, 1e5))
@settings(max_examples=50)
def test_rag_never_worsens_with_more_savings(planned, share, extra):
    order = [Rag.RED, Rag.AMBER, Rag.GREEN]
    a = rag(planned, planned * share, None)
    b = rag(planned, planned * share + extra, None)
    assert order.index(b) >= order.index(a)


def test_incremental_savings_become_cumulative_plans():
    # H&F BC2 as an MTFS states it: 797 then +464 then +104 a year = 797, 1,261, 1,365 against the baseline
    money = fin.validate({"units": "£k", "savings": {"2017/18": 797, "18/19": 464, "2019-20": 104},
                          "savings_basis": "incremental"})
    assert fin.planned_savings(money) == {"2017-18": 797, "2018-19": 1261, "2019-20": 1365}


def _errors(text: str) -> list:
    with pytest.raises(CareflowError) as exc:
        loads_case(text, "case.yaml")
    return exc.value.findings


def test_missing_reference_is_named():
    (f,) = _errors("title: no reference\n")
    assert f.rule == "case-reference" and f.file == "case.yaml"


def test_wrong_type_names_line_and_field():
    findings = _errors("reference: X\ntitle: T\nrisks:\n  - title: r\n    owner: [a, b]\n")
    assert [(f.row, f.field) for f in findings] == [(5, "risks.0.owner")]


def test_unknown_status_lists_the_statuses():
    (f,) = _errors("reference: X\nstatus: agreed\n")
    assert f.rule == "case-status" and f.row == 2 and "draft" in f.message


def test_unknown_key_and_bad_financials_reported_together():
    findings = _errors("reference: X\nsavingz: 1\nunits: £m\nsavings: {2019-20: lots}\n")
    assert {(f.row, f.field) for f in findings} == {(2, "savingz"), (3, "units"), (4, "savings.2019-20")}


def test_two_preferred_options_refused():
    (f,) = _errors("reference: X\noptions: [{title: A, preferred: true}, {title: B, preferred: true}]\n")
    assert "preferred" in f.message


def test_tracking_year_once():
    (f,) = _errors("reference: X\ntracking: [{year: 2019-20}, {year: 2019/20}]\n")
    assert "twice" in f.message


def _examples() -> list[Path]:
    return sorted(EXAMPLES.glob("cases/*.yaml"))


def test_every_cambridgeshire_proposal_is_an_example():
    from careflow.register import load_case

    refs = {load_case(p)[0].reference for p in _examples()}
    expected = {"A/R.6.213", "A/R.6.214", "A/R.6.253", "A/R.6.254", "A/R.6.255", "A/R.6.258", "A/R.6.259",
                "A/R.6.260", "A/R.6.261", "A/R.6.263", "A/R.6.264", "A/R.7.103", "Cambs Early Help 2020-21"}
    assert expected <= refs


def test_examples_carry_the_documents_figures():
    from careflow.register import load_case

    by_ref = {c.reference: c for c, _ in (load_case(p) for p in _examples())}
    # the stated amounts (£k): Early Years 200, traded services 151, schools intervention 100, term-time 30,
    # A&B income 50, MST 321 cashable (640 contract - 319 reinvested), Early Help 750
    got = {r: fin.planned_savings(by_ref[r].financials) for r in
           ("A/R.6.259", "A/R.6.260", "A/R.6.261", "A/R.6.263", "A/R.7.103", "A/R.6.264")}
    assert {r: sum(v.values()) for r, v in got.items()} == {"A/R.6.259": 200, "A/R.6.260": 151, "A/R.6.261": 100,
                                                           "A/R.6.263": 30, "A/R.7.103": 50, "A/R.6.264": 321}
    assert fin.planned_savings(by_ref["Cambs Early Help 2020-21"].financials) == {"2020-21": 750}
    assert 640 - 319 == 321
    assert [i.target for i in by_ref["A/R.6.255"].indicators[:5]] == [45, 12, 6, 43, 13]
    assert by_ref["A/R.6.253"].risks[0].title == "Reduction in number of foster placements available"
    assert by_ref["A/R.6.258"].financials.get("savings") is None  # the document gives no savings figure


@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.stem)
def test_example_round_trips_through_yaml_and_excel(path):
    from careflow.register import load_case

    case, _ = load_case(path)
    again, version = loads_case(dumps_case(case, 7))
    assert again == case and version == 7
    buf = io.BytesIO()
    write_workbook(case, buf, 7)
    buf.seek(0)
    xl, version = read_workbook(buf)
    assert xl == case and version == 7


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40) | st.none()


# Excel keeps 15 significant digits: amounts in pounds and pence (or £k to 3 places) survive exactly.
pence = st.integers(-10**9, 10**9).map(lambda p: p / 100)


@given(title=text, notes=text, positive=text, owner=text, savings=st.dictionaries(
    st.sampled_from(["2019-20", "2020-21", "2021-22"]), st.integers(-10_000, 10_000) | pence),
    likelihood=st.sampled_from([None, "Medium", 3]), forecast=st.none() | pence)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_generated_cases_round_trip(title, notes, positive, owner, savings, likelihood, forecast):
    case = BusinessCase.model_validate({
        "reference": "G/1", "title": title, "notes": notes, "community_impact": {"positive": positive},
        "risks": [{"title": "r", "owner": owner, "likelihood": likelihood}],
        "tracking": [TrackingEntry(year="2019-20", planned=1.0, forecast=forecast)],
        "financials": fin.validate({"units": "£k", "savings": savings}) if savings else {}})
    assert loads_case(dumps_case(case))[0] == case
    buf = io.BytesIO()
    write_workbook(case, buf)
    buf.seek(0)
    assert read_workbook(buf)[0] == case


def test_a_whole_number_measure_stays_as_written():
    """An indicator's baseline written 20 reads back 20 (a report prints "20", not "20.0"); 57.1 stays 57.1."""
    case, _ = loads_case("reference: M1\nindicators:\n  - {name: visits, baseline: 20, target: 57.1}\n")
    assert [(type(v), v) for v in (case.indicators[0].baseline, case.indicators[0].target)] == [
        (int, 20), (float, 57.1)]
