"""Why the sample's P10-P90 coverage fell with the band calibration of 2026-12-05 (77% -> 58% at 12 months): for
each backtest origin (as benchmarks/backtest_model.py: four origins six months apart, 200 runs, seed 0), the
month-end actual totals against the P10-P90 band of four calibrations of the same runs, counting the misses below
P10 and above P90 separately, with the band's width and the past-error record (bias = mean log error, spread = its
standard deviation about that mean, rms = both) that set the widening.

- none: the runs as simulated;
- spread (default): widened on the log scale around the median by spread / sd(runs);
- rms: the same around the median, by rms / sd(runs) (bias counted as spread, as the earlier calibration did,
  though that one widened linearly around the mean);
- bias corrected: spread, and every run moved by exp(bias) (``correct_bias=True``).

    .venv/bin/python benchmarks/coverage_diagnosis.py [FOLDER ...] [--horizon 12] [--runs 200]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
from pathlib import Path

import numpy as np

from careflow import ssda903
from careflow.model.backtest import actual_counts
from careflow.model.calibration import PastErrors, calibrate, past_errors
from careflow.model.project import _add_months, project
from careflow.model.rates import fit
from careflow.model.states import DEFAULT_CATEGORIES

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "ssda903_samples" / "cs_demand_model_combined"


class RmsAsSpread(PastErrors):
    def spread(self) -> np.ndarray:
        return self.rms()


def main() -> None:
    from backtest_model import origins_for  # the backtests' origins

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", type=Path, nargs="*", default=[SAMPLE])
    ap.add_argument("--horizon", type=int, default=12)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for folder in args.folders:
        data = ssda903.load(folder)
        cats = tuple(data.categories or DEFAULT_CATEGORIES)
        origins = origins_for(data.data_end, args.horizon)
        tally: dict[str, dict[str, float]] = {}
        print(f"\n{folder.name}: {args.horizon}-month horizon, origins {', '.join(map(str, origins))}")
        print("origin | record at the horizon's lead: bias / spread / rms (log) | runs' sd (log) | variant | "
              "below P10 | above P90 | inside | P10-P90 width / P50 at horizon | actual / P50 at horizon")
        for origin in origins:
            end = _add_months(origin + dt.timedelta(days=1), args.horizon) - dt.timedelta(days=1)
            model = fit(data.episodes, data_end=origin, categories=cats)
            proj = project(model, origin, end, runs=args.runs, rng=np.random.default_rng(args.seed))
            errors = past_errors(data.episodes, origin, categories=cats)
            rms_errors = copy.copy(errors)
            rms_errors.__class__ = RmsAsSpread
            actual = actual_counts(data.episodes, proj.month_ends, cats).sum(axis=1)
            lead = min(args.horizon, errors.log_errors.shape[1]) - 1
            sd = np.log(proj.stock_runs.sum(axis=(2, 3))[:, -1] + 0.5).std(ddof=1)
            record = f"{errors.bias()[lead]:+.3f} / {errors.spread()[lead]:.3f} / {errors.rms()[lead]:.3f}"
            for name, p in (("none", proj), ("spread (default)", calibrate(proj, errors)),
                            ("rms", calibrate(proj, rms_errors)),
                            ("bias corrected", calibrate(proj, errors, correct_bias=True))):
                total = p.stock_runs.sum(axis=(2, 3))
                lo, mid, hi = np.quantile(total, [0.1, 0.5, 0.9], axis=0)
                below, above = int((actual < lo).sum()), int((actual > hi).sum())
                t = tally.setdefault(name, {"below": 0, "above": 0, "months": 0, "width": 0.0})
                t["below"] += below
                t["above"] += above
                t["months"] += len(actual)
                t["width"] += (hi[-1] - lo[-1]) / mid[-1] / len(origins)
                print(f"{origin} | {record} | {sd:.3f} | {name} | {below} | {above} | "
                      f"{1 - (below + above) / len(actual):.0%} | {(hi[-1] - lo[-1]) / mid[-1]:.0%} | "
                      f"{actual[-1]:.0f} / {mid[-1]:.1f}")
        print("all origins: variant | month-end actuals below P10 | above P90 | inside | mean width / P50")
        for name, t in tally.items():
            print(f"  {name} | {t['below']} | {t['above']} | {1 - (t['below'] + t['above']) / t['months']:.0%} | "
                  f"{t['width']:.0%}")


if __name__ == "__main__":
    main()
