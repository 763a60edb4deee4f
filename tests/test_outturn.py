"""The RO3 revenue outturn reader and net spend per child looked after, checked by hand against the workbooks in
../shared/data/finance (skipped when absent) and against small workbooks written here in each year's layout.

Hand figures (read off the published sheets, £ thousand, net current expenditure C7 on "Children Looked After"):
2024-25 Cambridgeshire CC 59,050; Hammersmith & Fulham 23,791; Haringey 38,423; ENGLAND 8,434,512.29579;
2023-24 Cambridgeshire CC 43,969 and Haringey 38,380. Children looked after at 31 March (DfE 2024 release):
Cambridgeshire 649 (2024) and 635 (2023); Hammersmith and Fulham 206; Haringey 334 (2024) and 372 (2023);
England 83,630 (2024).
"""

from __future__ import annotations

import pandas as pd
import pytest

from careflow.aggregate import benchmark
from careflow.aggregate.spend import unit_cost
from careflow.dfe import read_folder
from careflow.dfe.outturn import find_outturn_files, read_outturn
from careflow.errors import CareflowError

WEEKS = 365 / 7
RO3_2425 = "finance/RO3_LA_Data_2024-25_data_by_LA.ods"
RO3_2324 = "finance/RO3_2023-24_data_by_LA.ods"


@pytest.fixture(scope="module")
def ro3(shared_data):
    return read_outturn(shared_data / RO3_2425)


@pytest.fixture(scope="module")
def dfe(shared_data):
    return read_folder(shared_data / "dfe")


@pytest.mark.shared
@pytest.mark.slow
def test_2024_25_workbook_figures_by_hand(ro3):
    assert ro3.year == "2024-25"
    assert ro3.value("E10000003") == 59050  # Cambridgeshire CC
    assert ro3.value("E09000013") == 23791  # Hammersmith & Fulham
    assert ro3.value("E09000014") == 38423  # Haringey
    assert ro3.value("E92000001") == pytest.approx(8434512.29579)  # ENGLAND
    # Cambridgeshire's "of which" lines: residential 43,795, fostering 14,321, asylum 0, other 934 -> 59,050
    parts = [ro3.value("E10000003", line) for line in ("residential", "fostering", "asylum", "cla_other")]
    assert parts == [43795, 14321, 0, 934] and sum(parts) == 59050
    # Gateshead's "of which" lines are marked [note 4] (total allocated by others' proportions): no figure
    assert ro3.value("E08000037", "residential") != ro3.value("E08000037", "residential")  # NaN
    assert ro3.marker("E08000037", "residential") == "[note 4]"
    # net = total expenditure - total income on every authority row with figures (C7 = C3 - C6)
    t = ro3.table[ro3.table.line == "cla"].pivot_table(index="ons_code", columns="measure", values="value")
    t = t.dropna()
    assert len(t) > 140
    assert (t.total_expenditure - t.total_income - t.net_current_expenditure).abs().max() < 1e-3


@pytest.mark.shared
@pytest.mark.slow
def test_2023_24_layout_reads_the_same_lines(shared_data):
    o = read_outturn(shared_data / RO3_2324)
    assert o.year == "2023-24"
    assert o.value("E10000003") == 43969
    assert o.value("E09000014") == 38380
    assert o.value("E10000003", "residential") == 31683 and o.value("E10000003", "fostering") == 11543
    assert o.value("E09000015") == 0  # Harrow sent no figures for the line (workbook note 3)


@pytest.mark.shared
@pytest.mark.slow
def test_cost_per_child_per_week_by_hand(ro3, dfe):
    cambs = unit_cost(ro3, dfe, "873")
    assert cambs.children == 649 and cambs.per_child_week == pytest.approx(59050e3 / 649 / WEEKS)  # £1,744.9
    assert round(cambs.per_child_week) == 1745 and cambs.price_base == "2024-25 cash prices"
    assert unit_cost(ro3, dfe, "205").per_child_week == pytest.approx(23791e3 / 206 / WEEKS)  # £2,214.9
    assert unit_cost(ro3, dfe, "309").per_child_week == pytest.approx(38423e3 / 334 / WEEKS)  # £2,206.2
    england = unit_cost(ro3, dfe, None)
    assert england.per_child_week == pytest.approx(8434512.29579e3 / 83630 / WEEKS)  # £1,934.2
    # fostering: Cambridgeshire 14,321 over its 427 children in foster placements at 31 March 2024
    assert unit_cost(ro3, dfe, "873", "fostering").per_child_week == pytest.approx(14321e3 / 427 / WEEKS)
    gates = unit_cost(ro3, dfe, "390", "fostering")
    assert gates.per_child_week != gates.per_child_week and "[note 4]" in gates.reason


@pytest.mark.shared
@pytest.mark.slow
def test_2023_24_cost_uses_the_mean_of_opening_and_closing_counts(shared_data, dfe):
    o = read_outturn(shared_data / RO3_2324)
    h = unit_cost(o, dfe, "309")
    assert h.children == (372 + 334) / 2
    assert h.per_child_week == pytest.approx(38380e3 / 353 / WEEKS)  # £2,085.1
    harrow = unit_cost(o, dfe, "310")
    assert harrow.per_child_week != harrow.per_child_week and "£0" in harrow.reason


@pytest.mark.shared
@pytest.mark.slow
def test_benchmark_gap_priced_at_the_las_own_cost(ro3, shared_data):
    d = read_folder(shared_data)
    b = benchmark(d, "Cambridgeshire", 2024, outturn=ro3)
    assert b.gap.weekly_cost == pytest.approx(59050e3 / 649 / WEEKS)
    assert "RO3 2024-25" in b.gap.cost_source and b.gap.price_base == "2024-25 cash prices"
    assert b.gap.gap_pounds_a_year == pytest.approx(b.gap.gap_children * 59050e3 / 649)
    s = b.to_dict()["spend"]
    assert s["year"] == "2024-25" and s["la_per_child_week"] == pytest.approx(1744.9, abs=0.05)
    assert s["england"] == pytest.approx(1934.2, abs=0.05)
    assert s["neighbours_used"] == 10
    # per head: £59,050k over Cambridgeshire's mid-2024 children aged 0-17
    pop = d.population[(d.population.old_la_code == "873") & (d.population.year == 2024)].population.iloc[0]
    assert s["la_per_head"] == pytest.approx(59050e3 / pop)


def _workbook(path, layout: str):
    """A two-authority RO3 sheet in the 2023-24 (two header rows) or 2024-25 (joined header) layout."""
    line, measures = "Children's social care - Children Looked After", [
        "Employees (C1)", "Running Expenses (C2)", "Total Expenditure (C3 = C1 + C2)",
        "Sales, Fees and Charges (C4)", "Other Income (C5)", "Total Income (C6 = C4 + C5)",
        "Net Current Expenditure (C7 = C3 - C6)"]
    ids = ["E-code", "ONS Code", "Local authority", "Notes", "Class", "Detailed Class", "Certified"]
    title = [f"Worksheet 2: Revenue Outturn (RO) {'2023-24' if layout == '2023' else '2024-25'}: RO3 data"]
    rows = [title + [None] * 13]
    if layout == "2023":
        rows.append([None] * 7 + [f"{line} [note 3]"] + [None] * 6)
        rows.append(ids + [m.replace(" (", "\n (") + "2" for m in measures])
    else:
        rows.append(ids + [f"{line} - {m}" for m in measures])
    rows.append(["E0521", "E10000003", "Anyshire CC", None, "SC", "SC", "Y", 10, 90, 100, 0, 20, 20, 80])
    rows.append(["E4501", "E08000037", "Otherton", "[note 4]", "MD", "MD", "Y"] + ["[x]"] * 7)
    pd.DataFrame(rows).to_excel(path, sheet_name="RO3_LA_Data_X", header=False, index=False)


@pytest.mark.parametrize("layout", ["2023", "2024"])
def test_either_years_layout_is_found_not_assumed(tmp_path, layout):
    path = tmp_path / f"RO3_{layout}.xlsx"
    _workbook(path, layout)
    o = read_outturn(path)
    assert o.year == ("2023-24" if layout == "2023" else "2024-25")
    assert o.value("E10000003") == 80 and o.value("E10000003", measure="total_income") == 20
    assert o.marker("E08000037") == "[x]" and o.value("E08000037") != o.value("E08000037")
    assert [f.rule for f in o.findings] == ["outturn-marker"] and o.findings[0].row == 5 - (layout == "2024")
    assert find_outturn_files(tmp_path) == [path]


def test_not_an_outturn_workbook_is_a_clear_error(tmp_path):
    bad = tmp_path / "RO3_bad.xlsx"
    pd.DataFrame([["hello"]]).to_excel(bad, sheet_name="RO3_LA_Data_X", header=False, index=False)
    with pytest.raises(CareflowError, match="ONS Code"):
        read_outturn(bad)
    text = tmp_path / "RO3_text.ods"
    text.write_text("not a spreadsheet")
    with pytest.raises(CareflowError, match="not a readable spreadsheet"):
        read_outturn(text)


def test_spend_chart_names_the_la_and_its_source():
    from careflow.reports import spend_chart

    bench = {"la": {"la_name": "Anyshire"},
             "spend": {"year": "2024-25", "price_base": "2024-25 cash prices", "source": "MHCLG RO3 2024-25",
                       "la_per_child_week": 1745.0, "neighbours_median": 2164.0, "england": 1934.0,
                       "neighbours": [{"la_name": "Betaham", "per_child_week": 2000.0},
                                      {"la_name": "Gammaton", "per_child_week": None}]}}
    chart = spend_chart(bench)
    assert "Anyshire" in chart.title and list(chart.data.authority) == ["Anyshire", "Betaham"]
    assert "£1,745" in chart.alt_text and "£2,164" in chart.alt_text and "MHCLG RO3 2024-25" in chart.alt_text
    with pytest.raises(CareflowError, match="no spend section"):
        spend_chart({"la": {}, "spend": None})


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_a_cell_that_is_not_a_figure_is_marked_not_a_traceback(tmp_path, kind):
    """Found by the outturn fuzz family: a date in a number cell gave TypeError (float() of a Timestamp). A date,
    a truth value or an infinite number where a figure should be is kept as the cell's marker, value left empty
    (never guessed), and reported like the published markers when it is the children looked after net figure."""
    import datetime as dt

    from fuzz_targets import build_ods, build_xlsx, ro3_sheets

    sheets = ro3_sheets("2024")
    rows = sheets[1][1]
    header = next(i for i, r in enumerate(rows) if len(r) > 1 and r[1] == "ONS Code")
    net = rows[header].index("Children's social care - Children Looked After - Net Current Expenditure (C7 = C3 - C6)")
    rows[header + 1][net] = dt.datetime(2024, 3, 31)  # Alphaford E06000901
    rows[header + 2][net] = True  # Betaham E06000902
    rows[header + 3][net] = "inf"  # Gammaton E06000903: text, a marker as published ones are
    path = tmp_path / f"RO3_2024-25.{kind}"
    path.write_bytes(build_xlsx(sheets) if kind == "xlsx" else build_ods(sheets))
    o = read_outturn(path)
    for ons in ("E06000901", "E06000902", "E06000903"):
        assert o.value(ons) != o.value(ons)  # NaN
    assert o.marker("E06000901").startswith("not a figure: 2024-03-31")
    # ODS has no truth type of its own as pandas writes it: a boolean may come back as a number
    assert o.marker("E06000902") in ("not a figure: True",) or kind == "ods"
    assert o.marker("E06000903") == "inf"
    flagged = {f.row for f in o.findings if f.rule == "outturn-marker"}
    assert {header + 2, header + 4} <= flagged and all(f.file == str(path) for f in o.findings)
    assert o.value("E06000904") == rows[header + 4][net]  # the next authority's figure untouched
