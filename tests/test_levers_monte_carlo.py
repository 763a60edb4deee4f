"""Flow levers on the real child-level model: the mean of the Monte Carlo runs prices the proposal.

Each lever type is priced deterministically (expected values) and by Monte Carlo runs with common random numbers;
the runs' mean must agree with the deterministic price up to Monte Carlo error (a tolerance of 4 standard errors of
the runs' mean, from the runs themselves) and the model's own nonlinearity (the allowance below, measured and
explained in docs/scenarios.md). Levers that hold a number of children against the baseline (sufficiency,
cap_growth with remove) hold it against each run's own baseline path, so N children means N in every run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from careflow.levers import Scenario, evaluate
from careflow.levers.flows import Combined, LeverContext, flow_adjustment
from careflow.model.adjust import NO_CHANGE

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "scenarios"
START = "2025-04-01"
# One-sided corrections: a lever moves children but never moves them back, so in a run whose children drift past
# its target (a child the baseline had taken out of the category comes back to it) the run keeps more than the
# target; the mean of runs then sits above the expected values. Measured on Anyshire at up to +2.7% (cap_growth
# with to_category, 1,000 runs, no parameter uncertainty) before the first-month clock fix and +3.1% (300 runs) after
# it (docs/scenarios.md); allowed: 3% of the price plus 4 standard errors.
NONLINEAR = 0.03

LEVERS = {
    "reduce_entries": dict(type="reduce_entries", reduction=20, start=START),
    "step_down_children": dict(type="step_down", from_category="external_residential", to_category="ifa_fostering",
                               children_per_year=6, start=START),
    "step_down_percent": dict(type="step_down", from_category="external_residential",
                              to_category="ifa_fostering", percent_per_year=20, start=START),
    "sufficiency": dict(type="sufficiency", add_category="in_house_fostering", displace_category="ifa_fostering",
                        placements=20, ramp_months=6, start=START),
    "permanence_exits": dict(type="permanence_exits", from_category="ifa_fostering", exit_group="sgo",
                             children_per_year=10, start=START),
    "cap_remove_to": dict(type="cap_growth", category="external_residential", remove=3,
                          to_category="ifa_fostering", start=START),
    "cap_remove_avoided": dict(type="cap_growth", category="external_residential", remove=3, start=START),
    "cap_level": dict(type="cap_growth", category="ifa_fostering", level=40, start=START),
}


@pytest.fixture(scope="module")
def anyshire_dir(tmp_path_factory):
    from careflow.synth import anyshire

    return anyshire(tmp_path_factory.mktemp("anyshire") / "data")


@pytest.fixture(scope="module")
def anyshire_model(anyshire_dir):
    from careflow.model import fit
    from careflow.ssda903 import load

    return fit(load(anyshire_dir))


def _projector(model, years: int, parameter_uncertainty: bool = True):
    from careflow.levers.model_projector import ModelProjector

    return ModelProjector(model, model.data_end, dt.date(model.data_end.year + years, 3, 31),
                          parameter_uncertainty=parameter_uncertainty)


def _pounds_by_year(result) -> tuple[list[str], np.ndarray]:
    """[run, financial year] pounds of the whole scenario."""
    fys, agg = result._by_fy(result.total)
    return [fy.label for fy in fys], agg[2]


@pytest.mark.parametrize("kind", sorted(LEVERS))
def test_mean_of_runs_is_the_deterministic_price(anyshire_model, kind):
    from careflow.costs import load_unit_costs

    # process uncertainty only: the runs' mean then converges on the expected values, and what is left is the
    # levers' own doing
    projector = _projector(anyshire_model, 2, parameter_uncertainty=False)
    costs = load_unit_costs(categories=projector.categories)
    scenario = Scenario.from_dict({"name": kind, "levers": [LEVERS[kind]]})
    det = evaluate(scenario, projector, costs, deterministic=True)
    runs = evaluate(scenario, projector, costs, runs=200, seed=4)
    labels, expected = _pounds_by_year(det)
    _, pounds = _pounds_by_year(runs)
    for f, fy in enumerate(labels):
        mean, se = pounds[:, f].mean(), pounds[:, f].std(ddof=1) / np.sqrt(len(pounds))
        assert abs(mean - expected[0, f]) <= 4 * se + NONLINEAR * abs(expected[0, f]) + 1.0, (fy, mean, expected)
    for d in runs.delivery:  # every lever here is deliverable on Anyshire
        assert d.share == pytest.approx(1.0), d.describe()


def test_cap_and_sufficiency_300_runs_within_20_percent_every_year(anyshire_model):
    """The issue's check, with the model's default (parameter uncertainty on): A/R.6.253's cap (3 of the projected
    residential additions held back) and A/R.6.255's sufficiency lever (43 in-house placements displacing IFA)."""
    from careflow.costs import load_unit_costs

    projector = _projector(anyshire_model, 3)
    costs = load_unit_costs(categories=projector.categories)
    cap = Scenario.load(EXAMPLES / "ar6253_residential.yaml")
    mix = Scenario.load(EXAMPLES / "ar6255_placement_mix.yaml")
    sufficiency = Scenario.from_dict({"name": "sufficiency", "levers": [
        mix.levers[0].model_dump(exclude_none=True)], "unit_costs": dict(mix.unit_costs)})
    for scenario in (cap, sufficiency):
        labels, expected = _pounds_by_year(evaluate(scenario, projector, costs, deterministic=True))
        _, pounds = _pounds_by_year(evaluate(scenario, projector, costs, runs=300, seed=1))
        for f, fy in enumerate(labels):
            gap = abs(pounds[:, f].mean() - expected[0, f])
            assert gap <= max(0.2 * abs(expected[0, f]), 60_000), (scenario.name, fy, gap)


def test_cap_growth_holds_back_n_placements_not_more(anyshire_model):
    """N placements cannot save more than N placements' days: the capped category's care-days saved average at
    most N a day in every month (runs hold exactly N at each month's start; a run holds more only when one of its
    baseline's children moved out of the category comes back to it, which the lever cannot undo), and A/R.6.253's
    saving is about 3 x (weekly residential - weekly IFA) x days a year, not the 2-4 times that the runs gave when
    the cap followed the expected baseline."""
    from careflow.costs import load_unit_costs
    from careflow.fy import FinancialYear

    projector = _projector(anyshire_model, 3)
    costs = load_unit_costs(categories=projector.categories)
    scenario = Scenario.load(EXAMPLES / "ar6253_residential.yaml")
    lever = scenario.levers[0]
    runs, seed = 100, 2
    expected = projector.project(NO_CHANGE, runs=1, seed=seed, deterministic=True)
    base = projector.project(NO_CHANGE, runs=runs, seed=seed, deterministic=False)
    ctx = LeverContext(projector.age_bands, projector.categories, base.month_starts, expected.stock_end[0],
                       base.stock_end)
    scen = projector.project(Combined([flow_adjustment(lever, ctx)]), runs=runs, seed=seed, deterministic=False)
    c = projector.categories.index(lever.category)
    days = np.array([(b - a).days + 1 for a, b in zip(base.month_starts, base.month_ends, strict=True)])
    per_day = (base.care_days[:, :, c] - scen.care_days[:, :, c]) / days[None, :]  # [run, month]
    se = per_day.std(axis=0, ddof=1) / np.sqrt(runs)
    assert np.all(per_day.mean(axis=0) <= lever.remove + 3 * se)
    held = base.stock_end[:, :, c] - scen.stock_end[:, :, c]
    assert np.mean(held > lever.remove) < 0.1  # run-months holding more than N: rare

    labels, pounds = _pounds_by_year(evaluate(scenario, projector, costs, runs=300, seed=1))
    for f, label in enumerate(labels):
        fy = FinancialYear.parse(label)
        gap = costs.weekly_cost(lever.category, fy) - costs.weekly_cost(lever.to_category, fy)
        bound = lever.remove * gap * fy.days / 7
        # the moved children follow IFA's rates afterwards, so they no longer make the onward moves residential
        # children make (to in-house residential and supported accommodation, dearer still): up to 5% over
        assert pounds[:, f].mean() <= 1.05 * bound, (label, pounds[:, f].mean(), bound)


def test_tiny_la_without_expected_additions_saves_nothing_by_cap(tmp_path):
    """On a tiny LA the baseline expects no additional residential placements, so `remove: 3` holds back none,
    in every run too (the runs used to 'save' £300k-£500k a year from the baseline's noise)."""
    from careflow.costs import load_unit_costs
    from careflow.model import fit
    from careflow.ssda903 import load
    from careflow.synth import generate

    model = fit(load(generate(40, 2021, 4, 7, tmp_path / "tiny")))
    projector = _projector(model, 2)
    scenario = Scenario.from_dict({"name": "cap", "levers": [LEVERS["cap_remove_to"]]})
    costs = load_unit_costs(categories=projector.categories)
    labels, expected = _pounds_by_year(evaluate(scenario, projector, costs, deterministic=True))
    result = evaluate(scenario, projector, costs, runs=100, seed=3)
    _, pounds = _pounds_by_year(result)
    assert np.allclose(expected, 0.0) and np.allclose(pounds, 0.0)
    assert result.delivery[0].asked == 0.0 and "asks for nothing" in result.delivery[0].describe()


def _cli(*args):
    from click.testing import CliRunner

    from careflow.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def test_scenario_refuses_a_start_years_after_the_data(anyshire_dir, tmp_path):
    from careflow.errors import CareflowError
    from careflow.pipeline import load_scenarios, price_scenario

    res = _cli("scenario", EXAMPLES / "ar6253_residential.yaml", "--data", anyshire_dir, "--start", "2040-03-31",
               "--deterministic", "--output", tmp_path / "out")
    assert res.exit_code == 1
    assert "the start (2040-03-31) is more than 31 days after the end of the data (2025-03-31)" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "out").exists()
    # the library refuses it too, not only the command
    with pytest.raises(CareflowError, match="more than 31 days after the end of the data"):
        price_scenario(load_scenarios([EXAMPLES / "ar6253_residential.yaml"]), anyshire_dir, deterministic=True,
                       start=dt.date(2025, 5, 2))


def test_undeliverable_lever_is_reported_with_the_share_delivered(anyshire_dir, tmp_path):
    import json

    f = tmp_path / "huge.yaml"
    f.write_text("name: impossible step-down\nlevers:\n  - type: step_down\n    from_category: external_residential\n"
                 "    to_category: ifa_fostering\n    children_per_year: 100000\n    start: 2025-04-01\n"
                 "  - type: permanence_exits\n    from_category: ifa_fostering\n    exit_group: sgo\n"
                 "    children_per_year: 12\n    start: 2025-04-01\n")
    out = tmp_path / "out"
    res = _cli("scenario", f, "--data", anyshire_dir, "--start", "2025-03-31", "--end", "2026-03-31", "--runs", 20,
               "--output", out)
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    by_lever = {d["lever"]: d for d in summary["delivery"]}
    step = by_lever["step_down"]
    # asked: 100,000 a year for 12 months; delivered: at most the ~30 children in external residential, and the
    # few who arrive there during the year
    assert step["asked"] == pytest.approx(100_000)
    assert 0 < step["delivered"] < 100 and step["short"]
    assert by_lever["permanence_exits"]["asked"] == pytest.approx(12)
    assert by_lever["permanence_exits"]["share"] == pytest.approx(1.0)
    assert not by_lever["permanence_exits"]["short"]
    assert "warning: lever step_down: delivered <0.1% of what it asks" in res.output
    assert "permanence_exits: delivered 100.0% of what it asks (12.0 of 12.0 children leaving care)" in res.output
    assert any(w.startswith("lever step_down") for w in summary["warnings"])


def test_workforce_lever_mean_of_runs_is_its_deterministic_price(anyshire_model):
    """The workforce lever follows the flow levers' change in children run by run (Haringey's example: entries
    down 5/15/25%, social workers follow at caseload 19 after 3 months, agency to 12.9%), so its mean of runs must
    agree with its deterministic price like every flow lever (same tolerance as above)."""
    from careflow.costs import load_unit_costs

    projector = _projector(anyshire_model, 3, parameter_uncertainty=False)
    costs = load_unit_costs(categories=projector.categories)
    scenario = Scenario.load(EXAMPLES / "haringey_workforce.yaml")
    name = next(lever.name for lever in scenario.levers if lever.type == "workforce")
    det = evaluate(scenario, projector, costs, deterministic=True)
    runs = evaluate(scenario, projector, costs, runs=200, seed=4)
    labels, expected = det._by_fy(det.by_lever[name])
    _, pounds = runs._by_fy(runs.by_lever[name])
    expected, pounds = expected[2], pounds[2]
    assert expected[0, -1] > 0  # staff do come off as demand falls
    for f, fy in enumerate(labels):
        mean, se = pounds[:, f].mean(), pounds[:, f].std(ddof=1) / np.sqrt(len(pounds))
        assert abs(mean - expected[0, f]) <= 4 * se + NONLINEAR * abs(expected[0, f]) + 1.0, (fy.label, mean,
                                                                                              expected[0, f])
