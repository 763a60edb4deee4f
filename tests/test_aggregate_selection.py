"""Nested rolling-origin model selection of the national forecast: by-hand scores, and no data after the origin."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from careflow.aggregate import build_panel, national_forecast
from careflow.aggregate.forecast import (
    CANDIDATES,
    DEFAULT,
    Candidate,
    History,
    candidate_forecasts,
    history,
    select_candidate,
)
from careflow.dfe import read_folder
from dfe_fixtures import rates_row, write_rates

LAST_NONE, LAST_LAST = Candidate("last", 0.0, "none"), Candidate("last", 0.0, "last")


def tiny_history(scored_rows=(0, 1)) -> History:
    # three LAs at origins 2019, 2020, 2021: 100 -> 110 -> 121, 50 -> 55 -> 66, 200 -> 180 -> 180
    stock = np.array([[100.0, 50, 200], [110, 55, 180], [121, 66, 180]])
    actual = np.full_like(stock, np.nan)
    actual[:2] = np.log(stock[1:] / stock[:2])
    scored = np.zeros_like(stock, dtype=bool)
    scored[list(scored_rows)] = True
    zero = np.zeros_like(stock)
    return History([2019, 2020, 2021], stock, {"last": zero, "momentum": zero, "flows": zero},
                   {b: [np.zeros(2)] * 3 for b in ("last", "momentum", "flows")}, np.ones(3, dtype=bool),
                   actual, scored)


def test_drift_last_is_last_years_median_log_change_by_hand():
    f = candidate_forecasts(tiny_history(), LAST_LAST)
    assert np.allclose(f[0], 0)  # no earlier error at the first origin: no drift
    # at 2020 the changes to 2020 were +10%, +10%, -10%: median +10%, so 110, 55, 180 -> 121, 60.5, 198
    assert np.allclose(np.exp(f[1]) * [110, 55, 180], [121, 60.5, 198])
    # at 2021 the changes to 2021 were +10%, +20%, 0%: median +10%
    assert math.isclose(np.exp(f[2][0]), 1.1)


def test_selection_scores_by_hand_and_lowest_wins():
    chosen, scores = select_candidate(tiny_history(), (LAST_NONE, LAST_LAST))
    # last value, no drift: APEs 10/110, 5/55, 20/180 (median 1/11) and 11/121, 11/66, 0 (median 1/11)
    # last value, last year's drift: as above at 2019; at 2020 forecasts 121, 60.5, 198 against 121, 66, 180,
    # APEs 0, 5.5/66 = 1/12, 18/180 = 1/10 (median 1/12); mean (1/11 + 1/12) / 2
    assert np.allclose(scores.mean_median_ape, [100 / 11, 100 * (1 / 11 + 1 / 12) / 2])
    assert list(scores.inner_origins) == [2, 2] and chosen == LAST_LAST


def test_too_few_inner_origins_keep_the_default():
    chosen, scores = select_candidate(tiny_history(scored_rows=(1,)), (LAST_NONE, LAST_LAST))
    assert chosen == DEFAULT and list(scores.inner_origins) == [1, 1]


def growth_folder(root, factor=2, n=30, years=range(2014, 2022), gap=None):
    """n LAs whose stock is multiplied by ``factor`` every year, flows consistent; ``gap`` drops one year's stock."""
    rows = []
    for i in range(n):
        code = str(700 + i)
        for k, y in enumerate(years):
            s = (5 + i) * factor ** k
            starts = s  # with ceases = starts - (s - s_prev) the flows are consistent with the stocks
            ceases = starts - (s - s // factor) if k else 0
            if y != gap:
                rows.append(rates_row(y, code, "cla", s, pop=10 ** 7))
            rows += [rates_row(y, code, "starts", starts, pop=10 ** 7),
                     rates_row(y, code, "ceases", ceases, pop=10 ** 7)]
    write_rates(root / "g.csv", rows)
    return read_folder(root)


def test_a_panel_that_doubles_every_year_is_forecast_to_double(tmp_path):
    f = national_forecast(growth_folder(tmp_path), 2020, 2)
    one = f.table[f.table.year == 2021].set_index("old_la_code")
    two = f.table[f.table.year == 2022].set_index("old_la_code")
    start = pd.Series({str(700 + i): (5 + i) * 2.0 ** 6 for i in range(30)})
    assert np.allclose(one.p50, 2 * start[one.index], rtol=1e-4)
    assert np.allclose(two.p50, 4 * start[two.index], rtol=1e-4)
    assert f.selection.mean_median_ape.min() < 1e-6  # some candidate was exact in the past


def perturbed_after(panel, origin, rng):
    later = np.array([y > origin for y in panel.years])
    for arr in (panel.stock, panel.starts, panel.ceases):
        arr[:, later] = arr[:, later] * rng.uniform(0.5, 2.0, size=arr[:, later].shape)
    return panel


def test_selection_and_forecast_ignore_everything_after_the_origin(tmp_path):
    from test_aggregate_core import synthetic_folder

    d = synthetic_folder(tmp_path, seed=11, years=range(2012, 2025))
    rng = np.random.default_rng(5)
    for origin in (2017, 2020):
        ref = national_forecast(d, origin, 2)
        full = perturbed_after(build_panel(d, 2024), origin, rng)
        got = national_forecast(d, origin, 2, panel=full)
        assert got.candidate == ref.candidate
        pd.testing.assert_frame_equal(got.selection, ref.selection)
        pd.testing.assert_frame_equal(got.table, ref.table)
        h_ref, h_full = history(build_panel(d, origin), origin), history(full, origin)
        for c in CANDIDATES:
            assert np.array_equal(candidate_forecasts(h_ref, c), candidate_forecasts(h_full, c), equal_nan=True)


def test_a_stock_rebuilt_from_the_next_year_is_not_seen_at_its_own_origin(tmp_path):
    # 2017 has flows but no stock: a panel read to 2021 rebuilds it from 2018's figures, which a forecaster at
    # 2017 did not have. Changing 2018 must not change the 2017 forecast.
    d = growth_folder(tmp_path / "a", factor=1, gap=2017)
    full = build_panel(d, 2021)
    assert full.rebuilt[:, full.col(2017)].all()
    changed = build_panel(d, 2021)
    changed.stock[:, changed.col(2018)] += 7
    a = national_forecast(d, 2018, 1, panel=full)
    b = national_forecast(d, 2018, 1, panel=changed)
    assert not np.allclose(a.table.p50, b.table.p50)  # 2018 is the origin here: it does count
    f2017 = [national_forecast(d, 2017, 1, panel=p, candidate=DEFAULT) for p in (full, changed)]
    assert f2017[0].table.empty and f2017[1].table.empty  # no published 2017 stock: nothing to start from
    assert sum(x.rule == "forecast-missing" for x in f2017[0].findings) == 30


def test_inner_forecasts_are_what_a_forecaster_at_that_origin_would_have_made(tmp_path):
    # nested: the forecast scored at inner origin u (inside the history to T) equals the one made at u itself
    from test_aggregate_core import synthetic_folder

    p = build_panel(synthetic_folder(tmp_path, seed=3, years=range(2012, 2022)), 2021)
    h = history(p, 2021)
    for k, u in enumerate(h.origins[:-1]):
        at_u = history(p, u)
        for c in CANDIDATES:
            assert np.allclose(candidate_forecasts(h, c)[k], candidate_forecasts(at_u, c)[-1], equal_nan=True), (u, c)
