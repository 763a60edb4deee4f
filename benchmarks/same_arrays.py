"""The library's arrays before and after a change that should not change them (a speed-up): what `load_data`, `fit`
(five settings), the expected-value `project`, `start_state`, the band calibration's `past_errors`,
`month_end_totals` and `stock_on` give on one dataset, saved to a pickle and compared with the same run later, array
by array (exact: equal values and dtypes, NaN where NaN). `output_hashes.py` compares the commands' outputs; this
compares what the library hands over, also on data the commands' sample runs do not cover (the large synthetic LA).

    .venv/bin/python benchmarks/same_arrays.py save FOLDER before.pkl     # on the code before the change
    .venv/bin/python benchmarks/same_arrays.py check FOLDER before.pkl    # after it: exit 1 when anything differs

FOLDER: SSDA903 returns (e.g. ../shared/data/ssda903_samples/cs_demand_model_combined, a large LA from
`careflow.synth.generate(children_in_care=1500, first_year=2016, years=10, seed=7)`, or Anyshire's from
`careflow.synth.anyshire`). A value the new code adds (a new dataclass field) is listed, not counted as a change.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from careflow import pipeline
from careflow.model import calibration, fit, project
from careflow.model import episodes as epi
from careflow.model.project import start_state

FITS = {"default": {}, "no duration": {"duration": None},
        "placement 1-3-6-12": {"duration": "placement", "duration_months": (1, 3, 6, 12)},
        "trend": {"trend": True}, "24-month window": {"window_months": 24}}


def flat(obj, name: str) -> dict:
    """Arrays and tables by name; anything else by its repr."""
    if isinstance(obj, np.ndarray | pd.DataFrame | pd.Series):
        return {name: obj}
    if dataclasses.is_dataclass(obj):
        return {k: v for f in dataclasses.fields(obj) for k, v in flat(getattr(obj, f.name), f"{name}.{f.name}").items()}
    if isinstance(obj, dict):
        return {k: v for key, value in obj.items() for k, v in flat(value, f"{name}[{key!r}]").items()}
    return {name: repr(obj)}


def capture(folder: str) -> dict:
    data = pipeline.load_data(folder)
    out = flat(data, "load_data")
    eps, end, cats = data.episodes, data.data_end, data.categories
    for label, options in FITS.items():
        model = fit(eps, data_end=end, categories=cats, **options)
        out.update(flat(model, f"fit[{label}]"))
        if label in ("default", "placement 1-3-6-12"):
            out.update(flat(project(model, end, months=60), f"project[{label}]"))
            out[f"start_state[{label}]"] = start_state(model, end - dt.timedelta(days=400))
        if label in ("default", "placement 1-3-6-12", "trend"):
            out.update(flat(calibration.past_errors(eps, end, categories=cats, **options), f"past_errors[{label}]"))
    days = [end - dt.timedelta(days=k) for k in range(0, 2000, 7)]
    out["month_end_totals"] = calibration.month_end_totals(eps, days)
    for d in days[::40]:
        out[f"stock_on[{d}]"] = epi.stock_on(eps, d).reset_index(drop=True)
    return out


def same(a, b) -> bool:
    if isinstance(a, pd.DataFrame | pd.Series):
        try:
            (pd.testing.assert_frame_equal if isinstance(a, pd.DataFrame) else pd.testing.assert_series_equal)(
                a, b, check_exact=True)
        except AssertionError:
            return False
        return True
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    return a == b


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("save", "check"))
    ap.add_argument("folder")
    ap.add_argument("pickle", type=Path)
    args = ap.parse_args()
    now = capture(args.folder)
    if args.mode == "save":
        args.pickle.write_bytes(pickle.dumps(now))
        print(f"{len(now)} values saved to {args.pickle}")
        return 0
    before = pickle.loads(args.pickle.read_bytes())
    changed = [k for k in before if k not in now or not same(before[k], now[k])]
    added = [k for k in now if k not in before]
    print(f"{len(before)} values compared: " + (f"{len(changed)} differ: {', '.join(changed)}" if changed
                                                else "all identical"))
    if added:
        print(f"new values (not compared): {', '.join(added)}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
