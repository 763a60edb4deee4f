"""Why a backtest misses: the drift used at each origin, and where the 12-month error comes from.

For origins every ``--every`` months: the fitted drift (entries / exits) and how many pseudo-origins it rests on;
careflow's deterministic total at the horizon against the actual and the last value; the same projection with the
entry rates, the hazards, or both replaced by those that actually held over the horizon (fitted on the horizon
itself), so a bias can be put down to entries, exits or the starting stock; and the total ten years ahead (the
model's equilibrium) against the stock at the origin. Deterministic only: seconds per data set.

Also splits the total at the horizon into survivors of the starting stock (children in care at both dates) and
the rest (entrants since the origin), actual against the model (entries switched off for the survivors).
``--no-duration --window-months 12`` shows the model without time in care on a fixed window.

    .venv/bin/python benchmarks/backtest_diagnosis.py FOLDER [--horizon 12] [--every 3] [--no-duration]
        [--window-months N]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from careflow import ssda903
from careflow.model import episodes as epi
from careflow.model import fit, project
from careflow.model.backtest import actual_counts
from careflow.model.project import _add_months


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--horizon", type=int, default=12)
    ap.add_argument("--every", type=int, default=3)
    ap.add_argument("--no-duration", action="store_true", help="hazards by age band x category only")
    ap.add_argument("--window-months", type=int, default=None, help="fixed reference window (default: chosen)")
    args = ap.parse_args()
    opts = {"window_months": args.window_months, **({"duration": None} if args.no_duration else {})}
    data = ssda903.load(args.folder)
    ep, H = data.episodes, args.horizon
    last = pd.Timestamp(data.data_end) + pd.Timedelta(days=1) - pd.DateOffset(months=H)
    first = ep["dec"].min() + pd.DateOffset(months=12)
    origins = []
    while (last - pd.DateOffset(months=args.every * len(origins))) > first:
        origins.append((last - pd.DateOffset(months=args.every * len(origins)) - pd.Timedelta(days=1)).date())
    rows = []
    for o in sorted(origins):
        he = _add_months(o + dt.timedelta(days=1), H) - dt.timedelta(days=1)
        m = fit(ep, data_end=o, **opts)
        mh = fit(ep, data_end=he, **{**opts, "window_months": H})
        C = len(m.categories)
        act = actual_counts(ep, [o, he], m.categories).sum(axis=1)
        swapped = {}
        for name, entries, hazards in (("entries", True, False), ("exits", False, True), ("both", True, True)):
            mm = copy.copy(m)
            if entries:
                mm.entry_alpha, mm.entry_beta, mm.entry_age_pmf = mh.entry_alpha, mh.entry_beta, mh.entry_age_pmf
            if hazards:
                mm.alpha, mm.beta = mh.alpha, mh.beta
            swapped[name] = project(mm, o, he).expected_stock[-1].sum()
        det = project(m, o, he).expected_stock[-1].sum()
        no_entries = copy.copy(m)
        no_entries.entry_alpha = np.zeros_like(m.entry_alpha)
        survivors_model = project(no_entries, o, he).expected_stock[-1].sum()
        s0, s1 = epi.stock_on(ep, o), epi.stock_on(ep, he)
        survivors = int(s1["child"].isin(s0["child"]).sum())
        rows.append({"origin": o, "pseudo_origins": m.drift_years, "entry_drift": m.entry_drift,
                     "exit_drift": m.exit_drift, "stock": act[0], "actual": act[1], "careflow": det,
                     "error_pct": (det - act[1]) / act[1] * 100, "last_value_pct": (act[0] - act[1]) / act[1] * 100,
                     "horizon_entries": swapped["entries"], "horizon_exits": swapped["exits"],
                     "horizon_both": swapped["both"], "window": getattr(m, "window_months", None),
                     "survivors": survivors, "survivors_model": survivors_model,
                     "others": act[1] - survivors, "others_model": det - survivors_model,
                     "exit_rate_window": m.events[..., C:].sum() / m.exposure.sum() * 365.25,
                     "exit_rate_horizon": mh.events[..., C:].sum() / mh.exposure.sum() * 365.25,
                     "entries_window": m.entry_events.sum(), "entries_horizon": mh.entry_events.sum() * 12 / H,
                     "equilibrium_ratio": project(m, o, months=120).expected_stock[-1].sum() / act[0]})
    df = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(df.round(3).to_string(index=False))
    print(f"\n{len(df)} origins, {H} months ahead: careflow mean error {df.error_pct.mean():+.2f}% (sd "
          f"{df.error_pct.std():.2f}), MAPE {df.error_pct.abs().mean():.2f}%; last value mean error "
          f"{df.last_value_pct.mean():+.2f}%, MAPE {df.last_value_pct.abs().mean():.2f}%; ten-year total / stock "
          f"{df.equilibrium_ratio.mean():.3f}; log(exit rate horizon / window) rms "
          f"{np.sqrt(np.mean(np.log(df.exit_rate_horizon / df.exit_rate_window) ** 2)):.3f}")
    sv = ((df.survivors_model - df.survivors) / df.survivors).mean() * 100
    ot = ((df.others_model - df.others) / df.others).mean() * 100
    print(f"survivors of the starting stock: model {sv:+.1f}% against actual; entrants since the origin: "
          f"{ot:+.1f}% (mean over origins)")


if __name__ == "__main__":
    main()
