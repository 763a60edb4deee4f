"""Malformed input of every kind: exit code 1 and findings naming file, row, field and rule; never a traceback,
never a row silently dropped. A hypothesis fuzz test drives the reader with generated junk."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careflow.cli import main
from careflow.errors import CareflowError
from careflow.ssda903 import load, validate
from careflow.ssda903.codes import TABLE_COLUMNS
from ssda903_fixtures import YEAR, base_tables, to_csv, write_return


def _run(path):
    res = CliRunner().invoke(main, ["validate", str(path), "--format", "json"])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, json.loads(res.stdout)


def _rules(doc):
    return {i["rule"] for i in doc["issues"] if i["severity"] == "error"}


def _episodes_file(tmp_path):
    return tmp_path / YEAR / "episodes.csv"


def test_missing_column(tmp_path):
    write_return(tmp_path, base_tables())
    df = pd.read_csv(_episodes_file(tmp_path), dtype=str).drop(columns="PLACE")
    df.to_csv(_episodes_file(tmp_path), index=False)
    code, doc = _run(tmp_path)
    assert code == 1
    (f,) = [i for i in doc["issues"] if i["rule"] == "CF-COLUMNS-MISSING"]
    assert f["field"] == "PLACE" and f["file"].endswith("episodes.csv")


def test_extra_column_is_a_warning(tmp_path):
    write_return(tmp_path, base_tables())
    text = _episodes_file(tmp_path).read_text().splitlines()
    text = [text[0] + ",NOTES"] + [line + ",x" for line in text[1:]]
    _episodes_file(tmp_path).write_text("\n".join(text) + "\n")
    code, doc = _run(tmp_path)
    # An extra column (LIIA's TEST_COLUMN, a notes column) is ignored, so it is a warning, not an error.
    assert code == 0 and [i["severity"] for i in doc["issues"] if i["rule"] == "CF-COLUMNS-EXTRA"] == ["warning"]
    assert doc["summary"]["episodes"] == 3  # rows kept


def test_ragged_rows(tmp_path):
    write_return(tmp_path, base_tables())
    lines = _episodes_file(tmp_path).read_text().splitlines()
    lines[3] += ",extra,fields"
    lines[2] = ",".join(lines[2].split(",")[:5])
    _episodes_file(tmp_path).write_text("\n".join(lines) + "\n")
    code, doc = _run(tmp_path)
    assert code == 1
    rows = sorted((i["row"], i["message"][:12]) for i in doc["issues"] if i["rule"] == "CF-ROW-FIELDS")
    assert [r for r, _ in rows] == [3, 4]  # file lines (header = line 1)
    assert any("excluded" in i["message"] for i in doc["issues"] if i["rule"] == "CF-ROW-FIELDS")


def test_empty_and_header_only_files(tmp_path):
    write_return(tmp_path, base_tables())
    (tmp_path / YEAR / "uasc.csv").write_bytes(b"")
    code, doc = _run(tmp_path)
    assert code == 1 and "CF-EMPTY" in _rules(doc)


def test_wrong_encoding(tmp_path):
    write_return(tmp_path, base_tables())
    h = tmp_path / YEAR / "header.csv"
    h.write_bytes(h.read_bytes().replace(b"A123", b"A\xe9123"))
    code, doc = _run(tmp_path)
    assert code == 1
    (f,) = [i for i in doc["issues"] if i["rule"] == "CF-ENCODING"]
    assert f["row"] == 1 and f["file"].endswith("header.csv")
    assert doc["summary"]["children"] == 2  # still read


def test_utf16_file(tmp_path):
    write_return(tmp_path, base_tables())
    e = _episodes_file(tmp_path)
    e.write_bytes(e.read_text().encode("utf-16"))
    code, doc = _run(tmp_path)
    assert code == 1 and "CF-ENCODING" in _rules(doc) and doc["summary"]["episodes"] == 3


def test_binary_junk(tmp_path):
    write_return(tmp_path, base_tables())
    (tmp_path / YEAR / "junk.csv").write_bytes(bytes(range(256)) * 4)
    code, doc = _run(tmp_path)
    assert code == 1 and "CF-BINARY" in _rules(doc)


def test_unreadable_spreadsheet(tmp_path):
    write_return(tmp_path, base_tables())
    (tmp_path / YEAR / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    code, doc = _run(tmp_path)
    assert code == 1 and "CF-XLSX" in _rules(doc)


def test_spreadsheet_sheets_identified_by_columns_and_extra_sheets_passed_over(tmp_path):
    t = base_tables()
    t["episodes"][2]["LS"] = "Z9"  # one bad code inside the workbook
    path = tmp_path / f"903_{YEAR}.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame(t["episodes"]).to_excel(xl, sheet_name="Sheet1", index=False)
        pd.DataFrame(t["header"]).to_excel(xl, sheet_name="Sheet2", index=False)
        pd.DataFrame({"Note": ["prepared by the data team"]}).to_excel(xl, sheet_name="Notes", index=False)
    code, doc = _run(path)
    assert code == 1
    (f,) = [i for i in doc["issues"] if i["rule"] == "144"]
    assert f["file"].endswith("[Sheet1]") and f["row"] == 4 and f["field"] == "LS" and f["child"] == "2"
    notes = [i for i in doc["issues"] if i["rule"] == "CF-UNKNOWN-TABLE"]
    assert notes and notes[0]["severity"] == "warning" and notes[0]["file"].endswith("[Notes]")
    assert doc["summary"]["episodes"] == 3 and doc["summary"]["years"] == [YEAR]


def test_year_not_determinable(tmp_path):
    d = tmp_path / "returns"
    d.mkdir()
    (d / "episodes.csv").write_text(to_csv(base_tables()["episodes"], list(TABLE_COLUMNS["episodes"])))
    code, doc = _run(d)
    assert code == 1
    assert "CF-YEAR" in _rules(doc) and "CF-NO-DATA" in _rules(doc)


def test_reversed_and_impossible_dates_and_overlaps_together(tmp_path):
    t = base_tables()
    t["episodes"][2].update(DEC="01/01/2021")  # before DECOM
    t["episodes"][0].update(DECOM="30/02/2021")  # impossible
    t["header"][0].update(DOB="2010-02-30")
    code, doc = _run(write_return(tmp_path, t))
    assert code == 1 and {"356", "141", "102"} <= _rules(doc)
    excluded = [i for i in doc["issues"] if "excluded" in i["message"]]
    assert {(i["rule"], i["row"]) for i in excluded} == {("356", 4), ("141", 2)}
    assert doc["summary"]["episodes"] == 1  # 3 rows - 2 reported as excluded


def test_only_junk_gives_findings_not_traceback(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"\x00\x01\x02")
    code, doc = _run(tmp_path)
    assert code == 1 and "CF-NO-DATA" in _rules(doc)
    res = CliRunner().invoke(main, ["summary", str(tmp_path)])
    assert res.exit_code == 1 and "CF-NO-DATA" in res.output and "Traceback" not in res.output


def test_no_row_silently_dropped(tmp_path):
    """Every input episode row is in the cleaned data, merged into one, or named by an 'excluded' finding."""
    t = base_tables()
    t["episodes"] += [dict(t["episodes"][2]), {**t["episodes"][2], "CHILD": "", "DECOM": "01/10/2021"}]
    data = load(write_return(tmp_path, t))
    accounted = set(zip(data.episodes["source_file"], data.episodes["source_row"], strict=True))
    accounted |= {(f.file, f.row) for f in data.findings
                  if "excluded" in f.message or "counted once" in f.message}
    # lines 2-4 cleaned, line 5 a duplicate counted once, line 6 excluded (blank CHILD)
    assert sorted(r for _, r in accounted) == [2, 3, 4, 5, 6]


_base_csv = to_csv(base_tables()["episodes"], list(TABLE_COLUMNS["episodes"]))
_header_csv = to_csv(base_tables()["header"], list(TABLE_COLUMNS["header"]))


@st.composite
def mutated_csv(draw, base: str = _base_csv):
    data = bytearray(base.encode())
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "separator", "rename"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.sampled_from([b",", b"\n", b'"', b"\x00", b"\xff", b"31/02/2021", b"PR9",
                                                  b"CHILD", b"\r\n", b"2021-13-01", b"\n\n", b"31/12/2999",
                                                  b"9999-12-31", b"13 Jul 2022", b"07/13/2021", b"44755", b";",
                                                  b"\t", b"|", b",TEST_COLUMN"]))
        elif op == "separator":  # the whole file written with another separator, as some exports are
            data = bytearray(bytes(data).replace(b",", draw(st.sampled_from([b";", b"\t", b"|"]))))
        elif op == "rename":  # a case-management export's column names
            data = bytearray(bytes(data).replace(b"CHILD", b"Child ID", 1).replace(b"DECOM", b"Date Episode Commenced", 1))
        elif op == "delete" and data:
            del data[pos:pos + draw(st.integers(1, 20))]
        elif op == "truncate":
            data = data[:pos]
    return bytes(data)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(episodes=st.one_of(mutated_csv(), st.binary(max_size=400)),
       header=st.one_of(st.just(_header_csv.encode()), mutated_csv(_header_csv)),
       extra=st.one_of(st.none(), st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b)))
def test_fuzz_reader_only_returns_findings_or_careflow_error(tmp_path_factory, episodes, header, extra):
    d = tmp_path_factory.mktemp("fuzz") / YEAR
    d.mkdir()
    (d / "episodes.csv").write_bytes(episodes)
    (d / "header.csv").write_bytes(header)
    if extra is not None:
        (d / "book.xlsx").write_bytes(extra)
    try:
        report = validate(d.parent)
        data = load(d.parent)
    except CareflowError as exc:
        assert exc.findings
        return
    assert all(f.rule and f.severity in ("error", "warning", "info") for f in report.findings)
    assert len(data.episodes) <= max(episodes.count(b"\n"), 1)
    # No silent row loss: every Episodes row read is an episode, merged into one (counted), or named as excluded.
    from careflow.ssda903 import read_tables

    rows_read = len(read_tables(d.parent).episodes)
    merged = sum(int(f.message.split()[0]) for f in data.findings if f.rule == "CF-MERGED")
    named = {(f.file, f.row) for f in data.findings if f.file and f.file.endswith("episodes.csv")
             and ("excluded" in f.message or "counted once" in f.message or "the later row is used" in f.message)}
    too_long = sum(f.rule == "CF-ROW-FIELDS" and "excluded" in f.message and f.file.endswith("episodes.csv")
                   for f in data.findings)  # rows with more fields than the header are never read
    if rows_read:  # (the file was read as an Episodes table)
        assert len(data.episodes) + merged + len(named) == rows_read + too_long
    if extra is not None:
        assert any(f.rule == "CF-XLSX" for f in report.findings)


def test_clean_workbook_with_a_notes_sheet_passes(tmp_path):
    t = base_tables()
    path = tmp_path / f"903_{YEAR}.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame(t["header"]).rename(columns=str.lower).to_excel(xl, sheet_name="h", index=False)
        pd.DataFrame(t["episodes"]).to_excel(xl, sheet_name="e", index=False)
        pd.DataFrame({"Note": ["x"]}).to_excel(xl, sheet_name="Notes", index=False)
    code, doc = _run(path)
    assert code == 0, doc["issues"]  # the notes sheet is a warning, lower-case headers are fine
    assert doc["summary"]["children"] == 2 and doc["summary"]["warnings"] == 1


def test_summary_formats(tmp_path):
    folder = write_return(tmp_path, base_tables())
    res = CliRunner().invoke(main, ["summary", str(folder), "--format", "csv"])
    assert res.exit_code == 0
    header, row = res.stdout.strip().splitlines()
    assert header.startswith("year,at_31_march,starts,ceases,kinship_fostering")
    assert row.startswith(f"{YEAR},1,2,1,1")
    res = CliRunner().invoke(main, ["summary", str(folder)])
    assert res.exit_code == 0 and YEAR in res.stdout and "at_31_march" in res.stdout


def test_duplicate_column_missing_path_and_other_files(tmp_path):
    write_return(tmp_path, base_tables())
    lines = _episodes_file(tmp_path).read_text().splitlines()
    lines = [lines[0] + ",RNE"] + [line + ",S" for line in lines[1:]]
    _episodes_file(tmp_path).write_text("\n".join(lines) + "\n")
    (tmp_path / "readme.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / YEAR / "notes.csv").write_text("what,who\nchecked,analyst\n")
    res = CliRunner().invoke(main, ["validate", str(tmp_path), str(tmp_path / "nope"), "--format", "json"])
    doc = json.loads(res.stdout)
    assert res.exit_code == 1
    by_rule = {i["rule"]: i for i in doc["issues"]}
    assert by_rule["CF-COLUMNS"]["field"] == "RNE" and by_rule["CF-COLUMNS"]["severity"] == "error"
    assert by_rule["CF-FILE"]["file"].endswith("nope")
    assert by_rule["CF-OTHER-FILE"]["severity"] == "info" and by_rule["CF-OTHER-FILE"]["file"].endswith(".pdf")
    assert by_rule["CF-UNKNOWN-TABLE"]["severity"] == "warning"
    assert doc["summary"]["episodes"] == 3
