"""Shared mode under load: signed-in users against a real ``careflow serve --shared`` on PostgreSQL, then the check
that no acknowledged edit was lost or silently overwritten and every stale edit was refused.

By default it starts everything itself on loopback and removes it afterwards: a throw-away PostgreSQL cluster (its
own folder and free port; PostgreSQL's server binaries needed), the example cases and N editor accounts (argon2, as
in real use), and the server (waitress; ``--server werkzeug`` runs the same app on werkzeug's development server
for comparison). Each virtual user signs in, then loops with a think time: reads a case page, edits a case's
Assumptions (the form's version token: concurrent editors of one case collide), records a delivered saving on the
tracking page, runs a small forecast (20-60 Monte Carlo runs, 1-3 years; polls the job until the result page).
The virtual users and the check are tests/shared_load.py (shared with the tests).

Prints p50/p95 latency per step, throughput, status counts, then the verification; exit code 1 when the
verification found a problem or a page showed a traceback or a 500. Figures go in benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/load_shared.py --users 24 --minutes 3
    .venv/bin/python benchmarks/load_shared.py --database postgresql://... --url http://127.0.0.1:8000  # a running server
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from shared_load import Load, PostgresCluster, SharedServer, postgres_bin, prepare, verify  # noqa: E402


def machine() -> str:
    mem = ""
    try:
        kb = int(next(line for line in open("/proc/meminfo") if line.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} cores{mem}, Python {platform.python_version()}, {platform.system()}"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def peak_memory_mb(pid: int) -> float:
    """The server process's peak resident memory (Linux VmHWM), in MB."""
    try:
        line = next(x for x in open(f"/proc/{pid}/status") if x.startswith("VmHWM"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration, ValueError):
        return float("nan")


def signin_burst(base: str, prepared, n: int) -> str:
    """``n`` users sign in at the same moment (a team arriving at 9:00): each sign-in is an argon2 verification
    of 64 MiB, so how many the server runs at once decides its memory."""
    import threading

    import requests

    from shared_load import PASSWORD, _token

    sessions = [requests.Session() for _ in range(n)]
    forms = [s.get(base + "/login", timeout=60).text for s in sessions]
    names = (prepared.users * (n // len(prepared.users) + 1))[:n]
    statuses, go = [], threading.Barrier(n)

    def one(i):
        go.wait()
        r = sessions[i].post(base + "/login", allow_redirects=False, timeout=300, data={
            "csrf_token": _token(forms[i]), "username": names[i], "password": PASSWORD})
        statuses.append(r.status_code)

    t = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return f"{n} simultaneous sign-ins: {statuses.count(303)} signed in, {time.perf_counter() - t:.1f} s"


def markdown(results) -> str:
    lines = ["| step | count | p50 ms | p95 ms | statuses |", "|---|---:|---:|---:|---|"]
    for r in results.table():
        statuses = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
        lines.append(f"| {r['step']} | {r['count']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {statuses} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=24, help="concurrent signed-in users (default 24)")
    ap.add_argument("--minutes", type=float, default=3.0, help="how long the load runs (default 3)")
    ap.add_argument("--cases", type=int, default=6, help="cases the users share (default 6)")
    ap.add_argument("--threads", type=int, default=8, help="the server's request threads (default 8)")
    ap.add_argument("--server", choices=["waitress", "werkzeug"], default="waitress")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--database", help="an existing register database instead of a throw-away cluster")
    ap.add_argument("--url", help="a running shared-mode server on --database instead of starting one")
    ap.add_argument("--signin-burst", type=int, default=0, metavar="N",
                    help="only this: N users sign in at once; prints the time and the server's peak memory")
    args = ap.parse_args(argv)
    if args.url and not args.database:
        ap.error("--url needs --database (users are created and edits verified there)")
    if args.url and args.signin_burst:
        ap.error("--signin-burst measures a server it starts itself (not --url)")

    print(f"machine: {machine()}; load average before: {load_average()}; "
          f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    cluster = None
    with tempfile.TemporaryDirectory(prefix="careflow-load-") as tmp:
        try:
            if args.database:
                url = args.database
            else:
                if postgres_bin() is None:
                    print("needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) or --database URL")
                    return 2
                cluster = PostgresCluster()
                url = cluster.create_database()
                print(f"PostgreSQL: throw-away cluster on port {cluster.port} ({cluster.dir})", flush=True)
            t = time.perf_counter()
            prepared = prepare(url, args.users, args.cases)
            print(f"prepared {len(prepared.users)} users, cases {', '.join(prepared.references)} in "
                  f"{time.perf_counter() - t:.1f} s", flush=True)
            server = None
            if not args.url:
                server = SharedServer(Path(tmp) / "workspace", url, threads=args.threads, server=args.server,
                                      log=Path(tmp) / "server.log").start()
            base = args.url or server.url
            print(f"server: {args.server if server else base}; {args.users} users for {args.minutes:g} min",
                  flush=True)
            if args.signin_burst:
                before = peak_memory_mb(server.proc.pid)
                print(signin_burst(base, prepared, args.signin_burst) + f"; server peak memory {before:.0f} MB "
                      f"before, {peak_memory_mb(server.proc.pid):.0f} MB after")
                server.stop()
                return 0
            try:
                results = Load(base, prepared, seed=args.seed).run(args.minutes * 60)
            finally:
                log = server.log_tail(100_000) if server else ""
                if server:
                    server.stop()
            print(f"load average after: {load_average()}")
            print(results.report())
            print()
            print(markdown(results))
            check = verify(url, prepared, results.writes)
            print()
            print(check.summary())
            for p in check.problems:
                print("  ", p)
            tracebacks = log.count("Traceback")
            print(f"tracebacks in the server log: {tracebacks}")
            return 1 if check.problems or results.problems or tracebacks else 0
        finally:
            if cluster is not None:
                cluster.close()


if __name__ == "__main__":
    sys.exit(main())
