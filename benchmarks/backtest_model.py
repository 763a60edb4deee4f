"""Backtests of the child-level demand model: careflow against naive last-value and linear-trend forecasts
(and, with --peer, the Data to Insight peer model's total), at 6- and 12-month horizons, on the shared sample data
and several synthetic LAs. Also compares model variants (reference window, entry trend, time in care or in
placement as a factor) so docs/model.md can say which the evidence supports.

    .venv/bin/python benchmarks/backtest_model.py [--peer] [--variants] [--runs 200] [--origin-count 4 --every 6]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from careflow.model.backtest import backtest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "ssda903_samples" / "cs_demand_model_combined"
PEER_PY = Path("/tmp/peer-venv/bin/python")
SYNTH_LAS = [(250, 11), (600, 12), (1500, 13)]  # (children in care, seed)

VARIANTS = {
    "careflow (default: window chosen, first month in care, bands calibrated)": {},
    "bands not calibrated": {"calibrate": False},
    "bands calibrated, bias corrected": {"correct_bias": True},
    "12-month window": {"window_months": 12},
    "24-month window": {"window_months": 24},
    "no time in care, 12-month window": {"duration": None, "window_months": 12},
    "entry trend": {"trend": True},
    "time in care (1, 3, 6, 12 months)": {"duration": "care", "duration_months": (1, 3, 6, 12)},
    "time in placement (6 months)": {"duration": "placement", "duration_months": 6},
}

PEER_SCRIPT = """
import sys, json, datetime as dt
from cs_demand_model.__main__ import CliSetup
from cs_demand_model import ModelPredictor
src, start, end, days = sys.argv[1], *[dt.date.fromisoformat(x) for x in sys.argv[2:4]], int(sys.argv[4])
setup = CliSetup(src, start, end)
pred = ModelPredictor.from_model(setup.stats, start, end).predict(days)
print(json.dumps({"start_total": float(setup.stats.stock.loc[:str(end)].iloc[-1].sum()),
                  "end_total": float(pred.iloc[-1].sum())}))
"""


def origins_for(data_end: dt.date, horizon: int, count: int = 4, every: int = 6) -> list[dt.date]:
    """``count`` origins ``every`` months apart (by default 31 March / 30 September), the last one ``horizon``
    months before the end of the data."""
    last = (pd.Timestamp(data_end) + pd.Timedelta(days=1) - pd.DateOffset(months=horizon)) - pd.Timedelta(days=1)
    out = []
    for k in range(count):
        d = (last + pd.Timedelta(days=1) - pd.DateOffset(months=every * k)) - pd.Timedelta(days=1)
        out.append(d.date())
    return sorted(out)


def peer_total(path: Path, origin: dt.date, horizon: int) -> dict | None:
    start = dt.date(origin.year - 1, origin.month, origin.day) if origin.month != 2 else origin
    days = ((pd.Timestamp(origin) + pd.DateOffset(months=horizon)) - pd.Timestamp(origin)).days
    out = subprocess.run([str(PEER_PY), "-c", PEER_SCRIPT, str(path), str(start), str(origin), str(days)],
                         capture_output=True, text=True)
    if out.returncode:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def datasets(tmp: Path, folders: list[Path] | None = None):
    from careflow import ssda903

    if SAMPLE.is_dir():
        yield "sample (cs_demand_model_combined)", SAMPLE, ssda903.load(SAMPLE)
    if folders is not None:
        for folder in folders:
            yield f"returns in {folder.name}", folder, ssda903.load(folder)
        return
    try:
        from careflow.synth import generate
    except ImportError:
        print("careflow.synth.generate not available: synthetic LAs skipped")
        return
    for size, seed in SYNTH_LAS:
        folder = tmp / f"synth_{size}_{seed}"
        generate(children_in_care=size, first_year=2016, years=9, seed=seed, output=folder)
        yield f"synthetic LA ({size} in care, seed {seed})", folder, ssda903.load(folder)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer", action="store_true", help="also backtest the peer's total (slow: ~1 min a run)")
    ap.add_argument("--variants", action="store_true", help="compare model variants too")
    ap.add_argument("--only", nargs="*", default=None, help="with --variants: only these variants (by name)")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--origin-count", type=int, default=4, help="origins per data set and horizon (4)")
    ap.add_argument("--every", type=int, default=6, help="months between origins (6)")
    ap.add_argument("--folders", type=Path, nargs="*", help="backtest these folders of returns instead of "
                    "generating synthetic LAs (none: the shared sample only)")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="careflow-backtest-")
    variants = VARIANTS if args.variants else {k: v for k, v in VARIANTS.items() if not v}
    if args.only:
        variants = {k: v for k, v in variants.items() if k in args.only or not v}
    table = []
    for name, path, data in datasets(Path(tmp.name), args.folders):
        data_end = data.data_end
        for horizon in (6, 12):
            origins = origins_for(data_end, horizon, args.origin_count, args.every)
            for vname, opts in variants.items():
                res = backtest(data, origins, horizon, runs=args.runs, seed=args.seed, **opts)
                s = res.summary()
                tot, cats = s["total"], s["categories"]
                row = {"dataset": name, "horizon": horizon, "variant": vname,
                       "origins": " ".join(str(o) for o in origins),
                       "total_mape": tot["careflow_mape"], "last_value_mape": tot["last_value_mape"],
                       "linear_trend_mape": tot["linear_trend_mape"], "total_coverage": tot["coverage_p10_p90"],
                       "category_mae": cats["careflow_mae"], "category_last_value_mae": cats["last_value_mae"],
                       "category_linear_mae": cats["linear_trend_mae"], "category_coverage": cats["coverage_p10_p90"],
                       "total_crps_pct": tot["careflow_crps_pct"], "total_interval_score": tot["careflow_interval_score"],
                       "total_crps": tot["careflow_crps"], "total_last_value_crps": tot["last_value_crps"],
                       "total_linear_crps": tot["linear_trend_crps"],
                       "category_crps": cats["careflow_crps"], "category_interval_score": cats["careflow_interval_score"],
                       "mean_pct_error": float(res.rows[res.rows.series == "all"]["careflow_pct_error"].mean())}
                if args.peer and not opts and PEER_PY.exists():
                    errs = []
                    actual = res.rows[res.rows.series == "all"].set_index("origin")["actual"]
                    for o in origins:
                        p = peer_total(path, o, horizon)
                        if p is not None:
                            errs.append(abs(p["end_total"] - actual[str(o)]) / actual[str(o)] * 100)
                    row["peer_mape"] = float(np.mean(errs)) if errs else None
                table.append(row)
                peer = f", peer {row['peer_mape']:.1f}%" if row.get("peer_mape") is not None else ""
                print(f"{name} | {horizon:>2} m | {vname:<36} | total MAPE careflow {tot['careflow_mape']:.1f}% "
                      f"(last value {tot['last_value_mape']:.1f}%, linear {tot['linear_trend_mape']:.1f}%{peer}); "
                      f"inside P10-P90 {tot['coverage_p10_p90']:.0%} | categories MAE {cats['careflow_mae']:.1f} "
                      f"(last {cats['last_value_mae']:.1f}, linear {cats['linear_trend_mae']:.1f}), inside "
                      f"{cats['coverage_p10_p90']:.0%} | total CRPS {tot['careflow_crps']:.1f} (last "
                      f"{tot['last_value_crps']:.1f}, linear {tot['linear_trend_crps']:.1f}), interval score "
                      f"{tot['careflow_interval_score']:.1f}; mean signed error {row['mean_pct_error']:+.1f}%",
                      flush=True)
    print()
    print("| data | horizon | variant | total MAPE careflow | last value | linear trend | peer | total inside P10-P90 "
          "| category MAE careflow | last value | linear trend | categories inside P10-P90 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")

    def f(x, unit=""):
        return "n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.1f}{unit}"

    for r in table:
        print(f"| {r['dataset']} | {r['horizon']} m | {r['variant']} | {f(r['total_mape'], '%')} | "
              f"{f(r['last_value_mape'], '%')} | {f(r['linear_trend_mape'], '%')} | {f(r.get('peer_mape'), '%')} | "
              f"{r['total_coverage']:.0%} | {f(r['category_mae'])} | {f(r['category_last_value_mae'])} | "
              f"{f(r['category_linear_mae'])} | {r['category_coverage']:.0%} |")
    print()
    print("Proper scores at the horizon (children; a point forecast's CRPS is its absolute error; lower is better)")
    print()
    print("| data | horizon | variant | total CRPS careflow | last value | linear trend | total CRPS % of actual "
          "| total P10-P90 interval score | mean signed error (total) | category CRPS careflow | last value "
          "| linear trend | category interval score |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in table:
        print(f"| {r['dataset']} | {r['horizon']} m | {r['variant']} | {f(r['total_crps'])} | "
              f"{f(r['total_last_value_crps'])} | {f(r['total_linear_crps'])} | {f(r['total_crps_pct'], '%')} | "
              f"{f(r['total_interval_score'])} | {r['mean_pct_error']:+.1f}% | {f(r['category_crps'])} | "
              f"{f(r['category_last_value_mae'])} | {f(r['category_linear_mae'])} | "
              f"{f(r['category_interval_score'])} |")
    print()
    print(json.dumps(table, default=float))


if __name__ == "__main__":
    main()
