"""One source for each domain word list (careflow.vocabulary): the copies in data files and docs agree with it, and
every exit group the docs offer runs in a permanence lever."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from careflow import vocabulary
from careflow.parameters import load_parameter
from episode_builder import random_episodes

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _documented_exit_groups() -> list[str]:
    row = next(line for line in (DOCS / "scenarios.md").read_text().splitlines()
               if line.startswith("| `permanence_exits`"))
    listed = re.search(r"`exit_group` \((.*?)\), `children_per_year`", row).group(1)
    return re.findall(r"`([a-z_]+)`", listed)


def test_docs_list_every_exit_group_and_alias_of_the_vocabulary():
    assert sorted(_documented_exit_groups()) == sorted([*vocabulary.EXIT_GROUPS, *vocabulary.EXIT_GROUP_ALIASES])


@pytest.fixture(scope="module")
def projector():
    from careflow.levers.model_projector import ModelProjector
    from careflow.model import fit

    model = fit(random_episodes(11, n=400))
    return ModelProjector(model, start=model.data_end, end=dt.date(2027, 3, 31))


def _permanence(group: str) -> dict:
    return {"name": f"exits by {group}", "levers": [
        {"type": "permanence_exits", "from_category": "ifa_fostering", "exit_group": group,
         "children_per_year": 6, "start": "2025-04-01"}]}


@pytest.mark.parametrize("group", _documented_exit_groups())
def test_every_documented_exit_group_runs_in_a_permanence_lever(projector, group):
    from careflow.levers import Scenario, evaluate

    scenario = Scenario.from_dict(_permanence(group))
    assert scenario.levers[0].exit_group == vocabulary.exit_group(group)  # an alias is stored as its group
    got = evaluate(scenario, projector, deterministic=True).difference().set_index(["lever", "financial_year"])
    # Every group removes the same children from IFA fostering; where they go changes only what follows: SGO,
    # child arrangements (cao, through its alias too) and adoption carry an allowance (permanence_allowances.yaml),
    # so they save less than a return home; the other groups save the same.
    from careflow.costs.allowances import ALLOWANCE_GROUPS

    home = evaluate(Scenario.from_dict(_permanence("return_home")), projector, deterministic=True).difference()
    mine = got.reset_index(drop=True)
    pd.testing.assert_series_equal(mine["children_mean"], home["children_mean"])
    if vocabulary.exit_group(group) in ALLOWANCE_GROUPS:
        assert (mine["pounds_mean"] < home["pounds_mean"]).all()
    else:
        pd.testing.assert_series_equal(mine["pounds_mean"], home["pounds_mean"])
    assert got.loc[("all", "2025-26"), "children_mean"] > 0 and got.loc[("all", "2025-26"), "pounds_mean"] > 0


def test_an_unknown_exit_group_names_the_groups():
    from careflow.errors import CareflowError
    from careflow.levers import Scenario

    with pytest.raises(CareflowError, match="child_arrangements \\(= cao\\)"):
        Scenario.from_dict(_permanence("residence_order"))


def test_data_files_and_modules_use_the_vocabulary():
    from careflow.model import DEFAULT_CATEGORIES, EXIT_GROUPS
    from careflow.ssda903 import codes
    from careflow.synth.params import ROUTES

    assert tuple(load_parameter("placement_categories").values) == vocabulary.PLACEMENT_CATEGORIES
    assert set(vocabulary.PLACEMENT_CATEGORIES) <= set(load_parameter("unit_costs").values)
    assert DEFAULT_CATEGORIES == vocabulary.PLACEMENT_CATEGORIES
    assert EXIT_GROUPS == tuple(vocabulary.EXIT_GROUPS)
    assert tuple(codes.EXIT_GROUPS) == tuple(vocabulary.EXIT_GROUPS)
    assert sorted(ROUTES) == sorted(vocabulary.EXIT_GROUPS)
    bands = load_parameter("age_bands").values
    assert [lo for lo, _ in bands.values()] + [list(bands.values())[-1][1]] == list(vocabulary.AGE_BAND_EDGES)


def test_financial_year_keys_accept_the_documented_forms_and_name_a_bad_key():
    assert vocabulary.financial_year_keys({"2025-26": 1, "2026/27": 2, "27/28": 3})
    with pytest.raises(ValueError, match="2025-2027"):
        vocabulary.financial_year_keys({"2025-2027": 1})
    with pytest.raises(ValueError, match="at least one"):
        vocabulary.financial_year_keys({})


def test_pricing_never_falls_back_to_zero(projector):
    # evaluate without unit costs prices with careflow's shipped ones; a category without a cost is an error
    from careflow.costs import load_unit_costs
    from careflow.errors import CareflowError
    from careflow.fy import FinancialYear
    from careflow.levers import FixedUnitCosts, Scenario, evaluate

    scenario = Scenario.from_dict(_permanence("sgo"))
    default = evaluate(scenario, projector, deterministic=True).difference()
    shipped = evaluate(scenario, projector, load_unit_costs(categories=projector.categories),
                       deterministic=True).difference()
    pd.testing.assert_frame_equal(default, shipped)
    assert (default["pounds_mean"] > 0).all()
    with pytest.raises(CareflowError, match="no weekly cost for category 'secure'"):
        FixedUnitCosts({"ifa_fostering": 900.0}).weekly_cost("secure", FinancialYear(2025))
    with pytest.raises(CareflowError, match="no weekly cost for category"):
        evaluate(scenario, projector, {"ifa_fostering": 900.0}, deterministic=True)


def test_a_result_is_read_by_metric_name(projector):
    from careflow.levers import Metric, Scenario, evaluate

    result = evaluate(Scenario.from_dict(_permanence("sgo")), projector, deterministic=True)
    df = result.difference().set_index(["lever", "financial_year"])
    months = [d.isoformat() for d in result.month_starts]
    first_year = [i for i, m in enumerate(months) if "2025-04-01" <= m < "2026-04-01"]
    pounds = result.metric("pounds")[0, first_year].sum()  # the year's pounds are the sum of its months
    assert pounds == pytest.approx(df.loc[("all", "2025-26"), "pounds_mean"])
    children = result.metric(Metric.CHILDREN, "permanence_exits")[0, first_year[-1]]  # at the year end
    assert children == pytest.approx(df.loc[("permanence_exits", "2025-26"), "children_mean"])
    with pytest.raises(KeyError, match="no lever named 'x'"):
        result.metric("pounds", "x")
