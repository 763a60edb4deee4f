"""A case takes its savings from a scenario run: the mean, P10 and P90 by financial year, the scenario named as
the source and its price base, into appraise, the register, the Word and Excel documents and the portfolio."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import docx
import openpyxl
import pytest

from careflow.finance import appraise
from careflow.finance.render import appraisal_text
from careflow.register import load_finance_case
from careflow.register.casefile import load_case
from careflow.reports import case_document, portfolio_workbook

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "cases"
DIFFERENCE = ("financial_year,lever,children_mean,care_days_mean,pounds_mean,pounds_p10,pounds_p90\n"
              "2025-26,all,3.0,900,510000,306000,714000\n"
              "2026-27,all,4.0,1200,1248480,832320,1664640\n")
SUMMARY = {"scenario": "More foster carers", "file": "scenarios/more_carers.yaml", "data": "Anyshire", "runs": 200,
           "seed": 3, "deterministic": False, "price_base": "cash prices of each financial year"}


def _case(tmp_path, extra: str = "") -> Path:
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    (run / "difference.csv").write_text(DIFFERENCE, encoding="utf-8")
    (run / "summary.json").write_text(json.dumps(SUMMARY), encoding="utf-8")
    f = tmp_path / "case.yaml"
    f.write_text("reference: S2\ntitle: More foster carers\nauthority: Anyshire Council\nunits: £k\n"
                 f"savings_from: {{file: run/difference.csv{extra}}}\n", encoding="utf-8")
    return f


def test_mean_p10_p90_and_the_scenario_named(tmp_path):
    case = load_finance_case(_case(tmp_path))
    fin = case.financials
    assert {y.label: v for y, v in fin.savings.items()} == {"2025-26": 510, "2026-27": 1248.48}  # pounds / 1,000
    assert {y.label: v for y, v in fin.savings_p10.items()} == {"2025-26": 306, "2026-27": 832.32}
    assert {y.label: v for y, v in fin.savings_p90.items()} == {"2025-26": 714, "2026-27": 1664.64}
    assert fin.savings_source.startswith("careflow scenario 'More foster carers' (scenarios/more_carers.yaml)")
    assert "200 Monte Carlo runs, seed 3" in fin.savings_source and "priced on Anyshire" in fin.savings_source
    assert fin.price_base == "cash prices of each financial year"
    a = appraise(case)
    # no investment: NPV = 510 + 1,248.48 x 1/1.035 (Green Book, t = 0 in the first year) = 1,716.25
    assert a.measures.npv == pytest.approx(510 + 1248.48 / 1.035)
    assert a.savings_range == [{"financial_year": "2025-26", "p10": 306, "mean": 510, "p90": 714},
                               {"financial_year": "2026-27", "p10": 832.32, "mean": 1248.48, "p90": 1664.64}]
    text = appraisal_text(a)
    assert "Amounts in £k, cash prices of each financial year." in text
    assert "2026-27       £832k     £1,248k     £1,665k" in text


def test_savings_restated_at_the_case_price_base(tmp_path):
    # the scenario's cash savings in 2024-25 prices: careflow's index is 2% a year from 2025-26 (inflation.yaml),
    # so 2025-26's £510k is £500k and 2026-27's £1,248.48k is 1,248.48 / 1.02 / 1.02 = £1,200k
    fin = load_finance_case(_case(tmp_path, ", prices_year: 2024-25")).financials
    assert [round(v, 6) for v in fin.savings.values()] == [500, 1200]
    assert [round(v, 6) for v in fin.savings_p90.values()] == [700, 1600]
    assert fin.price_base.startswith("2024-25 prices")


def test_the_register_keeps_the_figures_and_the_source(tmp_path):
    case, _ = load_case(_case(tmp_path))
    assert case.financials["savings"] == {"2025-26": 510, "2026-27": 1248.48}
    assert case.financials["savings_p90"]["2026-27"] == 1664.64
    assert "More foster carers" in case.financials["savings_source"]
    from careflow.register import finance_case

    stored = finance_case(case)  # no file: what the register has is enough to appraise
    assert appraise(stored).measures.npv == pytest.approx(510 + 1248.48 / 1.035)


def test_word_and_excel_and_portfolio_name_the_scenario(tmp_path):
    f = _case(tmp_path)
    case, _ = load_case(f)
    a = appraise(load_finance_case(f)).to_dict()
    buf = io.BytesIO()
    case_document(buf, case, a)
    d = docx.Document(io.BytesIO(buf.getvalue()))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "Savings source: careflow scenario 'More foster carers'" in text
    assert "cash prices of each financial year" in text
    rows = [[c.text for c in r.cells] for t in d.tables for r in t.rows]
    assert ["2026-27", "£832k", "£1,248k", "£1,665k"] in rows
    out = tmp_path / "p.xlsx"
    portfolio_workbook(out, [(case, a)], title="Anyshire")
    ws = openpyxl.load_workbook(out)["MTFS incremental"]
    cells = ws[ws.tables["MTFSIncremental"].ref]
    header = [c.value for c in cells[0]]
    row = dict(zip(header, [c.value for c in cells[1]], strict=True))
    assert row["Source of savings"].startswith("careflow scenario 'More foster carers'")
    assert row["Price base"] == "cash prices of each financial year"
    assert (row["2025-26 £k"], row["2026-27 £k"]) == (510, pytest.approx(738.48))  # incremental: 1,248.48 - 510


def test_ar_6_255_takes_its_savings_from_its_scenario():
    case = load_finance_case(EXAMPLES / "cambs_ar_6_255.yaml")
    with open(EXAMPLES / "scenario_runs" / "ar6255_placement_mix" / "difference.csv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["lever"] == "all"]
    assert {y.label: v for y, v in case.financials.savings.items()} == \
        {r["financial_year"]: float(r["pounds_mean"]) / 1000 for r in rows}
    assert {y.label: v for y, v in case.financials.savings_p10.items()} == \
        {r["financial_year"]: float(r["pounds_p10"]) / 1000 for r in rows}
    assert "careflow scenario 'A/R.6.255 placement mix'" in case.financials.savings_source
    assert case.authority == "Cambridgeshire County Council"
