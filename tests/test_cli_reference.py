"""docs/cli.md is generated from the commands' help; it must match what the commands say now."""

from pathlib import Path

from careflow.cli.reference import render


def test_cli_reference_is_current():
    doc = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
    assert doc.read_text(encoding="utf-8") == render(), (
        "docs/cli.md is out of date: run `.venv/bin/python -m careflow.cli.reference > docs/cli.md`")
