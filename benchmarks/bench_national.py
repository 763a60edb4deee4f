"""Aggregate model: speed of reading and forecasting every LA, and the national backtest.

Run: .venv/bin/python benchmarks/bench_national.py [DATA_DIR]   (default ../shared/data)
Prints figures; nothing is asserted here (the shared-data tests hold the goals).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from careflow.aggregate import national_backtest, national_forecast
from careflow.dfe import read_folder


def main() -> None:
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1].parent / "shared/data"
    if not data_dir.is_dir():
        print(f"skipped: no data folder at {data_dir}")
        return
    t0 = time.perf_counter()
    data = read_folder(data_dir)
    t1 = time.perf_counter()
    f = national_forecast(data, 2024, 3)
    t2 = time.perf_counter()
    print(f"read {len(data.files)} files in {t1 - t0:.2f} s; forecast {f.table.old_la_code.nunique()} LAs x 3 years "
          f"in {t2 - t1:.2f} s; {len(f.findings)} LAs reported (not forecast or short history)")
    for flows in (False, True):
        t3 = time.perf_counter()
        table = national_backtest(data, [2015, 2016, 2019, 2020, 2021, 2022, 2023], [1, 2, 3], flows=flows)
        print(f"\nbacktest ({'with stock-flow step' if flows else 'default: pooled momentum'}), "
              f"{time.perf_counter() - t3:.2f} s; errors and coverage in percent")
        print(table.to_string(index=False))
        one = table[(table.horizon == 1) & (table.origin >= 2020)]
        print(f"1-year, origins 2020-2023: model beats last value at "
              f"{int((one.model_median_ape < one.naive_median_ape).sum())} of {len(one)} origins; "
              f"mean P10-P90 coverage {one.p10_p90_coverage.mean():.1f}%")


if __name__ == "__main__":
    main()
