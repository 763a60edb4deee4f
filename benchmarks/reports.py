"""How long the reports take to write: a large forecast workbook, a business case (Word and Excel), a portfolio.

Run: ``.venv/bin/python benchmarks/reports.py``. Prints timings; asserts nothing. The forecast is generated with a
seeded generator in the shape of forecast.csv (a large LA: 10 categories x 6 age bands plus totals, 60 months).
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def big_forecast(rng: np.random.Generator, categories: int = 10, bands: int = 6, months: int = 60):
    dates = pd.date_range("2026-04-30", periods=months, freq="ME").strftime("%Y-%m-%d")
    cats = [f"category_{i}" for i in range(categories)] + ["all"]
    ages = [f"band_{j}" for j in range(bands)] + ["all"]
    idx = pd.MultiIndex.from_product([dates, cats, ages], names=["date", "category", "age_band"])
    mean = rng.uniform(5, 60, len(idx))
    df = idx.to_frame(index=False)
    df["mean"], df["p10"], df["p50"], df["p90"] = mean, mean * 0.85, mean, mean * 1.15
    fys = [f"{y}-{(y + 1) % 100:02d}" for y in range(2026, 2031)]
    costs = pd.DataFrame([{"financial_year": fy, "category": c, "mean": m, "p10": 0.9 * m, "p50": m, "p90": 1.1 * m}
                          for fy in fys for c in cats for m in [rng.uniform(1e6, 9e6)]])
    return df, costs


def timed(label: str, fn) -> None:
    t = time.perf_counter()
    fn()
    print(f"{label:<62} {time.perf_counter() - t:7.2f} s")


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from _reports_data import HF_CASE, hf_appraisal, sample_difference
    from careflow.reports import (
        case_document,
        case_workbook,
        fan_chart,
        forecast_workbook,
        portfolio_workbook,
    )

    rng = np.random.default_rng(20261123)
    fc, costs = big_forecast(rng)
    print(f"forecast rows: {len(fc):,}; cost rows: {len(costs):,}")
    timed("forecast workbook (large LA, 60 months)", lambda: forecast_workbook(io.BytesIO(), fc, costs))
    timed("fan chart, PNG + SVG", lambda: (lambda c: (c.png(), c.svg()))(fan_chart(fc)))
    timed("business case workbook (H&F, with scenario difference)",
          lambda: case_workbook(io.BytesIO(), HF_CASE, hf_appraisal(), sample_difference()))
    timed("business case Word document (H&F, 3 charts)",
          lambda: case_document(io.BytesIO(), HF_CASE, hf_appraisal(), sample_difference()))
    cases = [({**HF_CASE, "reference": f"C{i}"}, hf_appraisal()) for i in range(200)]
    timed("portfolio workbook, 200 cases", lambda: portfolio_workbook(io.BytesIO(), cases))


if __name__ == "__main__":
    main()
