"""Zip bombs inside spreadsheets (issue 15 fuzzing: XLSX and ODS are zips): refused by every spreadsheet reader
before it unpacks anything, as a finding naming the file and the swollen member, never a hang.

Found by the fuzz families for SSDA903 XLSX returns and RO3 outturn workbooks: a 200 MB sheet of one-cell rows
that compresses about 400 times (500 KB on disk) held pandas/openpyxl for 142 s on an SSDA903 return and odfpy past
60 s on an RO3 ODS. The bombs here are smaller (20 MB, the same ratio) so the tests stay quick; the limit is the
ratio, not the size.
"""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from careflow.archives import MAX_RATIO, check_spreadsheet
from careflow.errors import CareflowError
from fuzz_targets import build_ods, build_xlsx, ro3_sheets, ssda903_xlsx_sheets, workbook_seed, zip_bomb
from ssda903_fixtures import YEAR


def _ratio_of_largest(data: bytes) -> float:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        big = max(z.infolist(), key=lambda i: i.file_size)
        return big.file_size / big.compress_size


def test_the_bombs_are_bombs_and_the_seeds_are_not():
    seed = build_xlsx(ssda903_xlsx_sheets())
    assert _ratio_of_largest(zip_bomb(seed, 20)) > MAX_RATIO > 20 > _ratio_of_largest(seed)


def test_ssda903_xlsx_bomb_is_a_finding_not_a_hang(tmp_path):
    from careflow.ssda903 import validate

    path = tmp_path / YEAR / "return.xlsx"
    path.parent.mkdir()
    path.write_bytes(zip_bomb(build_xlsx(ssda903_xlsx_sheets()), 20))
    t = time.perf_counter()
    report = validate(tmp_path)
    assert time.perf_counter() - t < 10  # refused from the zip directory; opened, it parsed for minutes
    bomb = [f for f in report.findings if f.rule == "CF-XLSX"]
    assert len(bomb) == 1 and bomb[0].file == str(path)
    assert "xl/worksheets/" in bomb[0].message and "zip bomb" in bomb[0].message


@pytest.mark.parametrize("kind", ["ods", "xlsx"])
def test_outturn_bomb_is_refused(tmp_path, kind):
    from careflow.dfe.outturn import read_outturn

    sheets = ro3_sheets("2024")
    path = tmp_path / f"RO3_2024-25.{kind}"
    path.write_bytes(zip_bomb(build_ods(sheets) if kind == "ods" else build_xlsx(sheets), 20))
    with pytest.raises(CareflowError, match="zip bomb") as err:
        read_outturn(path)
    f = err.value.findings[0]
    assert f.file == str(path) and f.rule == "outturn-unreadable"
    assert ("content.xml" if kind == "ods" else "xl/worksheets/") in f.message


def test_register_workbook_bomb_is_refused(tmp_path):
    from careflow.register.workbook import read_workbook

    path = tmp_path / "case.xlsx"
    path.write_bytes(zip_bomb(workbook_seed(), 20))
    with pytest.raises(CareflowError, match="zip bomb") as err:
        read_workbook(path)
    assert err.value.findings[0].rule == "xlsx-file" and err.value.findings[0].file == str(path)


def test_small_highly_compressible_parts_and_non_zips_pass_to_the_reader(tmp_path):
    # a member under 1 MB is never a bomb whatever its ratio; a non-zip is left to the reader's own message
    small = tmp_path / "small.xlsx"
    with zipfile.ZipFile(small, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", b" " * 500_000)
    assert check_spreadsheet(small, "r") is None
    text = tmp_path / "text.xlsx"
    text.write_text("not a zip")
    assert check_spreadsheet(text, "r") is None


def test_shared_mode_upload_of_a_workbook_bomb_is_refused(tmp_path):
    # shared mode pseudonymises an uploaded workbook in memory with openpyxl: the same bomb, the same refusal
    from careflow.ssda903.uploads import Pseudonymiser, store_files

    data = zip_bomb(build_xlsx(ssda903_xlsx_sheets()), 20)
    with pytest.raises(CareflowError, match="zip bomb") as err:
        store_files([("return.xlsx", io.BytesIO(data))], tmp_path / "up", pseudonymise=Pseudonymiser("salt"))
    assert err.value.findings[0].file == "return.xlsx" and not list((tmp_path / "up").rglob("*.csv"))
