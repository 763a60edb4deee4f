"""The register as tables (careflow.register.listing) and the register jobs a surface calls (careflow.pipeline.cases):
list with filters, delivery RAG, indicators against targets, the MTFS roll-up by council, seeding, downloads."""

from __future__ import annotations

from pathlib import Path

import pytest

from careflow.errors import CareflowError
from careflow.pipeline.cases import (
    example_case_files,
    register_portfolio_report,
    seed_register,
    stored_case_report,
)
from careflow.register import Rag, Register
from careflow.register.listing import (
    NO_RAG,
    by_authority,
    case_rows,
    delivery_rag,
    delivery_table,
    facets,
    indicator_table,
    portfolio_years,
    register_portfolios,
)

HARINGEY = "London Borough of Haringey"
HF = "London Borough of Hammersmith & Fulham"
CAMBS = "Cambridgeshire County Council"
SW_TIME = "Increase in social worker time & capacity"


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    with Register(str(tmp_path_factory.mktemp("reg") / "r.sqlite"), user="tester") as r:
        assert seed_register(r) == len(example_case_files()) > 20
        assert seed_register(r) == 0  # already has cases: nothing imported twice
        # BC2 plans 797 (2017-18) and 1,261 (2018-19) net of ongoing costs, £k against the baseline
        r.track("BC2", "2017-18", forecast=720, indicators={SW_TIME: 30})  # 720 / 797 = 90.3%: amber
        r.track("BC2", "2018-19", forecast=1300)  # above plan: green
        r.track("A/R.6.264", "2019-20", delivered=250)  # MST £321k planned, 250 delivered (78%): red
        yield r


def test_delivery_rag_is_the_latest_year_with_evidence(reg):
    assert delivery_rag(reg.get("BC2").case) == (Rag.GREEN, "2018-19")
    assert delivery_rag(reg.get("A/R.6.264").case) == (Rag.RED, "2019-20")
    hgy = reg.get("HGY-T3-01").case
    assert delivery_rag(hgy) == (Rag.NOT_STARTED, "2015-16")  # figures, nothing tracked
    assert delivery_rag(reg.get("A/R.6.258").case) == (None, None)  # no figures in the seed


def test_list_filters_by_authority_status_and_rag(reg):
    everything = case_rows(reg.list())
    assert {r.authority for r in everything} == {HARINGEY, HF, CAMBS}
    assert [r.reference for r in case_rows(reg.list(), authority=HF)] == ["BC2"]
    assert [r.reference for r in case_rows(reg.list(), rag_filter="red")] == ["A/R.6.264"]
    approved = case_rows(reg.list(), status="approved")
    assert approved and all(r.status == "approved" for r in approved)
    assert all(r.rag == NO_RAG for r in case_rows(reg.list(), authority=CAMBS)
               if r.reference == "A/R.6.258")
    f = facets(everything)
    assert f["authority"] == sorted([CAMBS, HARINGEY, HF]) and {"red", "green", "not started"} <= set(f["rag"])
    bc2 = next(r for r in everything if r.reference == "BC2")
    assert (bc2.net_saving, bc2.net_saving_year, bc2.units) == (1365.0, "2020-21", "£k")


def test_delivery_table_planned_forecast_delivered_and_rag(reg):
    rows = {r.year: r for r in delivery_table(reg.get("BC2").case)}
    assert [(rows[y].planned, rows[y].forecast, rows[y].rag) for y in ("2017-18", "2018-19", "2019-20")] == [
        (797.0, 720.0, Rag.AMBER), (1261.0, 1300.0, Rag.GREEN), (1365.0, None, Rag.NOT_STARTED)]
    assert rows["2018-19"].planned_incremental == 1261 - 797


def test_indicators_against_targets(reg):
    rows = {r.name: r for r in indicator_table(reg.get("BC2").case)}
    sw = rows[SW_TIME]
    # baseline 20%, target 40%, 30% recorded for 2017-18: half way
    assert (sw.baseline, sw.target, sw.latest_period, sw.latest, sw.progress, sw.met) == (20, 40, "2017-18", 30.0,
                                                                                         0.5, False)
    words = rows["Net reduction in numbers of looked after children"]  # baseline given in words: no progress
    assert words.progress is None and words.met is None


def test_portfolio_of_the_register_by_council_reproduces_haringey_table_3(reg):
    portfolios = register_portfolios(reg.cases())
    assert [p.authority for p in portfolios] == sorted([CAMBS, HARINGEY, HF])
    (hgy,) = register_portfolios(reg.cases(), authority=HARINGEY)
    by_year = hgy.by_year()["savings_incremental"]
    # Haringey's Table 3: £5,364k, £7,025k, £4,395k; total £16,784k
    assert [round(by_year[y]) for y in ("2015-16", "2016-17", "2017-18", "Total")] == [5364, 7025, 4395, 16784]
    table = by_authority(portfolios)
    assert list(table.index) == [p.authority for p in portfolios] and "Total" in table.columns
    assert round(table.loc[HARINGEY, "Total"]) == 16784
    assert round(table.loc[HF, "2017-18"]) == 797  # BC2's first net saving
    assert table.loc[HARINGEY].isna().any()  # years outside Haringey's cases are blank, not zero


def test_downloads_open_in_word_and_excel(reg, tmp_path):
    import docx
    import openpyxl

    bc2 = reg.get("BC2")
    out = stored_case_report(bc2.case, tmp_path / "bc2.docx", "docx", version=bc2.version)
    text = "\n".join(p.text for p in docx.Document(out).paragraphs)
    assert "Maximising Children's Social Care Effectiveness" in text
    book = openpyxl.load_workbook(stored_case_report(bc2.case, tmp_path / "bc2.xlsx", "xlsx"))
    assert len(book.sheetnames) > 1
    with pytest.raises(CareflowError, match="no investment or savings"):
        stored_case_report(reg.get("A/R.6.258").case, tmp_path / "x.xlsx", "xlsx")
    path = register_portfolio_report(reg.cases(), tmp_path / "hgy.xlsx", authority=HARINGEY)
    book = openpyxl.load_workbook(path)
    values = [c.value for row in book["MTFS incremental"].iter_rows() for c in row]
    assert "HGY-T3-01" in values
    with pytest.raises(CareflowError, match="states any savings"):
        register_portfolio_report(reg.cases(), tmp_path / "none.xlsx", authority="Nowhere")


def test_seed_register_without_examples_folder(tmp_path):
    with Register(str(tmp_path / "empty.sqlite")) as r:
        assert seed_register(r, Path(tmp_path / "missing")) == 0 and r.list() == []


def test_portfolio_years_for_the_chart(reg):
    (hf,) = register_portfolios(reg.cases(), authority=HF)
    years = {y["financial_year"]: y for y in portfolio_years(hf)}
    # BC2: 446 invested in 2016-17, then 1,055 + 200 (case level); net savings 797, 1,261, 1,365, 1,365
    assert [years[y]["investment"] for y in ("2016-17", "2017-18", "2018-19")] == [446, 1055, 200]
    assert years["2017-18"]["savings"] == 797
    assert years["2020-21"]["cumulative_net"] == -446 + (797 - 1055) + (1261 - 200) + 1365 + 1365
