"""Savings levers as scenarios: price each kind of proposal against the forecast (DESIGN.md section 6).

    from careflow.levers import Scenario, evaluate
    sc = Scenario.load("examples/scenarios/ar6255_placement_mix.yaml")
    result = evaluate(sc, projector, unit_costs, runs=200, seed=1)
    result.difference()          # financial_year, lever, children_mean, care_days_mean, pounds_mean, p10, p90
    result.delivery              # per lever: children moved (or placement-months) asked vs delivered
    result.warnings()            # levers that fell short, model caps that bound

The file format is documented in docs/scenarios.md and ``careflow.levers.schema``.
"""

from careflow.levers.engine import DIFFERENCE_COLUMNS, Metric, ScenarioResult, evaluate
from careflow.levers.flows import Combined, Delivery, LeverContext, flow_adjustment
from careflow.levers.projector import FixedUnitCosts, Projected, Projector, WeeklyCosts
from careflow.levers.scenario import Scenario
from careflow.levers.schema import LEVER_TYPES

__all__ = ["DIFFERENCE_COLUMNS", "LEVER_TYPES", "Combined", "Delivery", "FixedUnitCosts", "LeverContext", "Metric",
           "Projected", "Projector", "Scenario", "ScenarioResult", "WeeklyCosts", "evaluate", "flow_adjustment"]
