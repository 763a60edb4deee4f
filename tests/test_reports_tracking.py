"""Case reports show the delivery tracking: indicators with tier, source, targets and actuals; risks by score;
milestones with planned and actual dates and status."""

from __future__ import annotations

import docx
import openpyxl
from click.testing import CliRunner

from careflow.cli import main

CASE = """
reference: T-9
title: Tracking in reports
units: £k
savings: {2021-22: 100}
risks:
  - {title: Demand, likelihood: 2, impact: Low}
  - {title: Recruitment, likelihood: High, impact: 4, owner: Head of service, review_date: 2022-01-31}
  - {title: Unrated}
milestones:
  - {phase: Piloting, planned: 2021-09-30, actual: 2021-10-15, status: complete}
indicators:
  - name: Children looked after
    tier: 'Tier 3: Borough and Strategic level'
    source: indicators.at_31_march
    targets: {2021-22: 4}
    actuals: {2020-21: 7, 2021-22: 5}
  - name: Family feedback
    tier: 'Tier 1: The Family Level'
"""


def test_case_workbook_and_document(tmp_path):
    path = tmp_path / "t9.yaml"
    path.write_text(CASE, encoding="utf-8")
    r = CliRunner().invoke(main, ["report", "case", str(path), "--format", "xlsx", "--output",
                                  str(tmp_path / "t9.xlsx")])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(tmp_path / "t9.xlsx")
    risks = [row for row in wb["Risks"].iter_rows(min_row=5, values_only=True) if row[0]]
    # highest score first: high (4) x 4 = 16, then 2 x low (2) = 4, then the unrated one
    assert [(row[0], row[3]) for row in risks] == [("Recruitment", 16), ("Demand", 4), ("Unrated", None)]
    assert risks[0][4] == "Head of service" and str(risks[0][5])[:10] == "2022-01-31"
    inds = [row for row in wb["Indicators"].iter_rows(min_row=5, values_only=True) if row[0]]
    assert [(row[0], row[1], row[4], row[5], row[6]) for row in inds] == [
        ("Children looked after", "Tier 3: Borough and Strategic level", "2020-21", None, 7),
        ("Children looked after", "Tier 3: Borough and Strategic level", "2021-22", 4, 5),
        ("Family feedback", "Tier 1: The Family Level", None, None, None)]
    r = CliRunner().invoke(main, ["report", "case", str(path), "--output", str(tmp_path / "t9.docx")])
    assert r.exit_code == 0, r.output
    tables = docx.Document(str(tmp_path / "t9.docx")).tables
    cells = [[c.text for c in row.cells] for t in tables for row in t.rows]
    assert ["Risk", "Likelihood", "Impact", "Score", "Mitigation", "Owner", "Review"] in cells
    assert any(row[0] == "Recruitment" and row[3] == "16" for row in cells)
    assert any(row[:2] == ["Children looked after", "Tier 3: Borough and Strategic level"] for row in cells)
    assert any(row[:5] == ["Piloting", "", "2021-09-30", "2021-10-15", "complete"] for row in cells)
