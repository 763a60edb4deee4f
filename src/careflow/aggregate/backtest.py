"""Backtest the national forecast at past origins against what happened, with naive baselines.

For each origin T and horizon h the model is fitted with data up to T only (``national_forecast``) and compared
with the stock actually published for T+h. Baselines: last value (stock at T) and linear trend (stock at T plus h
times the last year's change; last value where T-1 is missing). Reported across LAs with both a forecast and an
actual: median and mean absolute percentage error, and the share of actuals inside P10-P90.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from careflow.aggregate.forecast import Candidate, build_panel, national_forecast
from careflow.dfe import DfeData
from careflow.errors import CareflowError

COLUMNS = ["origin", "horizon", "target_year", "n_las", "model_median_ape", "model_mean_ape", "naive_median_ape",
           "naive_mean_ape", "trend_median_ape", "trend_mean_ape", "p10_p90_coverage", "model"]


def national_backtest(data: DfeData, origins: list[int], horizons: list[int], *, flows: bool = False,
                      candidate: Candidate | None = None) -> pd.DataFrame:
    """One row per origin and horizon (percentages); targets with no published stock are skipped. ``model`` names
    the candidate used at each origin (chosen from the data up to that origin unless ``candidate`` or ``flows``
    fixes it)."""
    full = build_panel(data, max(data.years))
    rows = []
    for origin in origins:
        h_max = max(horizons)
        f = national_forecast(data, origin, h_max, flows=flows, candidate=candidate)
        if origin not in full.years:
            raise CareflowError(f"no figures for origin {origin}", rule="backtest-origin", field="origin")
        last = full.stock[:, full.col(origin)]
        prev = full.stock[:, full.col(origin - 1)] if origin - 1 in full.years else last * np.nan
        for h in horizons:
            target = origin + h
            if target not in full.years:
                continue
            # a stock rebuilt from flows (2018 in the public files) is not an actual
            published = np.where(full.rebuilt[:, full.col(target)], np.nan, full.stock[:, full.col(target)])
            actual = dict(zip(full.las, published, strict=True))
            base = dict(zip(full.las, last, strict=True))
            trend = dict(zip(full.las, np.where(np.isnan(prev), last, last + h * (last - prev)), strict=True))
            t = f.table[f.table.year == target]
            err, naive, lin, cover = [], [], [], []
            for r in t.itertuples():
                y = actual.get(r.old_la_code, np.nan)
                if np.isnan(y) or y <= 0:
                    continue
                err.append(abs(r.p50 - y) / y)
                naive.append(abs(base[r.old_la_code] - y) / y)
                lin.append(abs(trend[r.old_la_code] - y) / y)
                cover.append(r.p10 <= y <= r.p90)
            if not err:
                continue
            pct = lambda v, fn: round(100 * float(fn(v)), 2)  # noqa: E731
            rows.append([origin, h, target, len(err), pct(err, np.median), pct(err, np.mean),
                         pct(naive, np.median), pct(naive, np.mean), pct(lin, np.median), pct(lin, np.mean),
                         pct(cover, np.mean), f.candidate.label])
    return pd.DataFrame(rows, columns=COLUMNS)
