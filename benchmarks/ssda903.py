"""Time the SSDA903 reader/cleaner on the public sample stacked N times as N LAs (until the synth helper's
ten-year benchmark lands). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/ssda903.py [copies ...]     # default: 1 10 60
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from careflow.ssda903 import load, summarise

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "ssda903_samples" / "cs_demand_model_regional_v1"


def main(copies: list[int]) -> None:
    if not SAMPLE.is_dir():
        print(f"needs {SAMPLE}; skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for n in copies:
            folder = Path(tmp) / f"x{n}"
            folder.mkdir()
            for name in ("episodes", "header", "uasc"):
                df = pd.read_csv(SAMPLE / f"{name}.csv", dtype=str)
                pd.concat([df.assign(LA=df["LA"] + f"-{i}") for i in range(n)]).to_csv(
                    folder / f"{name}.csv", index=False)
            rows = sum(1 for _ in open(folder / "episodes.csv")) - 1
            t = time.perf_counter()
            data = load(folder)
            t_load = time.perf_counter() - t
            t = time.perf_counter()
            table = summarise(data)
            t_sum = time.perf_counter() - t
            at = int(table.loc[table["year"] == table["year"].max(), "at_31_march"].sum())  # all LAs (rows per LA)
            print(f"{n:>4} LA copies: {rows:>8} episode rows, {len(data.findings):>7} findings, "
                  f"{at:>6} in care 31 March 2022 -> load {t_load:.2f} s, summary {t_sum:.2f} s")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 10, 60])
