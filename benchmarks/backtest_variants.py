"""Deterministic backtest of model variants at every quarter end: which reference window and time-in-care classes
the evidence supports.

For each folder of returns and each horizon (12 and 36 months), origins every 3 months from two years after the
first recorded episode end to a horizon before the end of the data; for each variant the mean error and MAPE of
the deterministic total at the horizon, and the same for naive last value. Seconds per data set and variant.

    .venv/bin/python benchmarks/backtest_variants.py FOLDER [FOLDER ...] [--horizons 12 36]
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from careflow import ssda903
from careflow.model import fit, project
from careflow.model.backtest import actual_counts
from careflow.model.project import _add_months

VARIANTS = [  # (window months, duration, cuts)
    (12, None, 12), (12, "care", (1,)), (12, "care", (1, 3)),
    (24, None, 12), (24, "care", (1,)), (24, "care", (1, 3)),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", type=Path, nargs="+")
    ap.add_argument("--horizons", type=int, nargs="+", default=[12, 36])
    args = ap.parse_args()
    for folder in args.folders:
        data = ssda903.load(folder)
        ep = data.episodes
        for H in args.horizons:
            last = pd.Timestamp(data.data_end) + pd.Timedelta(days=1) - pd.DateOffset(months=H)
            first = ep["dec"].min() + pd.DateOffset(months=24)
            origins = []
            while (last - pd.DateOffset(months=3 * len(origins))) > first:
                origins.append((last - pd.DateOffset(months=3 * len(origins)) - pd.Timedelta(days=1)).date())
            actual = {}
            for window, duration, cuts in VARIANTS:
                errs, lv = [], []
                for o in sorted(origins):
                    he = _add_months(o + dt.timedelta(days=1), H) - dt.timedelta(days=1)
                    m = fit(ep, data_end=o, window_months=window, duration=duration, duration_months=cuts)
                    if o not in actual:
                        actual[o] = actual_counts(ep, [o, he], m.categories).sum(axis=1)
                    a = actual[o]
                    p = project(m, o, he).expected_stock[-1].sum()
                    errs.append((p - a[1]) / a[1] * 100)
                    lv.append((a[0] - a[1]) / a[1] * 100)
                errs, lv = np.array(errs), np.array(lv)
                name = f"{window}-month window, " + (f"time in care cuts {cuts}" if duration else "no time in care")
                print(f"{folder.name} | {H} m | {len(origins)} origins | {name:<45} | mean error {errs.mean():+.2f}% "
                      f"MAPE {np.abs(errs).mean():.2f}% | last value mean {lv.mean():+.2f}% MAPE "
                      f"{np.abs(lv).mean():.2f}%", flush=True)


if __name__ == "__main__":
    main()
