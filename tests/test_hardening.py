"""Regression tests for the hostile-input probe (issue 15): one test per defect it found.

Each test feeds the input the probe used and checks the promise: a finding naming file (and line or field where
there is one), exit code 1, no traceback, no hang; CSV text cells neutralised; outputs never onto inputs.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from careflow.cli import main
from ssda903_fixtures import base_tables, write_return

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "examples" / "cases" / "hf_bc2.yaml"
STATED = ROOT / "examples" / "portfolios" / "haringey_table3.yaml"
SCENARIO = ROOT / "examples" / "scenarios" / "ar6255_placement_mix.yaml"


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


DEEP = "[" * 2000 + "\n"


def run(args, seconds: float = 20.0):
    t = time.perf_counter()
    res = CliRunner().invoke(main, [str(a) for a in args])
    elapsed = time.perf_counter() - t
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    assert elapsed < seconds, f"took {elapsed:.1f}s"
    return res


@pytest.fixture
def returns(tmp_path) -> Path:
    return write_return(tmp_path / "data", base_tables())


def _yaml_commands(tmp_path: Path, bad: Path, returns: Path) -> dict[str, list]:
    """Every command that reads a user YAML file, with ``bad`` as that file."""
    out = tmp_path / "out"
    return {
        "appraise": ["appraise", bad],
        "portfolio --stated": ["portfolio", CASE, "--stated", bad],
        "forecast --costs": ["forecast", returns, "--costs", bad, "--runs", "2", "--output", out / "f"],
        "forecast --categories": ["forecast", returns, "--categories", bad, "--runs", "2", "--output", out / "g"],
        "scenario": ["scenario", bad, "--data", returns, "--deterministic", "--output", out / "s"],
        "validate --categories": ["validate", returns, "--categories", bad],
        "report case": ["report", "case", bad, "--output", out / "c.docx"],
    }


@pytest.mark.parametrize("kind", ["bomb", "deep"])
def test_yaml_bomb_and_deep_nesting_are_findings_in_every_yaml_reader(tmp_path, returns, kind):
    bad = tmp_path / f"{kind}.yaml"
    bad.write_text(billion_laughs() if kind == "bomb" else DEEP)
    for name, args in _yaml_commands(tmp_path, bad, returns).items():
        res = run(args)
        assert res.exit_code == 1, (name, res.output)
        assert f"{bad}" in res.output and "yaml-limit" in res.output, (name, res.output)
        # the line is named: the anchor whose expansion passes 200,000 values (a5: 597,871), the 65th bracket
        assert ("row 6" if kind == "bomb" else "row 1") in res.output, (name, res.output)


def test_recursive_alias_is_a_finding(tmp_path):
    from careflow import yamlio
    from careflow.errors import CareflowError

    with pytest.raises(CareflowError, match="refers to the collection that contains it"):
        yamlio.loads("a: &x {b: *x}\n", file="r.yaml")


def test_huge_integer_amount_is_a_finding(tmp_path):
    text = CASE.read_text().replace("investment: {2016-17: 446,", "investment: {2016-17: " + "9" * 400 + ",")
    bad = tmp_path / "big.yaml"
    bad.write_text(text)
    res = run(["appraise", bad])
    assert res.exit_code == 1
    assert "investment" in res.output and "400 digits" in res.output and str(bad) in res.output


def test_wrong_types_in_stated_totals_are_findings(tmp_path):
    for text, field in [("units: [£k]\n", "field units"),
                        ("units: £k\nsavings_incremental_by_year: {2015-16: [1]}\n", "2015-16"),
                        ("units: £k\ntotal_savings: " + "9" * 400 + "\n", "total_savings")]:
        bad = tmp_path / "stated.yaml"
        bad.write_text(text)
        res = run(["portfolio", CASE, "--stated", bad])
        assert res.exit_code == 1 and field in res.output and str(bad) in res.output, res.output


FORMULA = "=cmd|' /C calc'!A0"


def _csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_portfolio_csv_neutralises_formulas_and_keeps_numbers(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text(CASE.read_text().replace("reference: BC2", f"reference: \"{FORMULA}\"")
                    .replace("directorate: Children's Services", "directorate: \"@SUM(A1)\""))
    res = run(["portfolio", case, "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = _csv_rows(res.output)
    groups = {(r["breakdown"], r["group"]) for r in rows}
    assert ("reference", "'" + FORMULA) in groups and ("directorate", "'@SUM(A1)") in groups
    assert not any(g.startswith(("=", "@")) for _, g in groups)
    # numbers untouched: BC2's 2017-18 figures as the document states them (£k)
    row = next(r for r in rows if r["breakdown"] == "all" and r["financial_year"] == "2017-18")
    assert (row["investment"], row["savings_incremental"], row["savings_cumulative"]) == ("1055.0", "797.0", "797.0")


def test_validate_csv_neutralises_child_values(tmp_path):
    tables = base_tables()
    for table in ("header", "episodes"):
        for row in tables[table]:
            if row["CHILD"] == "2":
                row["CHILD"] = "=HYPERLINK(\"http://x\")"
    tables["episodes"][0]["DECOM"] = "99/99/2021"  # an error on child 1, with the row number
    folder = write_return(tmp_path / "d", tables)
    out = tmp_path / "report.csv"
    res = run(["validate", folder, "--format", "csv", "--output", out])
    rows = _csv_rows(out.read_text())
    children = {r["child"] for r in rows}
    assert not any(c.startswith(("=", "+", "-", "@")) for c in children)
    assert any(r["row"].isdigit() for r in rows)  # row numbers are numbers, not quoted
    assert res.exit_code == 1


def test_neutralise_rule():
    from careflow.safecsv import neutralise

    for cell in ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx", "-", "+"]:
        assert neutralise(cell) == "'" + cell
    for cell in ["-12.5", "+3", "-1e5", "2024-25", "plain", "", 5, -3.5, None]:
        assert neutralise(cell) == cell


def test_output_refuses_the_commands_own_input(tmp_path, returns):
    target = returns / "2021-22" / "episodes.csv"
    before = target.read_bytes()
    res = run(["validate", returns, "--output", target])
    assert res.exit_code == 1 and "[output]" in res.output and "never writes onto its inputs" in res.output
    assert target.read_bytes() == before
    res = run(["validate", returns, "--output", returns / "report.txt"])  # inside the input folder
    assert res.exit_code == 1 and not (returns / "report.txt").exists()
    res = run(["portfolio", CASE, "--format", "csv"])  # stdout: nothing to check
    assert res.exit_code == 0
    case = tmp_path / "c.yaml"
    case.write_text(CASE.read_text())
    res = run(["report", "case", case, "--format", "docx", "--output", case])
    assert res.exit_code == 1 and case.read_text() == CASE.read_text()
    res = run(["forecast", returns, "--runs", "2", "--output", returns])
    assert res.exit_code == 1 and "[output]" in res.output


def test_output_does_not_follow_symlinks_out_of_its_folder(tmp_path, returns):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "report.txt").symlink_to(outside)
    res = run(["validate", returns, "--output", folder / "report.txt"])
    assert res.exit_code == 1 and "symbolic link" in res.output
    assert outside.read_text() == "keep me"
    # a folder output holding a link that leads out of it
    out = tmp_path / "fc"
    out.mkdir()
    (out / "forecast.csv").symlink_to(outside)
    res = run(["forecast", returns, "--runs", "2", "--output", out])
    assert res.exit_code == 1 and "symbolic link" in res.output
    assert outside.read_text() == "keep me"


def test_output_says_when_it_replaces(tmp_path, returns):
    out = tmp_path / "summary.csv"
    res = run(["summary", returns, "--format", "csv", "--output", out])
    assert res.exit_code == 0 and "replacing" not in res.output
    res = run(["summary", returns, "--format", "csv", "--output", out])
    assert res.exit_code == 0 and f"replacing {out}" in res.output


def test_two_installations_give_different_pseudonyms_unless_they_share_the_salt(tmp_path, monkeypatch, returns):
    from careflow import privacy
    from careflow.ssda903 import load

    monkeypatch.delenv("CAREFLOW_SALT")
    ids = {}
    for machine in ("a", "b"):
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / machine))
        ids[machine] = sorted(set(load(returns).episodes["child"]))
        assert ids[machine] == sorted(set(load(returns).episodes["child"]))  # stable on one machine
        salt = privacy.salt_path()
        assert salt.is_file() and str(salt).startswith(str(tmp_path / machine))
        assert stat.S_IMODE(salt.stat().st_mode) == 0o600
        assert stat.S_IMODE(salt.parent.stat().st_mode) == 0o700
    assert len(ids["a"]) == 2 and not set(ids["a"]) & set(ids["b"])
    shared = {}
    for machine in ("a", "b"):
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / machine))
        monkeypatch.setenv("CAREFLOW_SALT", "our team's shared secret")
        shared[machine] = sorted(set(load(returns).episodes["child"]))
    assert shared["a"] == shared["b"] and not set(shared["a"]) & set(ids["a"])


def test_pseudonym_is_a_keyed_hash_not_reversible_without_the_salt():
    import hashlib
    import hmac

    from careflow.privacy import pseudonym

    expected = hmac.new(b"k", b"\x1f1", hashlib.sha256).hexdigest()[:16]
    assert pseudonym("", "1", salt="k") == expected
    # the old published-constant scheme no longer matches
    assert pseudonym("", "1", salt="careflow-ssda903-2026") != hashlib.sha256(
        b"careflow-ssda903-2026\x1f\x1f1").hexdigest()[:16]


def test_sqlite_register_and_folder_are_owner_only(tmp_path):
    from careflow.register import Register

    db = tmp_path / "new" / "register.sqlite"
    old = os.umask(0o022)
    try:
        reg = Register(str(db), user="t")
        reg.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    for extra in db.parent.glob("register.sqlite-*"):  # WAL and shared-memory files, when left
        assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0
