"""Whether the band calibration's refits running beside the Monte Carlo runs (``pipeline.forecast``) pays: whole
``careflow forecast`` processes as they are ("beside") and with the refits run after the runs ("after": a stand-in
executor that runs each submitted task when its result is asked for), alternating, ``--repeat`` times. Prints wall
and CPU time per process and the medians; asserts nothing. Run on a quiet machine.

    .venv/bin/python benchmarks/forecast_concurrency.py FOLDER [--repeat 3] [--runs 1000]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from statistics import median

CHILD = """
import sys
from careflow.cli import main as cli
import careflow.pipeline.forecast  # noqa: F401
if sys.argv[1] == "after":
    class Later:
        def __init__(self, fn, a, k):
            self.fn, self.a, self.k = fn, a, k

        def result(self):
            return self.fn(*self.a, **self.k)

    class AtResult:  # an executor whose tasks run when their result is asked for
        def __init__(self, workers):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, fn, *a, **k):
            return Later(fn, a, k)

    sys.modules["careflow.pipeline.forecast"].ThreadPoolExecutor = AtResult
cli.main(sys.argv[2:], standalone_mode=False)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--runs", type=int, default=1000)
    args = ap.parse_args()
    took: dict[str, list[tuple[float, float]]] = {"beside": [], "after": []}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.repeat):
            for variant in took:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-c", CHILD, variant, "forecast", args.folder, "--runs",
                                str(args.runs), "--output", f"{out}/{variant}"], check=True, capture_output=True)
                wall = time.perf_counter() - t0
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                took[variant].append((wall, cpu))
                print(f"{variant}: {wall:.2f} s wall / {cpu:.2f} s CPU", flush=True)
    for variant, times in took.items():
        print(f"{variant}: median {median(w for w, _ in times):.2f} s wall / {median(c for _, c in times):.2f} s CPU")


if __name__ == "__main__":
    main()
