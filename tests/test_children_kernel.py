"""The compiled engine of baseline runs (``careflow.model._children``, each child followed alone) against the numpy
engine (``_Runs``, all children stepped a month at a time, also the engine of scenarios): the same runs, array for
array, on the kinds of model careflow fits. They must agree exactly: a scenario's runs (numpy engine) are compared
run by run with the baseline's (compiled engine), so any difference would be priced as the scenario's effect."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import careflow.model.project  # noqa: F401  (the module; careflow.model exports the function project)
from careflow.model import fit, project
from careflow.model.states import MAX_AGE_MONTHS
from episode_builder import random_episodes
from test_model import END, IFA

P = sys.modules["careflow.model.project"]
FIELDS = ("stock_runs", "care_days_runs", "entries_runs", "exits_runs", "capped_runs")


def test_the_compiled_engine_is_built():
    assert P._children is not None, "careflow.model._children is not compiled: reinstall careflow (pip install -e .)"


def both(monkeypatch, model, seed=7, **kw):
    out = {}
    for engine in ("steps", "children"):
        monkeypatch.setattr(P, "ENGINE", engine)
        out[engine] = project(model, END, rng=np.random.default_rng(seed), **kw)
    return out["steps"], out["children"]


def assert_same(a, b):
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape and x.dtype == y.dtype, name
        assert np.array_equal(x, y), f"{name}: {np.abs(x - y).max()} apart"


@pytest.mark.parametrize("duration,cuts", [(None, (1,)), ("care", (1,)), ("placement", (1,)), ("care", (1, 3, 6)),
                                           ("placement", (2, 12))])
@pytest.mark.parametrize("uncertainty", [True, False])
def test_both_engines_give_the_same_runs(monkeypatch, duration, cuts, uncertainty):
    m = fit(random_episodes(11, n=400), data_end=END, duration=duration, duration_months=cuts)
    # 230 runs: two blocks of runs (200 and 30), each with its own stream
    steps, children = both(monkeypatch, m, months=40, runs=230, parameter_uncertainty=uncertainty)
    assert steps.stock_runs.sum() > 0 and steps.exits_runs.sum() > 0 and steps.entries_runs.sum() > 0
    assert_same(steps, children)


def test_both_engines_agree_with_a_trend_and_a_given_stock(monkeypatch):
    m = fit(random_episodes(12, n=400), data_end=END, trend=True)
    stock = np.zeros((MAX_AGE_MONTHS, len(m.categories)))
    stock[MAX_AGE_MONTHS - 1, IFA] = 5  # leave at 18 in the first month
    stock[MAX_AGE_MONTHS - 13, IFA] = 5  # leave at 18 in month 12, if still in care
    stock[::7, :] += 1  # every band, every category
    steps, children = both(monkeypatch, m, months=24, runs=60, stock=stock, seed=3)
    adult = m.exit_groups.index("adulthood")
    assert steps.exits_runs[:, 0, :, adult].sum(axis=1).min() >= 5  # the five (and any other leaving so)
    assert_same(steps, children)


def test_the_compiled_runs_do_not_depend_on_threads(monkeypatch):
    m = fit(random_episodes(13, n=200), data_end=END)
    runs = {}
    for threads in (1, 2):
        monkeypatch.setattr(P, "MAX_THREADS", threads)
        runs[threads] = project(m, END, months=12, runs=450, rng=np.random.default_rng(1))
    assert_same(runs[1], runs[2])


@settings(max_examples=200, deadline=None)
@given(pmf=st.lists(st.integers(0, 5), min_size=1, max_size=40), u=st.lists(st.floats(0, 1, exclude_max=True),
                                                                          min_size=1, max_size=20))
def test_ages_at_entry_as_numpy_searchsorted(pmf, u):
    cdf = np.cumsum(np.array(pmf, dtype=float) + 1e-300) / (sum(pmf) + 1e-300 * len(pmf))
    cdf[-1] = 1.0
    u = np.array(u + [0.0] + list(cdf[:-1]))  # the ties: u equal to a cumulative share
    assert np.array_equal(P._children.ages_at_entry(cdf, u), np.searchsorted(cdf, u, side="left"))
