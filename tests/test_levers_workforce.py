"""The workforce lever against the stand-in projection: staff priced by hand (employee £50,000, agency £75,000)."""

from __future__ import annotations

import textwrap

import pytest

from careflow.errors import CareflowError
from careflow.levers import Scenario, evaluate
from levers_standin import StandIn, stock

COSTS = {"in_house_fostering": 350.0, "ifa_fostering": 850.0, "external_residential": 4000.0,
         "in_house_residential": 3000.0, "other": 500.0}
STAFF = "salary: 40000, on_costs: 0.25, agency_premium: 0.5"  # employee 50,000 and agency 75,000 a year
DAYS = [30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28, 31]  # April 2025 to March 2026: 365 days


def run(text: str, model: StandIn):
    sc = Scenario.loads(textwrap.dedent(text), file="s.yaml")
    return evaluate(sc, model, COSTS, deterministic=True)


def pounds(result, lever):
    df = result.difference()
    row = df[(df.lever == lever) & (df.financial_year == "2025-26")]
    return float(row.pounds_mean.iloc[0])


def test_agency_reduction_at_steady_demand():
    # 150 children at caseload 15: 10 FTE; agency 20% -> 5% from April: 1.5 agency FTE become employees.
    text = f"""\
    name: agency
    levers:
      - {{type: workforce, name: agency down, caseload: 15, agency_rate: 20, agency_rate_after: 5,
         follow_demand: false, start: 2025-04-01, {STAFF}}}
    """
    res = run(text, StandIn(stock(ifa_fostering=150)))
    assert pounds(res, "agency down") == pytest.approx(1.5 * (75000 - 50000))  # 37,500
    assert pounds(res, "all") == pytest.approx(37500)


def test_staff_follow_demand_agency_first():
    # 20 children at caseload 1 (so children = FTE), 25% agency: 5 agency, 15 employees. One SGO a month from
    # April: t + 1 fewer children at the end of month t. The first 5 FTE removed are agency, then employees.
    text = f"""\
    name: demand
    levers:
      - {{type: permanence_exits, from_category: ifa_fostering, exit_group: return_home, children_per_year: 12,
         start: 2025-04-01}}
      - {{type: workforce, name: staff, caseload: 1, agency_rate: 25, start: 2025-04-01, {STAFF}}}
    """
    res = run(text, StandIn(stock(ifa_fostering=20)))
    expected = 0.0
    for t, d in enumerate(DAYS):
        fewer = t + 1
        agency = min(fewer, 5)
        expected += (agency * 75000 + (fewer - agency) * 50000) * d / 365
    assert pounds(res, "staff") == pytest.approx(expected)
    # the placements lever keeps its own saving: 12 children's IFA care-days
    assert pounds(res, "permanence_exits") == pytest.approx(sum((t + 1) * d for t, d in enumerate(DAYS)) * 850 / 7)
    assert pounds(res, "all") == pytest.approx(expected + pounds(res, "permanence_exits"))


def test_lag_delays_the_staff_saving():
    text = f"""\
    name: lag
    levers:
      - {{type: permanence_exits, from_category: ifa_fostering, exit_group: sgo, children_per_year: 12,
         start: 2025-04-01}}
      - {{type: workforce, name: staff, caseload: 1, agency_rate: 0, lag_months: 3, start: 2025-04-01, {STAFF}}}
    """
    res = run(text, StandIn(stock(ifa_fostering=20)))
    # Month m pays for the children saved at the end of month m - 3: 1 in July, 2 in August ...
    expected = sum((m - 2) * 50000 * DAYS[m] / 365 for m in range(3, 12))
    assert pounds(res, "staff") == pytest.approx(expected)


def test_direct_time_twenty_to_forty():
    # 300 children at caseload 15: 20 FTE, no agency; direct time 20% -> 40% from October: 10 FTE fewer for the
    # 182 days October-March.
    text = f"""\
    name: direct time
    levers:
      - {{type: workforce, name: direct time, caseload: 15, agency_rate: 0, follow_demand: false,
         direct_time_before: 20, direct_time_after: 40, start: 2025-10-01, {STAFF}}}
    """
    res = run(text, StandIn(stock(ifa_fostering=300)))
    assert pounds(res, "direct time") == pytest.approx(10 * 50000 * 182 / 365)


def test_more_children_cost_staff_at_the_mix():
    # More staff are needed when direct time falls (40% -> 20% doubles the FTE needed).
    text = f"""\
    name: less direct time
    levers:
      - {{type: workforce, name: staff, caseload: 10, agency_rate: 20, follow_demand: false,
         direct_time_before: 40, direct_time_after: 20, start: 2025-04-01, {STAFF}}}
    """
    res = run(text, StandIn(stock(ifa_fostering=100)))
    # 10 FTE become 20; the 10 added are hired at the baseline mix: 8 employees and 2 agency.
    assert pounds(res, "staff") == pytest.approx(-(8 * 50000 + 2 * 75000))


def test_workforce_lever_errors_name_the_line():
    text = """\
    name: bad
    levers:
      - type: workforce
        caseload: 15
        agency_rate: 10
        direct_time_before: 20
        start: 2025-04-01
    """
    with pytest.raises(CareflowError) as exc:
        Scenario.loads(textwrap.dedent(text), file="bad.yaml")
    assert "direct_time_after" in str(exc.value) and "bad.yaml" in str(exc.value)
    with pytest.raises(CareflowError, match="caseload"):
        Scenario.loads("name: x\nlevers:\n  - {type: workforce, caseload: 0, agency_rate: 1, start: 2025-04-01}\n",
                       file="x.yaml")


def test_agency_reduction_starts_later_and_ramps():
    # 10 FTE, agency 20% -> 8% from January over 3 months: 16%, 12%, 8% in January, February, March.
    text = f"""\
    name: agency
    levers:
      - {{type: workforce, name: agency, caseload: 15, agency_rate: 20, agency_rate_after: 8,
         agency_start: 2026-01-01, agency_ramp_months: 3, follow_demand: false, start: 2025-04-01, {STAFF}}}
    """
    res = run(text, StandIn(stock(ifa_fostering=150)))
    converted = [0.4 * 31, 0.8 * 28, 1.2 * 31]  # agency FTE become employees x days
    assert pounds(res, "agency") == pytest.approx(sum(converted) * 25000 / 365)


# --- the worked examples ----------------------------------------------------------------------------------------

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples" / "scenarios"


def test_haringey_example_agency_reduction_by_hand():
    sc = Scenario.load(EXAMPLES / "haringey_workforce.yaml")
    # 190 children in care, no flows (entries are zero in the stand-in, so the entries lever saves no one):
    # caseload 19.0 -> 10 FTE, agency 28.8% -> 2.88 FTE. From April 2026 the agency rate falls to 12.9% over 24
    # months: in March 2028, the last month, 2.88 - 1.29 = 1.59 agency FTE have become employees.
    model = StandIn(stock(ifa_fostering=190), months=36)
    res = evaluate(sc, model, COSTS, deterministic=True)
    month = res.difference_by_month()
    staff = month[month.lever == "social workers follow demand, agency to a minimum"].pounds_mean.to_numpy()
    assert staff[:12] == pytest.approx([0.0] * 12, abs=1e-6)
    per_year = 1.59 * (81900 - 54600)  # agency - employee cost, shipped assumptions
    assert staff[-1] == pytest.approx(per_year * 31 / 366)  # March 2028; 2027-28 has 366 days


def test_hf_example_capacity_and_pilot_cost():
    sc = Scenario.load(EXAMPLES / "hf_direct_time.yaml")
    model = StandIn(stock(ifa_fostering=134), months=36)
    df = evaluate(sc, model, COSTS, deterministic=True).difference()

    def fy(lever, year):
        return float(df[(df.lever == lever) & (df.financial_year == year)].pounds_mean.iloc[0])

    # 134 children / 13.4 = 10 FTE, 11.3% agency; half are freed in 2027-28, agency first (1.13 agency FTE).
    freed = 1.13 * 81900 + (5 - 1.13) * 54600
    assert fy("direct time 20% to 40% (capacity freed)", "2027-28") == pytest.approx(freed)
    assert fy("Project A social work support officers (pilot)", "2025-26") == pytest.approx(-43000)


# --- foster carer recruitment -------------------------------------------------------------------------------------


def test_recruitment_pipeline_by_hand():
    from careflow.levers.recruitment import pipeline
    from careflow.levers.schema import Recruitment

    # 60 enquiries a month for 6 months: 6 assessments start a month from month 1, 4.2 approvals a month from
    # month 5 (1 + 4 months), one placement each.
    p = pipeline(Recruitment(enquiries_per_month=[60] * 6 + [0]), 14)
    assert list(p["assessments"][:8]) == pytest.approx([0, 6, 6, 6, 6, 6, 6, 0])
    assert list(p["approvals"][:12]) == pytest.approx([0, 0, 0, 0, 0, 4.2, 4.2, 4.2, 4.2, 4.2, 4.2, 0])
    assert p["placements_available"][-1] == pytest.approx(6 * 60 * 0.1 * 0.7)  # 25.2


def test_recruitment_defaults_are_the_parameter():
    from careflow.levers.schema import Recruitment
    from careflow.parameters import load_parameter

    p = load_parameter("foster_recruitment")
    r = Recruitment(enquiries_per_month=1)
    for key, dated in p.values.items():
        (value,) = dict(dated).values()
        assert getattr(r, key) == value, key


def test_sufficiency_placements_arrive_when_carers_are_approved():
    # 100 enquiries in April only: 10 assessments start in May, 7 carers are approved in September and take
    # 7 children from IFA (£850 -> £350 a week) from September to March (212 days); the lever asked for 10.
    text = """\
    name: carers
    levers:
      - type: sufficiency
        placements: 10
        add_category: in_house_fostering
        displace_category: ifa_fostering
        add_weekly_cost: 350
        displace_weekly_cost: 850
        start: 2025-04-01
        recruitment: {enquiries_per_month: [100, 0]}
    """
    res = run(text, StandIn(stock(ifa_fostering=50)))
    assert sum(DAYS[5:]) == 212
    assert pounds(res, "sufficiency") == pytest.approx(7 * 500 * 212 / 7)


def test_recruitment_with_a_fixed_ramp_is_refused():
    text = """\
    name: both
    levers:
      - {type: sufficiency, placements: 10, add_category: in_house_fostering, displace_category: ifa_fostering,
         start: 2025-04-01, lag_months: 5, recruitment: {enquiries_per_month: 10}}
    """
    with pytest.raises(CareflowError, match="lag_months"):
        Scenario.loads(textwrap.dedent(text), file="both.yaml")


def test_ar6255_recruitment_example_fills_by_approvals():
    sc = Scenario.load(EXAMPLES / "ar6255_recruitment.yaml")
    model = StandIn(stock(ifa_fostering=80), months=36)
    res = evaluate(sc, model, COSTS, deterministic=True)
    by_month = res.difference_by_month()
    lever = by_month[by_month.lever == "recruited in-house carers displace IFA"].pounds_mean.to_numpy()
    assert lever[:5] == pytest.approx([0] * 5, abs=1e-6)  # nothing before the first approvals in September
    # September 2025: 52 x 0.1 x 0.7 = 3.64 placements; by month 16 (August 2026) 12 months of approvals would
    # be 43.68, capped at 43: full from then on.
    assert lever[5] == pytest.approx(3.64 * 500 * 30 / 7)
    assert lever[20] == pytest.approx(43 * 500 * 31 / 7)  # December 2026
