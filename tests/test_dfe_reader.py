"""Readers for DfE/ONS/statistical-neighbour files, on small fixtures in the DfE layouts (no /work/shared)."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careflow.dfe import half_up, parse_count, read_folder
from dfe_fixtures import rates_row, stock, write_folder, write_rates


def test_latest_release_wins_and_files_are_recognised_by_columns(tmp_path):
    d = read_folder(write_folder(tmp_path))
    kinds = sorted(f.kind for f in d.files)
    assert kinds == ["neighbours_2025", "population", "rates", "rates", "sfr_cla"]
    # 2020 is in both releases: the 2021 release (in b/nested/zzz.csv) revised it by +5
    assert d.value("101", 2020, "cla") == stock("101", 2020) + 5
    assert d.value("101", 2019, "cla") == stock("101", 2019)  # only in the older release
    assert d.value("103", 2017, "cla") == stock("103", 2017)  # SFR wide table
    assert set(d.series[d.series.year == 2020].release) == {2021}


def test_suppressed_values_are_missing_with_the_reason_kept(tmp_path):
    d = read_folder(write_folder(tmp_path))
    row = d.series[(d.series.old_la_code == "105") & (d.series.year == 2021) & (d.series.measure == "starts")]
    assert math.isnan(row.value.iloc[0]) and row.reason.iloc[0].startswith("c: confidential")
    sfr = d.series[(d.series.old_la_code == "104") & (d.series.year == 2017)]
    assert math.isnan(sfr.value.iloc[0]) and sfr.reason.iloc[0].startswith("x")
    assert not [f for f in d.findings if f.rule == "dfe-value"]  # symbols are not errors


def test_parse_count_symbols_and_junk():
    assert parse_count("12") == (12.0, "")
    assert parse_count(" 1,234 ")[0] == 1234.0
    for sym in "ckxz":
        v, why = parse_count(sym)
        assert math.isnan(v) and why.startswith(sym)
    v, why = parse_count("#VALUE!")
    assert math.isnan(v) and why.startswith("invalid")
    assert half_up(2.5) == 3 and half_up(3.5) == 4 and half_up(2.4999) == 2


def test_bad_value_gives_a_finding_with_file_row_and_field(tmp_path):
    f = write_rates(tmp_path / "r.csv", [rates_row(2020, "101", "cla", 50), rates_row(2020, "102", "cla", "lots")])
    d = read_folder(tmp_path)
    bad = [x for x in d.findings if x.rule == "dfe-value"]
    assert len(bad) == 1 and bad[0].file == str(f) and bad[0].row == 2 and bad[0].field == "number"
    assert d.value("101", 2020, "cla") == 50 and math.isnan(d.value("102", 2020, "cla"))


def test_bad_year_row_is_skipped_and_reported(tmp_path):
    write_rates(tmp_path / "r.csv", [rates_row(2020, "101", "cla", 50), rates_row("20x0", "102", "cla", 9)])
    d = read_folder(tmp_path)
    assert [(x.rule, x.row, x.field) for x in d.findings] == [("dfe-year", 2, "time_period")]


def test_wrong_columns_empty_and_binary_files_are_reported_not_fatal(tmp_path):
    (tmp_path / "wrong.csv").write_text("a,b,c\n1,2,3\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "junk.csv").write_bytes(b"\x00\xff\xfe garbage \x00\x01")
    (tmp_path / "latin.csv").write_bytes("caf\xe9,x\n1,2\n".encode("latin-1"))
    write_rates(tmp_path / "ok.csv", [rates_row(2020, "101", "cla", 50)])
    d = read_folder(tmp_path)
    rules = sorted(f.rule for f in d.findings)
    assert rules == ["dfe-empty", "dfe-unreadable", "dfe-unrecognised", "dfe-unrecognised"]
    assert d.value("101", 2020, "cla") == 50


def test_sfr_file_year_wins_over_a_mislabelled_column(tmp_path):
    (tmp_path / "SFR34_ADM2015.csv").write_text(
        "New_geog_code,geog_l,geog_c,geog_n,CLA_started2014,CLA_taken2014\nE06000901,LA,101,ALPHAFORD,31,2\n")
    d = read_folder(tmp_path)
    assert d.value("101", 2015, "starts") == 31
    assert [f.rule for f in d.findings] == ["dfe-sfr-year"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(tmp_path, blob):
    f = tmp_path / "fuzz.csv"
    f.write_bytes(blob)
    d = read_folder(f)
    assert d.series.empty or set(d.series.columns) >= {"old_la_code", "year", "value"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet="0123456789ckxz.,-ab ", max_size=6), min_size=3, max_size=3))
def test_fuzzed_cells_in_a_rates_file_never_raise(tmp_path, cells):
    year, number, rate = cells
    f = tmp_path / "fuzz_rates.csv"
    write_rates(f, [rates_row(2020, "101", "cla", 50), rates_row(year, "102", "starts", number, rate=rate)])
    d = read_folder(f)
    assert d.value("101", 2020, "cla") == 50


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_corrupted_real_layouts_never_raise(tmp_path_factory, data):
    root = write_folder(tmp_path_factory.mktemp("corrupt"))
    files = sorted(p for p in root.rglob("*.csv"))
    victim = files[data.draw(st.integers(0, len(files) - 1))]
    text = victim.read_bytes()
    cut = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.binary(max_size=40))
    victim.write_bytes(text[:cut] + junk + text[cut + len(junk):])
    d = read_folder(root)  # findings, never an exception
    assert all(f.file for f in d.findings if f.rule.startswith("dfe-") and f.rule != "dfe-folder")
