"""Case files: the shared format is accepted as written; malformed files name file, line and field.

One reader of case files (careflow.register.casefile) gives careflow's one model of a business case; these tests
read the financial view finance appraises (``load_finance_case``)."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from careflow.cli import main
from careflow.errors import CareflowError
from careflow.finance.case import FINANCIAL_KEYS
from careflow.fy import FinancialYear
from careflow.register import load_finance_case as load_case
from careflow.register import loads_finance_case as loads_case
from careflow.register.model import TEMPLATE_KEYS

BRIEF_EXAMPLE = """\
reference: BC2
title: Maximising Children's Social Care Effectiveness
units: £k
investment: {2016-17: 446, 2017-18: 1055, 2018-19: 200}
savings: {2017-18: 797, 2018-19: 1261, 2019-20: 1365, 2020-21: 1365}
savings_basis: cumulative
recurring: true
stated:
  payback_years: 1.72
  total_savings_years_1_to_5: 6153
  total_savings_years_1_to_10: 13978
  total_investment: 1701
"""


def test_brief_example_is_accepted_as_written():
    case = loads_case(BRIEF_EXAMPLE)
    fin = case.financials
    assert case.reference == "BC2" and fin.units == "£k" and fin.recurring
    assert fin.investment[FinancialYear(2017)] == 1055
    assert fin.start == FinancialYear(2016) and fin.last_stated_year == FinancialYear(2020)


def test_template_keys_are_read_by_the_one_business_case_model(tmp_path):
    """The template keys are the register's BusinessCase fields, checked whichever command reads the file (before
    one model, ``appraise`` took them without looking): a malformed milestone names its line."""
    from careflow.register import loads_case as load_business_case

    text = BRIEF_EXAMPLE + "risks:\n  - {title: staff not bought in, likelihood: medium}\n"
    case, _ = load_business_case(text)
    assert case.risks[0].likelihood == "medium" and case.financials["units"] == "£k"
    assert loads_case(text).financials == loads_case(BRIEF_EXAMPLE).financials
    assert not set(TEMPLATE_KEYS) & {"units", "investment", "savings"}
    assert "lines" in FINANCIAL_KEYS
    (f,) = _error(BRIEF_EXAMPLE + "milestones: [a, b]\n", tmp_path)[:1]
    assert f.row == 13 and f.field == "milestones.0", f


def _error(text: str, tmp_path: Path):
    f = tmp_path / "case.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(CareflowError) as exc:
        load_case(f)
    return exc.value.findings


@pytest.mark.parametrize("text, line, field, words", [
    (BRIEF_EXAMPLE.replace("2017-18: 1055", "2017-19: 1055"), 4, "investment.2017-19", "financial year"),
    (BRIEF_EXAMPLE.replace("2018-19: 1261", "2018-19: lots"), 5, "savings.2018-19", "expected a number"),
    (BRIEF_EXAMPLE.replace("2018-19: 1261", "2018-19: '£1,261'"), 5, "savings.2018-19", "expected a number"),
    (BRIEF_EXAMPLE.replace("units: £k\n", ""), 1, "units", "'units' is required"),
    (BRIEF_EXAMPLE + "budget_holder: Jo\n", 13, "budget_holder", "unknown key 'budget_holder'"),
    (BRIEF_EXAMPLE + "first_year: 2017-18\n", 4, "investment.2016-17", "before the case starts"),
    (BRIEF_EXAMPLE.replace("  total_investment: 1701", "  total_invest: 1701"), 12, "stated.total_invest",
     "unknown key"),
    (BRIEF_EXAMPLE.replace("units: £k", "units: GBP"), 3, "units", "'£'"),
    (BRIEF_EXAMPLE.replace("savings_basis: cumulative", "savings_basis: running"), 6, "savings_basis",
     "cumulative"),
    (BRIEF_EXAMPLE.replace("2018-19: 200}", "2018-19: -200}"), 4, "investment.2018-19", "positive"),
])
def test_malformed_case_names_file_line_and_field(tmp_path, text, line, field, words):
    findings = _error(text, tmp_path)
    f = findings[0]
    assert f.file.endswith("case.yaml") and f.row == line and f.field == field, f
    assert words in f.message, f.message


def test_savings_before_the_stated_first_year_is_an_error(tmp_path):
    text = BRIEF_EXAMPLE.replace("investment: {2016-17: 446,", "first_year: 2017-18\ninvestment: {") \
        .replace("savings: {2017-18", "savings: {2016-17: 5, 2017-18")
    findings = _error(text, tmp_path)
    assert any(f.field == "savings.2016-17" and "before the case starts" in f.message for f in findings)


def test_cli_exits_1_with_the_finding_and_no_traceback(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(BRIEF_EXAMPLE.replace("2018-19: 1261", "2018-19: lots"), encoding="utf-8")
    result = CliRunner().invoke(main, ["appraise", str(f)])
    assert result.exit_code == 1
    assert "bad.yaml" in result.output and "row 5" in result.output and "savings.2018-19" in result.output
    assert "Traceback" not in result.output


def test_every_example_case_loads():
    from careflow.register import load_finance_cases as load_cases

    root = Path(__file__).resolve().parents[1] / "examples" / "cases"
    cases, without = load_cases([root])
    assert len(cases) >= 18 and all(c.reference for c in cases)
    # the Cambridgeshire proposals whose figures are in "an accompanying financial report" (not in the seeds);
    # A/R.6.255 takes its savings from a scenario (tests/test_scenario_case.py)
    assert sorted(f.message.split()[1] for f in without) == [
        "A/R.6.213", "A/R.6.214", "A/R.6.253", "A/R.6.254", "A/R.6.258"]


def test_a_case_without_figures_cannot_be_appraised(tmp_path):
    f = tmp_path / "draft.yaml"
    f.write_text("reference: X1\ntitle: A draft\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["appraise", str(f)])
    assert result.exit_code == 1 and "states no financial figures" in result.output
    r = CliRunner().invoke(main, ["portfolio", str(tmp_path)])
    assert "X1 states no financial figures" in r.output


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_values = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=8), st.booleans(),
                    st.none(), st.lists(st.integers(), max_size=3))
_keys = st.sampled_from(["units", "investment", "savings", "savings_basis", "recurring", "ongoing_costs",
                         "lines", "stated", "appraisal", "first_year", "rag", "saving_type", "bogus", "2017-18"])


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(_keys, st.one_of(_values, st.dictionaries(st.sampled_from(
    ["2017-18", "2018/19", "17-18", "2017", "x", "name", "payback_years"]), _values, max_size=3)), max_size=6))
def test_fuzzed_case_files_give_findings_never_a_crash(data):
    import yaml

    from careflow.finance.appraisal import appraise

    text = "reference: F\n" + yaml.safe_dump(data, allow_unicode=True)
    try:
        case = loads_case(text, file="fuzz.yaml")
    except CareflowError as exc:
        assert all(f.file == "fuzz.yaml" for f in exc.findings)
        return
    appraise(case)


def test_financials_round_trip_through_json_for_the_register():
    from careflow.finance.case import CaseFinancials

    fin = load_case(Path(__file__).resolve().parents[1] / "examples" / "cases" / "hf_bc2.yaml").financials
    data = fin.model_dump(mode="json", exclude_none=True)
    assert data["investment"] == {"2016-17": 446, "2017-18": 1055, "2018-19": 200}
    assert CaseFinancials.model_validate(data) == fin
