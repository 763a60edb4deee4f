"""Proper scores for backtests, by hand: CRPS of a set of runs and the P10-P90 interval score."""

from __future__ import annotations

import numpy as np
import pytest

from careflow.model.backtest import crps, interval_score


def test_crps_by_hand():
    # runs 0 and 2, actual 1: E|X - y| = 1, E|X - X'| = (0 + 2 + 2 + 0) / 4 = 1, CRPS = 1 - 1/2 = 0.5
    assert crps(np.array([0.0, 2.0]), 1.0) == pytest.approx(0.5)
    # one run is a point forecast: CRPS is its absolute error
    assert crps(np.array([7.0]), 3.0) == pytest.approx(4.0)
    # the same runs in any order
    assert crps(np.array([5.0, 1.0, 3.0]), 2.0) == pytest.approx(crps(np.array([1.0, 3.0, 5.0]), 2.0))


def test_crps_matches_the_pairwise_definition():
    rng = np.random.default_rng(4)
    x = rng.normal(100, 10, size=50)
    pairwise = np.mean(np.abs(x - 93.0)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :]))
    assert crps(x, 93.0) == pytest.approx(pairwise, rel=1e-12)


def test_crps_of_a_normal_sample_approaches_the_closed_form():
    # N(0, 1) against y = 0: CRPS = sigma * (2 phi(0) - 1 / sqrt(pi)) = 0.2337
    x = np.random.default_rng(0).normal(0, 1, size=20_000)
    assert crps(x, 0.0) == pytest.approx(2 / np.sqrt(2 * np.pi) - 1 / np.sqrt(np.pi), abs=0.005)


def test_interval_score_by_hand():
    assert interval_score(10, 20, 15) == 10  # inside: the width
    assert interval_score(10, 20, 25) == 10 + 10 * 5  # 5 above: width + 2/0.2 x 5
    assert interval_score(10, 20, 8) == 10 + 10 * 2
