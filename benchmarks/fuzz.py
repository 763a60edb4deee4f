"""The long fuzz run: at least 10,000 damaged inputs per reader family, counted by outcome.

    .venv/bin/python benchmarks/fuzz.py [--per-family 10000] [--seed 1] [--only ssda903,yaml]

Families and damage are those of tests/fuzz_targets.py (the test suite runs a few thousand of them on every run).
Where a command reads the input (validate, benchmark, appraise, portfolio --stated) the input goes through the
CLI in-process, and its exit code is counted; otherwise through the library reader, where a CareflowError counts
as exit 1. Anything else is a traceback; more than --hang seconds is a hang. Prints one Markdown table row per
family for benchmarks/RESULTS.md, and the first inputs that failed.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
# never the user's own config: a fixed salt and a throw-away config folder, as in the tests
os.environ.setdefault("CAREFLOW_SALT", "careflow-fuzz")
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="careflow-fuzz-config-")

from click.testing import CliRunner  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402

import fuzz_targets  # noqa: E402
from careflow.cli import main  # noqa: E402
from careflow.errors import CareflowError  # noqa: E402


class Hang(Exception):
    pass


def run_family(family, n: int, seed: int, hang: int, cli_share: float) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"careflow-fuzz-{family.name}-"))
    scratch = Path(tempfile.mkdtemp(prefix="careflow-fuzz-out-"))
    counts: collections.Counter = collections.Counter()
    failures: list[str] = []
    runner = CliRunner()
    reported = [0]

    def alarm(_s, _f):
        raise Hang()

    @settings(max_examples=n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(files=family.strategy)
    def one(files):
        fuzz_targets.clear(folder)
        fuzz_targets.write_files(folder, files)
        use_cli = family.cli is not None and (counts["inputs"] % 100) < cli_share * 100
        counts["inputs"] += 1
        old = signal.signal(signal.SIGALRM, alarm)
        signal.alarm(hang)
        try:
            if use_cli:
                counts["via CLI"] += 1
                res = runner.invoke(main, family.cli(folder, scratch))
                if isinstance(res.exception, Hang):
                    raise Hang()
                if res.exception is not None and not isinstance(res.exception, SystemExit):
                    counts["traceback"] += 1
                    failures.append(f"{family.name}: {type(res.exception).__name__}: {res.exception} <- "
                                    f"{files!r:.300}")
                else:
                    counts[f"exit {res.exit_code}"] += 1
            else:
                try:
                    family.read(folder)
                    counts["exit 0"] += 1
                except CareflowError:
                    counts["exit 1"] += 1
        except Hang:
            counts["hang"] += 1
            failures.append(f"{family.name}: hang > {hang}s <- {files!r:.300}")
        except Exception as exc:  # noqa: BLE001 - counting them is the point
            counts["traceback"] += 1
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            failures.append(f"{family.name}: {type(exc).__name__}: {exc} at {tb.filename}:{tb.lineno} <- "
                            f"{files!r:.300}")
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
        if len(failures) > reported[0]:  # at once, so a long run shows its failures before it ends
            for f in failures[reported[0]:]:
                print("FAILED", f, file=sys.stderr, flush=True)
            reported[0] = len(failures)
        if counts["inputs"] % 500 == 0:  # progress, so a run cut short still says how far it got
            print(f"progress {family.name}: {dict(counts)}", file=sys.stderr, flush=True)

    t = time.perf_counter()
    hypothesis_seed(seed)(one)()  # reproducible long run: same seed, same inputs
    counts["seconds"] = round(time.perf_counter() - t)
    return {"counts": counts, "failures": failures}


def main_(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-family", type=int, default=10_000, help="inputs per reader family (split between "
                    "its readers)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hang", type=int, default=30, help="seconds before an input counts as a hang")
    ap.add_argument("--cli-share", type=float, default=0.25, help="share of inputs sent through the CLI where "
                    "a command reads them")
    ap.add_argument("--only", default=None, help="comma-separated reader families")
    args = ap.parse_args(argv)
    fams = fuzz_targets.families()
    groups = fuzz_targets.READER_FAMILIES
    if args.only:
        groups = {k: v for k, v in groups.items() if k in args.only.split(",")}
    print(f"# careflow fuzz: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, seed {args.seed}")
    print("| reader family | readers | inputs | via CLI | exit 0 | exit 1 | exit 2 | other exit | tracebacks | "
          "hangs | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    all_failures = []
    bad = 0
    for group, names in groups.items():
        total: collections.Counter = collections.Counter()
        share = -(-args.per_family // len(names))
        for name in names:
            r = run_family(fams[name], share, args.seed, args.hang, args.cli_share)
            total.update(r["counts"])
            all_failures += r["failures"]
        other = sum(v for k, v in total.items() if k.startswith("exit ") and k not in ("exit 0", "exit 1", "exit 2"))
        bad += total["traceback"] + total["hang"] + other
        print(f"| {group} | {', '.join(names)} | {total['inputs']:,} | {total['via CLI']:,} | {total['exit 0']:,} | "
              f"{total['exit 1']:,} | {total['exit 2']:,} | {other} | {total['traceback']} | {total['hang']} | "
              f"{total['seconds']:,} |", flush=True)
    for f in all_failures[:30]:
        print("FAILED", f)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main_())
