"""Register timings: import the example cases, read them back, edits with audit, concurrent editors.

Prints figures; results are recorded in benchmarks/RESULTS.md (## register). Usage:
    .venv/bin/python benchmarks/register.py [--database URL]   (default: a temporary SQLite file)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

from careflow.register import Register, StaleEditError, load_case

ROOT = Path(__file__).resolve().parents[1]


def _editor(url: str, worker: int, edits: int, out) -> None:
    stale = 0
    with Register(url, user=f"w{worker}", migrate=False) as reg:
        for i in range(edits):
            while True:
                s = reg.get("BC2")
                try:
                    reg.update(s.case.model_copy(update={"notes": f"w{worker}e{i}"}), s.version)
                    break
                except StaleEditError:
                    stale += 1
    out.put(stale)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", default=None)
    args = ap.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    files = sorted(ROOT.glob("examples/cases/*.yaml"))
    t = time.perf_counter()
    items = [load_case(f) for f in files]
    t_load = time.perf_counter() - t
    with Register(url, user="bench") as reg:
        t = time.perf_counter()
        reg.import_cases(items)
        t_import = time.perf_counter() - t
        t = time.perf_counter()
        n = len(reg.list())
        t_list = time.perf_counter() - t
        t = time.perf_counter()
        edits = 50
        for i in range(edits):
            s = reg.get("A/R.6.255")
            reg.update(s.case.model_copy(update={"notes": f"edit {i}"}), s.version)
        t_edit = (time.perf_counter() - t) / edits
    print(f"database: {url.split('://')[0]}")
    print(f"parse and validate {len(files)} case files: {t_load:.2f} s")
    print(f"import {len(items)} cases in one transaction (with audit rows): {t_import:.2f} s")
    print(f"list {n} cases (documents + tracking): {t_list * 1000:.0f} ms")
    print(f"read + edit + audit one case: {t_edit * 1000:.1f} ms per edit ({edits} edits)")
    ctx = mp.get_context("spawn")
    for workers in (2, 4):
        out = ctx.Queue()
        per = 20
        with Register(url, migrate=False) as reg:
            v0 = reg.get("BC2").version
        procs = [ctx.Process(target=_editor, args=(url, w, per, out)) for w in range(workers)]
        t = time.perf_counter()
        for p in procs:
            p.start()
        stale = sum(out.get() for _ in procs)
        for p in procs:
            p.join()
        wall = time.perf_counter() - t
        with Register(url, migrate=False) as reg:
            gained = reg.get("BC2").version - v0
        print(f"{workers} processes x {per} edits of one case: {wall:.1f} s wall incl. start-up, "
              f"{stale} stale edits refused and retried, {gained} of {workers * per} edits committed")


if __name__ == "__main__":
    main()
