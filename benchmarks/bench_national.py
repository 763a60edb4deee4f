"""Aggregate model: speed of reading and forecasting every LA, and the national backtest.

Run: .venv/bin/python benchmarks/bench_national.py [DATA_DIR]   (default ../shared/data)
Prints figures; nothing is asserted here (the shared-data tests hold the goals).

Design origins (2015, 2016, 2019) were used to fix the selection scheme; 2020-2023 are the reported backtest. At
every origin the model is chosen from the data up to that origin only (docs/aggregate.md, "Model selection").
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

from careflow.aggregate import national_backtest, national_forecast
from careflow.aggregate.forecast import DEFAULT
from careflow.dfe import read_folder

DESIGN = [2015, 2016, 2019]
TEST = [2020, 2021, 2022, 2023]


def one_year(table: pd.DataFrame, fixed: pd.DataFrame) -> pd.DataFrame:
    t = table[table.horizon == 1].reset_index(drop=True)
    f = fixed[fixed.horizon == 1].reset_index(drop=True)
    return pd.DataFrame({"origin": t.origin, "n_las": t.n_las, "selected_median": t.model_median_ape,
                         "old_default_median": f.model_median_ape, "last_value_median": t.naive_median_ape,
                         "trend_median": t.trend_median_ape, "selected_mean": t.model_mean_ape,
                         "last_value_mean": t.naive_mean_ape, "coverage": t.p10_p90_coverage,
                         "old_default_coverage": f.p10_p90_coverage, "selected_model": t.model})


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
          f"(with nested selection) in {t2 - t1:.2f} s; {len(f.findings)} LAs reported; model chosen at 2024: "
          f"{f.candidate.label}")
    pd.set_option("display.width", 250)
    for name, origins in (("design origins", DESIGN), ("reported origins", TEST)):
        t3 = time.perf_counter()
        table = national_backtest(data, origins, [1, 2, 3])
        fixed = national_backtest(data, origins, [1], candidate=DEFAULT)
        print(f"\n{name}: backtest {time.perf_counter() - t3:.2f} s; all horizons, nested selection; percent")
        print(table.to_string(index=False))
        one = one_year(table, fixed)
        print(f"\n{name}, one year ahead: median (and mean) absolute percentage error across LAs, P10-P90 coverage")
        print(one.to_string(index=False))
        print(f"selected model beats last value at {int((one.selected_median < one.last_value_median).sum())} of "
              f"{len(one)} origins; mean coverage {one.coverage.mean():.1f}%")


if __name__ == "__main__":
    main()
