"""What the fit and the projection refuse or limit, said out loud: the entry trend's cap, the drift cap, and a start
long after the data."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from careflow.errors import CareflowError
from careflow.model import fit, project
from careflow.model.rates import DRIFT_MAX, _limits
from episode_builder import episodes, random_episodes


def _growing_entries(per_month_start: float, yearly_factor: float) -> pd.DataFrame:
    """Children entering IFA on the 1st of each month from April 2022 to March 2025, ``per_month_start`` a month at
    first and ``yearly_factor`` times more each year; nobody leaves."""
    rows, i = [], 0
    for k in range(36):
        month = pd.Timestamp(2022, 4, 1) + pd.DateOffset(months=k)
        for _ in range(int(round(per_month_start * yearly_factor ** (k / 12)))):
            rows.append(dict(child=i, dob=month - pd.DateOffset(years=8), decom=month, category="ifa_fostering"))
            i += 1
    return episodes(rows)


def test_trend_cap_binds_and_says_so():
    # entries doubling every year: the fitted trend is +100% a year, capped at +30%
    model = fit(_growing_entries(4, 2.0), data_end=dt.date(2025, 3, 31), trend=True)
    assert model.trend_per_month == pytest.approx(np.log(1.3) / 12)
    (note,) = [w for w in model.warnings if "trend" in w]
    fitted = re.search(r"on the last 36 months, \+(\d+)% a year, is capped at \+30% a year", note)
    assert fitted and 95 <= int(fitted.group(1)) <= 105, note  # whole children a month: about +100%


def test_no_warning_when_the_trend_is_inside_the_cap():
    model = fit(_growing_entries(10, 1.1), data_end=dt.date(2025, 3, 31), trend=True)
    assert np.expm1(model.trend_per_month * 12) == pytest.approx(0.10, abs=0.03)
    assert not any("trend" in w for w in model.warnings)


def test_falling_trend_cap_is_the_same_cap_downward():
    slope, notes = _limits(np.log(0.5) / 12, 0.1, 0.1)  # entries halving every year
    assert slope == pytest.approx(-np.log(1.3) / 12)
    assert notes == ["the entry trend fitted on the last 36 months, -50% a year, is capped at -23% a year"]


def test_drift_cap_warns_when_it_binds():
    _, notes = _limits(0.0, DRIFT_MAX, 0.2)
    assert len(notes) == 1 and "drift of entry rates is capped at 0.40 a year" in notes[0]
    assert _limits(0.0, DRIFT_MAX * 0.99, 0.2)[1] == []


def test_projection_refuses_a_start_long_after_the_data():
    model = fit(random_episodes(3), data_end=dt.date(2025, 3, 31))
    project(model, dt.date(2025, 5, 1), months=2)  # 31 days after: allowed
    with pytest.raises(CareflowError, match=r"the start \(2025-05-02\) is more than 31 days after the end of the "
                                            r"data \(2025-03-31\)"):
        project(model, dt.date(2025, 5, 2), months=2)
    with pytest.raises(CareflowError, match="2040-03-31"):
        project(model, dt.date(2040, 3, 31), months=12, runs=5, rng=np.random.default_rng(1))


def test_forecast_says_when_the_trend_cap_binds(tmp_path):
    import json

    from click.testing import CliRunner

    from careflow.cli import main

    data = tmp_path / "episodes.csv"
    _growing_entries(4, 2.0).to_csv(data, index=False)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["forecast", str(data), "--trend", "--runs", "5", "--no-calibrate",
                                    "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert "warning: the entry trend fitted on the last 36 months" in res.output
    assert any("is capped at +30% a year" in w for w in json.loads((out / "summary.json").read_text())["warnings"])
