"""A council's own return loads right the first time, or says exactly why not (issue 14).

Each test starts from the hand-made base return (two children: 1 in care on 31 March 2022 after a placement move,
2 returned home; 2 starts, 1 cease, 3 episodes) rewritten the way an LA's export might write it, and checks that
the counts are those hand counts or that the command exits 1 with one clear finding: never other counts with
exit 0.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careflow.cli import main
from careflow.errors import CareflowError
from careflow.ssda903 import load, validate
from careflow.ssda903.codes import TABLE_COLUMNS
from careflow.ssda903.dates import DAY_FIRST, MONTH_FIRST, Evidence, parse, read_one
from ssda903_fixtures import YEAR, base_tables, to_csv, write_return

DATE_COLUMNS = ("DOB", "DECOM", "DEC", "MC_DOB", "DUC")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HAND = {"at_31_march": 1, "starts": 2, "ceases": 1}  # the base return, counted by hand


def _d(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def reformat(tables: dict, fmt) -> dict:
    """The tables with every date rewritten by ``fmt`` (a strftime format or a function of the date)."""
    out = {}
    for name, rows in tables.items():
        out[name] = [{k: ((fmt(_d(v)) if callable(fmt) else _d(v).strftime(fmt)) if k in DATE_COLUMNS and v else v)
                      for k, v in r.items()} for r in rows]
    return out


def _cli(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    return res


def _summary(path, *extra) -> dict:
    res = _cli("summary", path, "--format", "json", *extra)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _counts(doc, la=None) -> dict:
    (year,) = [y for y in doc["years"] if y["la"] == la]
    return {k: year[k] for k in HAND}


EXPORT_FORMATS = {
    "DD/MM/YYYY": "%d/%m/%Y",
    "DD-MM-YYYY": "%d-%m-%Y",
    "DD/MM/YY": "%d/%m/%y",
    "DD.MM.YYYY": "%d.%m.%Y",
    "ISO": "%Y-%m-%d",
    "ISO with time": "%Y-%m-%d 00:00:00",
    "13 Jul 2022": "%d %b %Y",
    "13-July-2022": "%d-%B-%Y",
    "Excel serial": lambda d: str((d - dt.date(1899, 12, 30)).days),
    "MM/DD/YYYY (US)": "%m/%d/%Y",
}


@pytest.mark.parametrize("name", list(EXPORT_FORMATS))
def test_each_export_date_format_gives_the_hand_counts(tmp_path, name):
    folder = write_return(tmp_path, reformat(base_tables(), EXPORT_FORMATS[name]))
    assert _counts(_summary(folder)) == HAND
    report = validate(folder)
    assert report.ok and report.children == 2 and report.episodes == 3, [str(f) for f in report.findings]


def test_real_excel_dates_give_the_hand_counts(tmp_path):
    t = base_tables()
    path = tmp_path / f"903_{YEAR}.xlsx"
    with pd.ExcelWriter(path) as xl:
        for name in ("episodes", "header"):
            df = pd.DataFrame(t[name])
            for c in DATE_COLUMNS:
                if c in df:
                    df[c] = pd.to_datetime(df[c], format="%d/%m/%Y")  # real date cells, not text
            df.to_excel(xl, sheet_name=name, index=False)
    assert _counts(_summary(path)) == HAND


def _us_unsettled(tmp_path):
    """A US-order return in which no date has a day above 12: nothing can say which order it is."""
    t = base_tables()
    t["episodes"][2]["DECOM"] = "01/06/2021"
    t["header"][1]["DOB"] = "05/05/2012"
    return write_return(tmp_path, reformat(t, "%m/%d/%Y"))


def test_us_order_that_nothing_settles_is_one_clear_error_and_date_format_settles_it(tmp_path):
    folder = _us_unsettled(tmp_path)
    res = _cli("summary", folder)
    assert res.exit_code == 1
    first = res.output.splitlines()[0]
    assert "CF-DATE-ORDER" in first and "--date-format" in first and "episodes.csv" in first
    assert "[141]" not in res.output  # no row listed for it
    doc = json.loads(_cli("validate", folder, "--format", "json").stdout)
    assert {i["rule"] for i in doc["issues"] if i["severity"] == "error"} == {"CF-DATE-ORDER"}
    # Told the order, the return loads right (05/01/2021 is 1 May, the episode order of the base return).
    assert _counts(_summary(folder, "--date-format", "%m/%d/%Y")) == HAND
    assert _counts(_summary(folder, "--date-format", "MM/DD/YYYY")) == HAND


def test_a_file_mixing_day_first_and_month_first_is_refused(tmp_path):
    t = base_tables()
    t["episodes"][0]["DEC"] = "06/14/2021"  # month first
    t["episodes"][1]["DECOM"] = "06/14/2021"
    t["episodes"][2]["DECOM"] = "15/06/2021"  # day first
    folder = write_return(tmp_path, t)
    with pytest.raises(CareflowError) as exc:
        load(folder)
    first = exc.value.findings[0]
    assert first.rule == "CF-DATE-ORDER" and "mixes" in first.message and first.file.endswith("episodes.csv")


def test_year_convention_never_flips_on_dates_taken_from_other_files(tmp_path):
    """Episodes whose order came from the header file do not vote on what a bare '2022' means."""
    t = base_tables()
    t["episodes"][2]["DECOM"] = "01/06/2021"  # the episodes alone settle nothing
    write_return(tmp_path, t, year="2022")
    data = load(tmp_path)
    assert any(f.rule == "CF-DATE-ORDER" and f.severity == "info" for f in data.findings)
    # "ending" (the DfE's reading) by default: 2022 = 2021-22
    assert data.years == ["2021-22"]


@pytest.mark.parametrize("placeholder", ["31/12/2999", "9999-12-31", "01/01/1850", "31/12/2101"])
def test_dates_outside_1900_2100_are_findings_never_exceptions(tmp_path, placeholder):
    t = base_tables()
    t["episodes"][1]["DEC"] = placeholder  # child 1's open episode given a placeholder end date
    t["episodes"][1]["REC"] = "E13"
    t["header"][1]["DOB"] = placeholder
    folder = write_return(tmp_path, t)
    report = validate(folder)
    (dec,) = [f for f in report.findings if f.rule == "147"]
    assert "outside 1900-2100" in dec.message and dec.row == 3
    (dob,) = [f for f in report.findings if f.rule == "102"]
    assert "outside 1900-2100" in dob.message
    res = _cli("summary", folder, "--format", "json")
    assert res.exit_code == 0 and _counts(json.loads(res.stdout))["at_31_march"] == 1  # open: still in care
    res = _cli("forecast", folder, "--output", tmp_path / "f", "--runs", "2", "--no-calibrate")
    assert "OutOfBounds" not in res.output and res.exit_code in (0, 1)


def test_parse_never_raises_on_far_dates():
    s = pd.Series(["31/12/2999", "9999-12-31", "0001-01-01", "13/07/2022", "99999", "", None])
    out = parse(s)
    assert out.isna().tolist() == [True, True, True, False, True, True, True]


_DATE_TEXT = st.one_of(
    # DD/MM/YYYY-like texts (read with numpy) with any digits, including impossible days and far years ...
    st.builds(lambda d, m, y, s1, s2: f"{d:02d}{s1}{m:02d}{s2}{y:04d}", st.integers(0, 99), st.integers(0, 99),
              st.integers(0, 9999), st.sampled_from("/-. "), st.sampled_from("/-.")),
    # ... and near misses and other layouts (read one by one)
    st.sampled_from(["29/02/1900", "29/02/2000", "29/02/2100", "31/04/2022", " 13/07/2022", "13/07/2022 00:00",
                     "1/7/2022", "13/07/22", "2022-07-13", "13 Jul 2022", "44755", "١٣/٠٧/٢٠٢٢", "", "x" * 10]),
    st.none())


@settings(max_examples=200, deadline=None)
@given(values=st.lists(_DATE_TEXT, max_size=30), month_first=st.booleans())
def test_parse_reads_every_value_as_read_one_does(values, month_first):
    # parse reads NN/NN/YYYY values with numpy: each must be what read_one makes of it (NaT outside 1900-2100)
    order = MONTH_FIRST if month_first else DAY_FIRST
    want = [read_one("" if v is None else v.strip(), order) for v in values]
    want = [d if d is not None and 1900 <= d.year <= 2100 else None for d in want]
    pd.testing.assert_series_equal(parse(pd.Series(values, dtype=object), order),
                                   pd.Series(pd.to_datetime(want), dtype="datetime64[ns]"))


def test_date_evidence_keeps_the_order_of_the_values_by_hand():
    ev = Evidence()
    ev.add(["5/7/2022", "13/07/2022", "2022-07-05", "05/07/2022", "07/13/2022", "13/7/2022", "05.07.2022", None])
    assert ev.day_first == ["13/07/2022", "13/7/2022"] and ev.month_first == ["07/13/2022"]
    assert ev.ambiguous == ["5/7/2022", "05/07/2022", "05.07.2022"]
    # the first value of each shape is its example, whether numpy or the loop read it
    assert ev.shapes == {"NN/NN/YYYY": "5/7/2022", "YYYY-MM-DD": "2022-07-05", "NN.NN.YYYY": "05.07.2022"}
    ev.add(["01/01/2020", "14-01-2020"])  # a later call adds to the lists, keeps the examples seen first
    assert ev.day_first[-1] == "14-01-2020" and ev.shapes["NN/NN/YYYY"] == "5/7/2022"
    assert ev.shapes["NN-NN-YYYY"] == "14-01-2020"


def _undated(tmp_path):
    d = tmp_path / "export"
    d.mkdir()
    t = base_tables()
    (d / "episodes.csv").write_text(to_csv(t["episodes"], list(TABLE_COLUMNS["episodes"])))
    (d / "header.csv").write_text(to_csv(t["header"], list(TABLE_COLUMNS["header"])))
    return d


def test_a_return_without_a_year_says_why_first_and_year_loads_it(tmp_path):
    d = _undated(tmp_path)
    res = _cli("summary", d)
    assert res.exit_code == 1
    first = res.output.splitlines()[0]
    assert "CF-NO-DATA" in first and "--year 2024-25" in first
    doc = json.loads(_cli("validate", d, "--format", "json").stdout)
    assert doc["issues"][0]["rule"] == "CF-NO-DATA"
    # rows excluded wholesale are summarised by one CF-YEAR per file, not listed row by row
    assert sorted(i["rule"] for i in doc["issues"]) == ["CF-NO-DATA", "CF-YEAR", "CF-YEAR"]
    assert _counts(_summary(d, "--year", YEAR)) == HAND
    assert validate(d, year=YEAR).years == [YEAR]


@pytest.mark.parametrize("bad", ["2021", "2099-00", "next year"])
def test_year_option_must_be_a_plausible_label(tmp_path, bad):
    res = _cli("summary", _undated(tmp_path), "--year", bad)
    assert res.exit_code == 1 and "--year" in res.output and "CF-USAGE" in res.output


def test_a_year_column_from_the_future_is_an_error(tmp_path):
    t = base_tables()
    rows = [{**r, "YEAR": "2099"} for r in t["episodes"]]
    (tmp_path / "episodes.csv").write_text(to_csv(rows, [*TABLE_COLUMNS["episodes"], "YEAR"]))
    report = validate(tmp_path)
    assert [f.rule for f in report.findings][0] == "CF-NO-DATA"
    assert [f.row for f in report.findings if f.rule == "CF-YEAR"] == [2, 3, 4]


def test_header_rows_that_disagree_are_findings_naming_values_and_rows(tmp_path):
    later = base_tables()
    later["header"].append({**later["header"][0], "DOB": "02/01/2010", "SEX": "2"})  # same return, line 4
    write_return(tmp_path, later)
    earlier = base_tables()
    earlier["header"][0]["DOB"] = "03/01/2010"
    write_return(tmp_path, earlier, year="2020-21")
    data = load(tmp_path)
    (dob,) = [f for f in data.findings if f.rule == "CF-HEADER-DOB"]
    assert dob.severity == "error" and dob.child == "1" and dob.field == "DOB"
    for text in ("01/01/2010 (2021-22 2021-22/header.csv line 2)", "02/01/2010 (2021-22 2021-22/header.csv line 4)",
                 "03/01/2010 (2020-21 2020-21/header.csv line 2)"):
        assert text in dob.message
    assert dob.row == 4 and dob.file.endswith("2021-22/header.csv")  # the row used: latest return, later row
    assert str(data.episodes.loc[data.episodes["source_row"] == 2, "dob"].iloc[0].date()) == "2010-01-02"
    (sex,) = [f for f in data.findings if f.rule == "CF-HEADER-SEX"]
    assert sex.severity == "warning" and "1 (" in sex.message and "2 (" in sex.message


def _stacked(tmp_path):
    """Two LAs in one LIIA-style stacked file; the same CHILD numbers in both (they are different children)."""
    t = base_tables()
    eps = [{**r, "LA": la, "YEAR": YEAR} for la in ("Aville", "Bshire") for r in t["episodes"]]
    eps += [{**t["episodes"][2], "CHILD": "3", "LA": "Bshire", "YEAR": YEAR}]  # Bshire has a third child
    hdr = [{**r, "LA": la, "YEAR": YEAR} for la in ("Aville", "Bshire") for r in t["header"]]
    hdr += [{**t["header"][1], "CHILD": "3", "LA": "Bshire", "YEAR": YEAR}]
    folder = tmp_path / "data"  # a folder of its own: outputs may not go inside an input folder
    folder.mkdir()
    (folder / "episodes.csv").write_text(to_csv(eps, [*TABLE_COLUMNS["episodes"], "LA", "YEAR"]))
    (folder / "header.csv").write_text(to_csv(hdr, [*TABLE_COLUMNS["header"], "LA", "YEAR"]))
    return folder


def test_two_las_in_one_stacked_file_are_counted_apart(tmp_path):
    folder = _stacked(tmp_path)
    doc = _summary(folder)
    assert doc["las"] == ["Aville", "Bshire"]
    assert _counts(doc, "Aville") == HAND
    assert _counts(doc, "Bshire") == {"at_31_march": 1, "starts": 3, "ceases": 2}
    one = _summary(folder, "--la", "bshire")  # case ignored
    assert [y["la"] for y in one["years"]] == ["Bshire"]
    v = json.loads(_cli("validate", folder, "--format", "json").stdout)["summary"]
    assert [(la["la"], la["children"], la["episodes"]) for la in v["las"]] == [("Aville", 2, 3), ("Bshire", 3, 4)]
    text = _cli("summary", folder).output
    assert text.index("Aville") < text.index("Bshire")
    res = _cli("summary", folder, "--la", "Cton")
    assert res.exit_code == 1 and "Aville, Bshire" in res.output


def test_forecast_and_scenario_refuse_to_pool_several_las(tmp_path):
    folder = _stacked(tmp_path)
    for args in (["forecast", folder, "--output", tmp_path / "f"],
                 ["backtest", folder, "--origins", "2021-12-31", "--horizon-months", "3"],
                 ["scenario", EXAMPLES / "scenarios" / "ar6255_placement_mix.yaml", "--data", folder, "--output",
                  tmp_path / "s"]):
        res = _cli(*args)
        assert res.exit_code == 1 and "CF-LA" in res.output and "Aville, Bshire" in res.output, res.output
        assert "--la" in res.output and "--pool" in res.output
    from careflow.pipeline import load_data

    assert set(load_data(folder, la="Aville").episodes["la"]) == {"Aville"}
    assert load_data(folder, pool=True).episodes["child"].nunique() == 5


def test_minimum_data_warning_names_the_threshold(tmp_path):
    from careflow.pipeline import load_data

    folder = write_return(tmp_path / "data", base_tables())
    res = CliRunner().invoke(main, ["forecast", str(folder), "--output", str(tmp_path / "f"), "--runs", "2",
                                    "--no-calibrate"])
    assert "CF-MIN-DATA" in res.output and "fewer than 50" in res.output and "fewer than 24" in res.output
    data = load_data(folder)
    assert data.episodes["child"].nunique() == 2
    assert [f.rule for f in data.thin] == ["CF-MIN-DATA", "CF-MIN-DATA"]


def test_row_numbers_are_file_lines_with_blank_lines_counted(tmp_path):
    t = base_tables()
    t["episodes"][2]["LS"] = "Z9"  # third data row
    write_return(tmp_path, t)
    e = tmp_path / YEAR / "episodes.csv"
    lines = e.read_text().splitlines()
    e.write_text("\n".join([lines[0], "", lines[1], lines[2], "", "", lines[3]]) + "\n")
    (f,) = [f for f in validate(tmp_path).findings if f.rule == "144"]
    assert f.row == 7  # the line a user sees the bad row on
    # a quoted field over two lines: the next record starts a line later
    e.write_text("\n".join([lines[0], lines[1].replace("CARPL", '"CAR\nPL"'), lines[2], lines[3]]) + "\n")
    (f,) = [f for f in validate(tmp_path).findings if f.rule == "144"]
    assert f.row == 5


def test_spreadsheet_rows_are_sheet_rows_with_blank_rows_counted(tmp_path):
    t = base_tables()
    t["episodes"][2]["LS"] = "Z9"
    path = tmp_path / f"903_{YEAR}.xlsx"
    blank = dict.fromkeys(TABLE_COLUMNS["episodes"], None)
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame([t["episodes"][0], blank, t["episodes"][1], t["episodes"][2]]).to_excel(
            xl, sheet_name="e", index=False)
        pd.DataFrame(t["header"]).to_excel(xl, sheet_name="h", index=False)
    (f,) = [f for f in validate(path).findings if f.rule == "144"]
    assert f.row == 5 and f.file.endswith("[e]")


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_semicolon_tab_and_pipe_separated_files(tmp_path, sep):
    write_return(tmp_path, base_tables())
    for name in ("episodes", "header"):
        p = tmp_path / YEAR / f"{name}.csv"
        p.write_text(p.read_text().replace(",", sep))
    assert _counts(_summary(tmp_path)) == HAND
    assert any(f.rule == "CF-DELIMITER" and f.severity == "info" for f in validate(tmp_path).findings)


def test_case_management_column_names_and_a_users_own(tmp_path):
    names = {"CHILD": "Child ID", "DECOM": "Date Episode Commenced", "DEC": "date_episode_ceased",
             "RNE": "Reason for New Episode", "LS": "Legal Status", "PLACE": "Placement Type", "REC": "Kid's exit"}
    write_return(tmp_path, base_tables())
    e = tmp_path / YEAR / "episodes.csv"
    head, rest = e.read_text().split("\n", 1)
    e.write_text(",".join(names.get(c, c) for c in head.split(",")) + "\n" + rest)
    report = validate(tmp_path)
    assert not report.ok  # "Kid's exit" is nobody's name for REC...
    assert [f.field for f in report.findings if f.rule == "CF-COLUMNS-MISSING"] == ["REC"]
    cols = tmp_path / "columns.yaml"
    cols.write_text("values:\n  REC: [\"Kid's exit\"]\n")
    assert _counts(_summary(tmp_path, "--columns", cols)) == HAND  # ...until the user says so
    renamed = [f for f in validate(tmp_path, columns=cols).findings if f.rule == "CF-COLUMN-NAMES"]
    assert renamed and "'Child ID' as CHILD" in renamed[0].message
    cols.write_text("values:\n  REC: [Child ID]\n  CHILD: [Child ID]\n")
    res = _cli("summary", tmp_path, "--columns", cols)
    assert res.exit_code == 1 and "already stands for" in res.output and "row 3" in res.output  # YAML line 3


def test_merged_continuations_are_counted_in_a_finding(tmp_path):
    t = base_tables()
    t["episodes"][1]["RNE"] = "L"  # child 1's second episode continues the first in the same category...
    t["episodes"][1]["PLACE"], t["episodes"][1]["PLACE_PROVIDER"] = "U4", "PR4"
    data = load(write_return(tmp_path, t))
    (f,) = [f for f in data.findings if f.rule == "CF-MERGED"]
    assert f.message.startswith("1 same-day") and len(data.episodes) == 2


# -- fuzz: the same return written the ways LAs write it, with damage; never a traceback, never a lost row ------

@st.composite
def exported_return(draw):
    fmt = draw(st.sampled_from(list(EXPORT_FORMATS)))
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    rename = draw(st.booleans())
    t = reformat(base_tables(), EXPORT_FORMATS[fmt])
    n_extra = draw(st.integers(0, 4))
    for i in range(n_extra):  # more children, some with far or broken dates
        row = {**t["episodes"][2], "CHILD": str(10 + i)}
        row["DEC"] = draw(st.sampled_from([row["DEC"], "31/12/2999", "9999-12-31", "", "not a date", "13/13/2021"]))
        t["episodes"].append(row)
        t["header"].append({**t["header"][1], "CHILD": str(10 + i)})
    blanks = draw(st.lists(st.integers(1, 3 + n_extra), max_size=3))
    extra_column = draw(st.booleans())
    la_column = draw(st.booleans())
    return fmt, sep, rename, t, blanks, extra_column, la_column


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=exported_return())
def test_fuzz_exported_returns_load_or_say_why(tmp_path_factory, case):
    fmt, sep, rename, t, blanks, extra_column, la_column = case
    root = tmp_path_factory.mktemp("export")
    d = root / YEAR
    d.mkdir()
    rows_in = len(t["episodes"])
    for name in ("episodes", "header"):
        cols = list(TABLE_COLUMNS[name]) + (["TEST_COLUMN"] if extra_column else []) + (["LA"] if la_column else [])
        rows = [{**r, "TEST_COLUMN": "x", "LA": "Aville"} for r in t[name]]
        lines = to_csv(rows, cols).splitlines()
        if rename:
            lines[0] = lines[0].replace("CHILD", "Child ID").replace("DECOM", "Date Episode Commenced")
        lines = [line.replace(",", sep) for line in lines]
        for b in sorted(blanks, reverse=True):
            lines.insert(min(b, len(lines)), "")
        (d / f"{name}.csv").write_text("\n".join(lines) + "\n")
    try:
        data = load(root)
    except CareflowError as exc:
        assert exc.findings and exc.findings[0].rule in ("CF-DATE-ORDER", "CF-NO-DATA")
        return
    # Every input row is an episode, merged into one (counted), or named by a finding that excludes it.
    merged = sum(int(f.message.split()[0]) for f in data.findings if f.rule == "CF-MERGED")
    excluded = {(f.file, f.row) for f in data.findings if "excluded" in f.message or "counted once" in f.message}
    assert len(data.episodes) + merged + len(excluded) == rows_in
    lines = (d / "episodes.csv").read_text().split("\n")
    for f in data.findings:  # every row a finding names is a non-blank line of the file
        if f.file and f.file.endswith("episodes.csv") and f.row:
            assert lines[f.row - 1].strip(), (f, lines)
    assert data.episodes["decom"].min() == pd.Timestamp("2021-05-01")  # read in the right order, whatever the layout


def test_forecast_carries_its_validation_status_to_the_report_without_child_identifiers(tmp_path):
    """The README tour's path (synth -> forecast -> report forecast) keeps the validation status, and nothing in
    the forecast folder or the finance workbook names a child."""
    import openpyxl

    la = tmp_path / "la"
    assert _cli("synth", "--children-in-care", "80", "--years", "3", "--seed", "3", "--output", la,
                "--faults", "invalid_code:0.05").exit_code == 0
    report = validate(la)
    assert report.errors > 0
    out = tmp_path / "forecast"
    res = _cli("forecast", la, "--output", out, "--runs", "5", "--no-calibrate")
    assert res.exit_code == 0, res.output
    status = json.loads((out / "validation.json").read_text())
    assert "issues" not in status and status["summary"]["errors"] == report.errors
    assert json.loads((out / "summary.json").read_text())["validation"]["errors"] == report.errors
    raw_children = {f.child for f in report.findings if f.child}
    folder_text = "".join(p.read_text() for p in out.glob("*.json"))
    assert raw_children and not any(f'"{c}"' in folder_text for c in raw_children)
    book = tmp_path / "forecast.xlsx"
    assert _cli("report", "forecast", out, "--output", book).exit_code == 0
    wb = openpyxl.load_workbook(book)
    cells = {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None}
    assert "No validation summary was supplied with this forecast." not in cells
    assert not raw_children & cells
