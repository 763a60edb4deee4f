"""A sha256 per output file of the demo and the main commands on the shared samples: run before and after a change
that should not change outputs (issue 16), and compare the two listings.

    .venv/bin/python benchmarks/output_hashes.py [--shared ../shared/data] [--runs 100] > hashes.txt
    diff hashes-before.txt hashes-after.txt

Runs, each as its own `careflow` process into a temporary folder: `demo`; `validate`, `summary`, `forecast` (and
`report forecast`) on the two SSDA903 samples (`cs_demand_model_combined`, and `cs_demand_model_regional_v1`
for Hillingdon with --la); `scenario` on the combined sample with three example scenarios (from its last date, 31 March 2022); `appraise` and `report
case` (docx and xlsx) on two example cases; `portfolio` (text, json, csv) and `report portfolio` on the examples'
cases. Printed output (stdout) is hashed as a file too.

Normalised before hashing (the rest is hashed byte for byte):
- text files (csv, json, md, txt, yaml, svg, stdout): the temporary folder's path and the checkout's path become
  fixed words, and ISO timestamps (2026-12-05T13:01:02..., 2026-12-05 13:01:02) become "<time>": the run's
  moment, written into summary.json, provenance and manifests;
- XLSX and DOCX (zips whose entries carry the save time): hashed member by member, docProps/core.xml's
  created/modified times and the same paths and timestamps masked inside every XML member;
- PNG and SVG charts: SOURCE_DATE_EPOCH fixes matplotlib's date and a matplotlibrc its SVG id salt (random by
  default); PNGs are then hashed as written;
- SQLite files: their SQL dump (lines sorted: the order of index statements varies), with timestamps masked.
Files whose name says "log" are left out.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = {".csv", ".json", ".md", ".txt", ".yaml", ".yml", ".svg", ".out", ".html", ".xml"}
CHECKOUT = [ROOT]  # the checkout whose paths the outputs carry (--checkout with --rehash)
TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?")


def careflow() -> list[str]:
    exe = Path(sys.executable).with_name("careflow")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "careflow.cli"]


def mask(data: bytes, out: Path) -> bytes:
    for path, word in ((str(out), b"<out>"), (str(CHECKOUT[0]), b"<checkout>")):
        data = data.replace(path.encode(), word)
    return TIMESTAMP.sub(b"<time>", data)


def digest(path: Path, out: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".docx"):
        h = hashlib.sha256()
        with zipfile.ZipFile(path) as z:
            for name in sorted(z.namelist()):
                h.update(name.encode() + b"\0" + mask(z.read(name), out) + b"\0")
        return h.hexdigest()
    if suffix in (".sqlite", ".db"):
        con = sqlite3.connect(path)
        try:  # sorted: iterdump lists a table's indexes in no fixed order
            dump = "\n".join(sorted(con.iterdump())).encode()
        finally:
            con.close()
        return hashlib.sha256(mask(dump, out)).hexdigest()
    data = path.read_bytes()
    if suffix in TEXT:
        data = mask(data, out)
    return hashlib.sha256(data).hexdigest()


def jobs(shared: Path, runs: int) -> list[tuple[str, list[str], str | None]]:
    """(name, careflow arguments with {out} for the output folder, stdout file name or None)."""
    combined = shared / "ssda903_samples" / "cs_demand_model_combined"
    regional = shared / "ssda903_samples" / "cs_demand_model_regional_v1"
    ex = ROOT / "examples"
    r = ["--runs", str(runs), "--seed", "0"]
    out = [("demo", ["demo", "--output", "{out}/demo"], "demo.out")]
    for name, data, read in (("combined", combined, []), ("regional", regional, ["--la", "Hillingdon"])):
        out += [
            (f"validate-{name}", ["validate", str(data), "--format", "json", *read], f"validate-{name}.out"),
            (f"summary-{name}", ["summary", str(data), *read], f"summary-{name}.out"),
            (f"forecast-{name}", ["forecast", str(data), "--output", f"{{out}}/forecast-{name}", *r, *read], None),
            (f"report-forecast-{name}", ["report", "forecast", f"{{out}}/forecast-{name}", "--output",
                                         f"{{out}}/report-forecast-{name}.xlsx"], None),
        ]
    for scen in ("ar6255_placement_mix", "hf_family_assist", "haringey_entries"):
        out.append((f"scenario-{scen}", ["scenario", str(ex / "scenarios" / f"{scen}.yaml"), "--data", str(combined),
                                         "--output", f"{{out}}/scenario-{scen}", "--start", "2022-03-31", *r],
                    None))
    for case in ("hf_bc2", "cambs_ar_6_255"):
        path = str(ex / "cases" / f"{case}.yaml")
        out += [
            (f"appraise-{case}", ["appraise", path, "--format", "json"], f"appraise-{case}.out"),
            (f"report-case-{case}-docx", ["report", "case", path, "--output", f"{{out}}/case-{case}.docx"], None),
            (f"report-case-{case}-xlsx", ["report", "case", path, "--output", f"{{out}}/case-{case}.xlsx"], None),
        ]
    for fmt in ("text", "json", "csv"):
        out.append((f"portfolio-{fmt}", ["portfolio", str(ex / "cases"), "--format", fmt], f"portfolio-{fmt}.out"))
    out.append(("portfolio-stated", ["portfolio", *(str(p) for p in sorted((ex / "cases").glob("haringey_*.yaml"))),
                                     "--stated", str(ex / "portfolios" / "haringey_table3.yaml")],
                "portfolio-stated.out"))
    out.append(("report-portfolio", ["report", "portfolio", str(ex / "cases"), "--output",
                                     "{out}/portfolio.xlsx"], None))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--runs", type=int, default=100, help="Monte Carlo runs for forecast and scenario")
    ap.add_argument("--keep", type=Path, default=None, help="write the outputs here instead of a temporary folder")
    ap.add_argument("--rehash", type=Path, default=None, help="hash the outputs already in this folder (a --keep "
                    "folder of an earlier run) without running anything")
    ap.add_argument("--checkout", type=Path, default=ROOT, help="with --rehash: the checkout that run used")
    args = ap.parse_args(argv)
    CHECKOUT[0] = args.checkout
    if args.rehash:
        _print_hashes(args.rehash)
        return 0
    if not args.shared.is_dir():
        print(f"no shared data at {args.shared}", file=sys.stderr)
        return 2
    out = args.keep or Path(tempfile.mkdtemp(prefix="careflow-hashes-"))
    out.mkdir(parents=True, exist_ok=True)
    (out / ".mpl").mkdir(exist_ok=True)
    # matplotlib salts SVG element ids at random unless told: a fixed salt, so SVGs compare
    (out / ".mpl" / "matplotlibrc").write_text("svg.hashsalt: careflow-output-hashes\n")
    env = {**os.environ, "CAREFLOW_SALT": "careflow-output-hashes", "XDG_CONFIG_HOME": str(out / ".config"),
           "XDG_DATA_HOME": str(out / ".data"), "CAREFLOW_DATABASE_URL": f"sqlite:///{out}/.register.sqlite",
           "MPLBACKEND": "Agg", "MATPLOTLIBRC": str(out / ".mpl"), "SOURCE_DATE_EPOCH": "1764892800"}
    failed = 0
    for name, argv_, stdout in jobs(args.shared, args.runs):
        cmd = careflow() + [a.replace("{out}", str(out)) for a in argv_]
        res = subprocess.run(cmd, capture_output=True, env=env, cwd=out)
        if stdout:
            (out / stdout).write_bytes(res.stdout)
        print(f"# {name}: exit {res.returncode}", flush=True)
        if res.returncode not in (0, 1):
            failed += 1
            print(res.stderr.decode(errors="replace")[-2000:], file=sys.stderr)
    _print_hashes(out)
    return 1 if failed else 0


def _print_hashes(out: Path) -> None:
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out)
        if rel.parts[0].startswith(".") or "log" in path.name.lower():
            continue
        print(f"{digest(path, out)}  {rel}")


if __name__ == "__main__":
    sys.exit(main())
