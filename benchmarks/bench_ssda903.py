"""Time and peak memory of reading, validating and cleaning ten years of SSDA903 returns.

Two cases, generated first (not timed) by careflow's synthetic LA generator into a temporary folder:

* large LA: 1,500 children in care, ten collection years (2015-16 to 2024-25), one folder per year;
* national scale: 153 LAs, about 80,000 children in care, ten years, stacked files with LA and YEAR columns.

Each measurement runs in a fresh Python process so that its peak resident memory (``resource.getrusage``) is its
own; the figure printed is the peak minus the process's resident memory after imports. Prints figures; asserts
nothing.

    .venv/bin/python benchmarks/bench_ssda903.py [large|national ...]      # default: both
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIRST_YEAR, YEARS = 2016, 10   # collection years ending 31 March 2016 .. 2025


def measure(folder: str) -> dict:
    """Run in a child process: read+validate+clean (load), validate alone, and the DfE summary."""
    import careflow.ssda903 as ssda903

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    data = ssda903.load(folder)
    t_load = time.perf_counter() - t
    peak_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    report = ssda903.validate(folder)
    t_validate = time.perf_counter() - t
    t = time.perf_counter()
    table = ssda903.summarise(data)
    t_summary = time.perf_counter() - t
    errors = [f for f in data.findings if f.severity == "error"]
    return {"episodes": len(data.episodes), "children": int(data.episodes["child"].nunique()),
            "errors": len(errors), "findings": len(data.findings),
            "at_31_march_last": int(table["at_31_march"].iloc[-1]),
            "load_s": round(t_load, 2), "validate_s": round(t_validate, 2), "summary_s": round(t_summary, 2),
            "validate_errors": getattr(report, "errors", None),
            "peak_mb_load": round((peak_load - base) / 1024, 0),
            "peak_mb_total": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024, 0)}


def _run_child(folder: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", str(folder)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(cases: list[str]) -> None:
    from careflow.synth import generate, generate_many

    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            t = time.perf_counter()
            if case == "large":
                folder = generate(1500, FIRST_YEAR, YEARS, 1, Path(tmp) / "large")
                what = "large LA, 1,500 children in care, 10 years (folder per year)"
            elif case == "national":
                folder = generate_many(153, 80_000, FIRST_YEAR, YEARS, 1, Path(tmp) / "national")
                what = "national, 153 LAs, ~80,000 children in care, 10 years (stacked LA/YEAR files)"
            else:
                raise SystemExit(f"unknown case {case!r} (large or national)")
            t_gen = time.perf_counter() - t
            rows = sum(sum(1 for _ in open(f)) - 1 for f in Path(folder).rglob("episodes.csv"))
            r = _run_child(folder)
            print(f"{what}: generated in {t_gen:.1f} s (not timed below); {rows:,} episode rows in the returns, "
                  f"{r['episodes']:,} cleaned episodes, {r['children']:,} children, {r['errors']} errors")
            print(f"  load (read + validate + clean) {r['load_s']:.2f} s, peak +{r['peak_mb_load']:.0f} MB; "
                  f"validate alone {r['validate_s']:.2f} s; summary {r['summary_s']:.2f} s; "
                  f"peak overall +{r['peak_mb_total']:.0f} MB; {r['at_31_march_last']:,} in care 31 March 2025")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2])))
    else:
        main(sys.argv[1:] or ["large", "national"])
