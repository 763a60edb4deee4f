"""Finance speed: appraise the H&F case, and load + roll up a portfolio of many generated cases.

Run: .venv/bin/python benchmarks/finance.py [N_CASES]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from careflow.finance import appraise, rollup
from careflow.register import load_finance_case as load_case

ROOT = Path(__file__).resolve().parents[1]


def main(n_cases: int = 200) -> None:
    hf = load_case(ROOT / "examples" / "cases" / "hf_bc2.yaml")
    t = time.perf_counter()
    for _ in range(100):
        appraise(hf)
    print(f"appraise H&F BC2 (recurring, 300-year payback search, 8 sensitivities): "
          f"{(time.perf_counter() - t) / 100 * 1000:.1f} ms per case")
    rng = np.random.default_rng(20261123)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n_cases):
            start = 2024 + int(rng.integers(0, 3))
            amounts = rng.integers(0, 2000, size=3)
            savings = ", ".join(f"{start + k}-{(start + k + 1) % 100:02d}: {a}" for k, a in enumerate(amounts))
            (Path(tmp) / f"case_{i:04d}.yaml").write_text(
                f"reference: G{i}\nunits: £k\ndirectorate: D{i % 4}\nsavings_basis: incremental\n"
                f"recurring: true\ninvestment: {{{start}-{(start + 1) % 100:02d}: {int(rng.integers(0, 500))}}}\n"
                f"savings: {{{savings}}}\nrag: {['planned', 'forecast', 'delivered', 'at_risk'][i % 4]}\n",
                encoding="utf-8")
        t = time.perf_counter()
        cases = [load_case(f) for f in sorted(Path(tmp).glob("*.yaml"))]
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        p = rollup(cases)
        p.by_year()
        p.breakdown()
        t_roll = time.perf_counter() - t
    print(f"load {n_cases} case files: {t_load:.2f} s ({t_load / n_cases * 1000:.1f} ms each); "
          f"roll-up + tables: {t_roll:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
