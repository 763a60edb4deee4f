"""The model on the shared sample SSDA903 returns (skipped without ../shared/data or the reader)."""

from __future__ import annotations

import numpy as np
import pytest

from careflow.model import fit, project
from careflow.model.backtest import actual_counts


@pytest.fixture(scope="module")
def sample(shared_data):
    from careflow import ssda903

    if not hasattr(ssda903, "load"):
        pytest.skip("careflow.ssda903.load is not available in this build")
    return ssda903.load(shared_data / "ssda903_samples" / "cs_demand_model_combined")


def test_sample_starting_stock_matches_the_episodes(sample):
    model = fit(sample)
    proj = project(model, months=12, runs=100, rng=np.random.default_rng(0))
    counted = actual_counts(sample.episodes, [model.data_end], model.categories)[0]
    np.testing.assert_array_equal(proj.start_stock.sum(axis=0), counted)
    assert np.all(np.isfinite(proj.stock_runs)) and proj.stock_runs.min() >= 0
    assert (proj.stock_table()["p10"] <= proj.stock_table()["p90"]).all()
