"""A priced scenario attached to a business case (careflow.pipeline.attach_scenario, the web app's "Attach to a
business case"): the case's savings by financial year are the lever's priced saving, by hand-checkable figures."""

from __future__ import annotations

import textwrap

import pytest

from careflow import pipeline
from careflow.errors import CareflowError
from careflow.finance import appraise
from careflow.levers import Scenario, evaluate
from careflow.register import Register, finance_case, load_case, loads_case
from careflow.register.financials import planned_savings
from levers_standin import StandIn, stock

COSTS = {"in_house_fostering": 350.0, "ifa_fostering": 850.0, "external_residential": 4000.0,
         "in_house_residential": 3000.0, "other": 500.0}

# Two whole financial years (April 2025 to March 2027, 365 days each), no child leaving: 10 placements moved from
# IFA (£850 a week) to in-house fostering (£350) save 10 x £500 x 365 / 7 = £260,714.29 a year; a £640k contract
# ended with £319k reinvested saves £321,000 a year.
SCENARIO = """\
name: Foster carers and a contract
levers:
  - type: sufficiency
    name: In-house carers
    add_category: in_house_fostering
    displace_category: ifa_fostering
    placements: 10
    start: 2025-04-01
    ramp_months: 0
  - type: contract
    name: Residential contract
    annual_cost: 640000
    reinvest: 319000
    start: 2025-04-01
"""
CARERS = 10 * 500 * 365 / 7


@pytest.fixture(scope="module")
def result():
    scenario = Scenario.loads(textwrap.dedent(SCENARIO), file="carers.yaml")
    return evaluate(scenario, StandIn(stock(ifa_fostering=10), months=24), COSTS, deterministic=True)


def _case(extra: str = "") -> object:
    return loads_case("reference: T/1\ntitle: Test case\nstatus: draft\n" + extra)[0]


def test_the_cases_savings_are_the_levers_priced_saving_in_its_units(result):
    case = _case("units: £k\ninvestment: {2025-26: 50}\n")
    attached = pipeline.attach_scenario(case, result, "Residential contract", data="Anyshire", seed=0)
    money = attached.financials
    assert money["savings"] == {"2025-26": 321.0, "2026-27": 321.0}
    # deterministic: no range around the saving
    assert money["savings_p10"] == money["savings_p90"] == {"2025-26": 321.0, "2026-27": 321.0}
    assert money["investment"] == {"2025-26": 50}  # the case's other figures stay
    assert "lever 'Residential contract'" in money["savings_source"]
    assert "Foster carers and a contract" in money["savings_source"] and "Anyshire" in money["savings_source"]
    assert money["price_base"].startswith("cash prices")
    # what delivery tracking, the appraisal and the MTFS roll-up read
    assert planned_savings(money) == {"2025-26": 321.0, "2026-27": 321.0}
    assert appraise(finance_case(attached)).measures.total_savings_years_1_to_5 == pytest.approx(642.0)


def test_the_levers_together_and_a_case_in_pounds(result):
    attached = pipeline.attach_scenario(_case("units: £\nsavings: {2025-26: 1}\n"), result)
    assert attached.financials["savings"] == pytest.approx({"2025-26": CARERS + 321_000,
                                                            "2026-27": CARERS + 321_000})
    assert "the combined scenario" in attached.financials["savings_source"]
    carers = pipeline.attach_scenario(_case(), result, "In-house carers")  # no figures yet: £k
    assert carers.financials["units"] == "£k"
    assert carers.financials["savings"] == pytest.approx({"2025-26": 260.714286, "2026-27": 260.714286})


def test_a_case_that_took_another_runs_savings_takes_this_one(result):
    case, _ = load_case("examples/cases/cambs_ar_6_255.yaml")
    assert case.financials["savings_from"]
    attached = pipeline.attach_scenario(case, result, "Residential contract")
    assert "savings_from" not in attached.financials
    assert attached.financials["savings"] == {"2025-26": 321.0, "2026-27": 321.0}


def test_an_unknown_lever_or_a_saving_before_the_case_starts_is_refused(result):
    with pytest.raises(CareflowError, match="no lever 'nonesuch'"):
        pipeline.attach_scenario(_case(), result, "nonesuch")
    with pytest.raises(CareflowError, match="before the case starts"):
        pipeline.attach_scenario(_case("units: £k\nfirst_year: 2026-27\ninvestment: {2026-27: 5}\n"), result,
                                 "Residential contract")


def test_the_register_records_the_change_and_refuses_a_stale_one(result, tmp_path):
    from careflow.register import StaleEditError

    with Register(f"sqlite:///{tmp_path / 'r.sqlite'}") as reg:
        version = reg.add(_case(), user="ann")
        attached = pipeline.attach_scenario(reg.get("T/1").case, result, "Residential contract")
        assert reg.update(attached, expected_version=version, user="bob") == version + 1
        changes = {e.field: (e.user, e.new) for e in reg.history("T/1") if e.version == version + 1}
        assert changes["financials.savings.2025-26"] == ("bob", 321.0)
        with pytest.raises(StaleEditError):
            reg.update(attached, expected_version=version, user="bob")
