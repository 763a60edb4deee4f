"""Common random numbers in the Monte Carlo: a baseline and a scenario from the same seed differ run by run only
through the children the scenario touches, so a lever's run-by-run difference is its effect, not noise.

On a small synthetic LA (careflow.synth): moving ONE child once can change a run by at most that one child (the
other children keep their own random numbers), and cutting entries by 5% (each entrant kept by its own uniform)
can only remove baseline entrants, so no run's stock, entries or care-days go up in any category or month."""

from __future__ import annotations

import numpy as np
import pytest

from careflow.model import FlowChanges, Move, fit, project

RUNS, MONTHS, SEED = 60, 36, 11


class FirstMonth:
    def __init__(self, changes: FlowChanges):
        self._changes = changes

    def changes(self, step):
        return self._changes if step.index == 0 else FlowChanges()


class EveryMonth:
    def __init__(self, changes: FlowChanges):
        self._changes = changes

    def changes(self, step):
        return self._changes


@pytest.fixture(scope="module")
def small_la(tmp_path_factory):
    from careflow.ssda903 import load
    from careflow.synth import generate

    model = fit(load(generate(150, 2021, 4, 5, tmp_path_factory.mktemp("crn") / "la")))
    base = project(model, months=MONTHS, runs=RUNS, rng=np.random.default_rng(SEED))
    return model, base


def _scenario(model, adjustment):
    return project(model, months=MONTHS, runs=RUNS, rng=np.random.default_rng(SEED), adjustment=adjustment)


def test_moving_one_child_changes_each_run_by_at_most_that_child(small_la):
    model, base = small_la
    scen = _scenario(model, FirstMonth(FlowChanges(moves=[Move("ifa_fostering", "in_house_fostering", 1)])))
    # the same rates and entrants in every run (parameter draws and entries do not depend on the scenario)
    assert np.array_equal(scen.entries_runs, base.entries_runs)
    # every other child keeps its path, so the total stock differs by at most the one child at any month end ...
    d_stock = scen.stock_runs.sum(axis=(2, 3)) - base.stock_runs.sum(axis=(2, 3))
    assert np.abs(d_stock).max() <= 1
    # ... and the total care-days by at most the days of the horizon (one child in care throughout in one of the
    # two projections and not at all in the other); before common random numbers the sd alone was ~5,600 days
    horizon = base.days.sum()
    d_days = scen.care_days_runs.sum(axis=(1, 2)) - base.care_days_runs.sum(axis=(1, 2))
    assert np.abs(d_days).max() <= horizon
    # in the first month the moved child is in care on the first day: one child's month moves between categories
    d0 = scen.care_days_runs[:, 0] - base.care_days_runs[:, 0]
    ifa, inh = model.categories.index("ifa_fostering"), model.categories.index("in_house_fostering")
    assert (d0[:, ifa] <= 0).all() and (d0[:, ifa] >= -base.days[0]).all()
    assert (d0[:, inh] >= 0).all() and (d0[:, inh] <= base.days[0]).all()


@pytest.mark.parametrize("multiplier", [0.95, 1.2])
def test_entry_changes_only_remove_or_add_entrants(small_la, multiplier):
    model, base = small_la
    scen = _scenario(model, EveryMonth(FlowChanges(entry_multiplier=multiplier)))
    sign = 1 if multiplier < 1 else -1  # fewer entries: baseline >= scenario in every cell; more: the reverse
    for a, b in ((base.stock_runs, scen.stock_runs), (base.entries_runs, scen.entries_runs),
                 (base.care_days_runs, scen.care_days_runs)):
        assert (sign * (a.astype(float) - b) >= -1e-9).all()
    # and the cut is about the size asked for: 5% (or 20% more) of the baseline's entrants, within sampling error
    ratio = scen.entries_runs.sum() / base.entries_runs.sum()
    assert ratio == pytest.approx(multiplier, abs=0.02)
