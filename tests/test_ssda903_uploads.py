"""Storing uploaded SSDA903 files: only CSV/XLSX/zip, names made safe, zips unpacked within limits (zip bombs,
path traversal, too many files refused), nothing kept when a file is refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from careflow.errors import CareflowError
from careflow.ssda903.uploads import Limits, safe_name, store_files, unzip


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


EPISODES = b"CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC\n1,01/04/2024,S,C2,N1,U1,PR1,,\n"


def test_csv_files_are_stored_with_safe_names(tmp_path):
    written = store_files([("../../etc/episodes 2024.csv", io.BytesIO(EPISODES)),
                           ("C:\\Users\\me\\header;2024.csv", io.BytesIO(b"CHILD,SEX,DOB\n1,1,01/01/2010\n"))],
                          tmp_path / "up")
    assert sorted(p.name for p in written) == ["episodes 2024.csv", "header_2024.csv"]
    assert all(p.parent == tmp_path / "up" for p in written)
    assert (tmp_path / "up" / "episodes 2024.csv").read_bytes() == EPISODES


def test_same_names_do_not_overwrite_each_other(tmp_path):
    written = store_files([("e.csv", io.BytesIO(b"a\n1\n")), ("E.csv", io.BytesIO(b"b\n2\n"))], tmp_path / "up")
    assert sorted(p.name for p in written) == ["E-2.csv", "e.csv"]


@pytest.mark.parametrize("name,data,says", [
    ("notes.txt", b"hello", "not a CSV, XLSX or zip file"),
    ("episodes.csv", b"", "is empty"),
    ("returns.zip", b"\x00\x01random bytes, not a zip", "not a zip file that can be opened"),
    ("book.xlsx", b"just text", "not an Excel (.xlsx) workbook"),
    ("photos.zip", None, "holds no CSV or XLSX file"),
])
def test_a_file_that_cannot_be_taken_is_named_and_nothing_is_kept(tmp_path, name, data, says):
    if data is None:
        data = _zip({"a.jpg": b"\xff\xd8"})
    good = ("episodes.csv", io.BytesIO(EPISODES))
    with pytest.raises(CareflowError) as err:
        store_files([good, (name, io.BytesIO(data))], tmp_path / "up")
    assert says in str(err.value) and name in str(err.value)
    assert not (tmp_path / "up").exists()


def test_no_file_at_all_is_refused(tmp_path):
    with pytest.raises(CareflowError, match="choose at least one file"):
        store_files([], tmp_path / "up")


def test_a_zip_keeps_its_year_folders_and_passes_over_other_members(tmp_path):
    data = _zip({"returns/2023/episodes.csv": EPISODES, "returns/2024/episodes.csv": EPISODES,
                 "__MACOSX/returns/._episodes.csv": b"junk", "returns/.hidden.csv": b"x",
                 "returns/readme.txt": b"notes"})
    written = store_files([("returns.zip", io.BytesIO(data))], tmp_path / "up")
    rel = sorted(str(p.relative_to(tmp_path / "up")) for p in written)
    assert rel == ["returns/returns/2023/episodes.csv", "returns/returns/2024/episodes.csv"]
    assert not (tmp_path / "up" / "returns.zip").exists()


def test_zip_slip_names_stay_inside_the_upload(tmp_path):
    data = _zip({"../../outside.csv": EPISODES, "/abs/path.csv": EPISODES})
    written = store_files([("evil.zip", io.BytesIO(data))], tmp_path / "up")
    for p in written:
        assert p.resolve().is_relative_to((tmp_path / "up").resolve())
    assert not (tmp_path / "outside.csv").exists()


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path):
    bomb = _zip({"episodes.csv": b"0" * (20 << 20)})  # 20 MB of zeros deflate about 1000 times
    assert len(bomb) < 100_000
    with pytest.raises(CareflowError, match="zip bomb"):
        store_files([("bomb.zip", io.BytesIO(bomb))], tmp_path / "up")
    assert not (tmp_path / "up").exists()


def test_limits_on_unpacked_size_and_number_of_files(tmp_path):
    many = _zip({f"{i}.csv": EPISODES for i in range(6)})
    with pytest.raises(CareflowError, match="more than 5 files"):
        store_files([("many.zip", io.BytesIO(many))], tmp_path / "a", Limits(files=5))
    big = _zip({"a.csv": EPISODES * 100, "b.csv": EPISODES * 100})
    with pytest.raises(CareflowError, match="unpack to more than"):
        store_files([("big.zip", io.BytesIO(big))], tmp_path / "b", Limits(bytes=len(EPISODES) * 150))
    with pytest.raises(CareflowError, match="unpack to more than"):
        store_files([("e.csv", io.BytesIO(EPISODES * 200))], tmp_path / "c", Limits(bytes=len(EPISODES) * 150))


def test_a_member_larger_than_the_zip_declares_is_refused(tmp_path):
    """A lying header: the member inflates past its declared size (counted while streaming, not trusted)."""
    raw = bytearray(_zip({"episodes.csv": EPISODES * 50}, zipfile.ZIP_DEFLATED))
    # shrink the declared uncompressed size in the central directory (last occurrence of the size field)
    true_size = len(EPISODES * 50)
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24:central + 28] = (true_size // 2).to_bytes(4, "little")
    path = tmp_path / "lying.zip"
    path.write_bytes(bytes(raw))
    with pytest.raises(CareflowError):
        unzip(path, tmp_path / "out")


def test_safe_names():
    assert safe_name("..") == "file"
    assert safe_name(".bashrc") == "bashrc"
    assert safe_name("épisodes<2024>.csv") == "_pisodes_2024_.csv"


def test_pseudonymised_copies_keep_rows_and_lines_and_hold_no_identifier(tmp_path):
    """Shared mode: CHILD (also under another name) becomes the keyed pseudonym, UPN and MC_DOB are blanked,
    every other cell and every line number (blank lines, a quoted field over two lines) stay as uploaded."""
    from careflow.privacy import pseudonyms
    from careflow.ssda903.columns import load_columns
    from careflow.ssda903.uploads import Pseudonymiser

    header = ('Child ID;SEX;DOB;ETHNIC;UPN;MOTHER;MC_DOB\n'
              'A17;1;01/02/2010;WBRI;H801200001001;1;03/04/2026\n'
              '\n'
              ' A17 ;2;"05/06/2011";"WB\nRI";;0;\n'
              ';1;01/01/2012;WBRI;X;;\n')
    p = Pseudonymiser("salt", load_columns())
    written = store_files([("header_2025.csv", io.BytesIO(header.encode()))], tmp_path / "up", pseudonymise=p)
    a17 = pseudonyms("salt", [("", "A17")])[0]
    assert [w.name for w in written] == ["header_2025.csv"]
    assert written[0].read_text() == ('Child ID;SEX;DOB;ETHNIC;UPN;MOTHER;MC_DOB\n'
                                      f'{a17};1;01/02/2010;WBRI;;1;\n'
                                      '\n'
                                      f'{a17};2;05/06/2011;"WB\nRI";;0;\n'
                                      ';1;01/01/2012;WBRI;;;\n')
    assert p.left_out == []


def test_a_pseudonymised_workbook_is_one_csv_per_sheet_and_a_table_without_child_is_left_out(tmp_path):
    import openpyxl

    from careflow.privacy import pseudonyms
    from careflow.ssda903.uploads import Pseudonymiser

    book = openpyxl.Workbook()
    book.active.title = "Episodes"
    book.active.append(["CHILD", "DECOM", "RNE"])
    book.active.append(["C1", "01/04/2024", "S"])
    book.active.append([None, None, None])
    book.active.append([1234, "02/04/2024", "P"])
    book.create_sheet("Notes").append(["Author", "Text"])
    book["Notes"].append(["C1's social worker", "private"])
    buf = io.BytesIO()
    book.save(buf)
    p = Pseudonymiser("salt")
    written = store_files([("r 2024.xlsx", io.BytesIO(buf.getvalue()))], tmp_path / "up", pseudonymise=p)
    c1, n = pseudonyms("salt", [("", "C1"), ("", "1234")])
    assert [w.name for w in written] == ["r 2024 - Episodes.csv"]
    assert written[0].read_text() == f"CHILD,DECOM,RNE\n{c1},01/04/2024,S\n\n{n},02/04/2024,P\n"
    assert [(f.file, f.severity) for f in p.left_out] == [("r 2024.xlsx [Notes]", "warning")]
    assert sorted(x.name for x in (tmp_path / "up").iterdir()) == ["r 2024 - Episodes.csv"]


def test_zip_members_whose_safe_names_meet_are_both_kept(tmp_path):
    # "a b.csv" and "a_b.csv" differ, "A;b.csv" becomes "A_b.csv": on a case-blind disk all three would be one file
    data = _zip({"r/a_b.csv": b"x\n1\n", "r/A;b.csv": b"x\n2\n", "r/a_B.csv": b"x\n3\n"})
    written = store_files([("r.zip", io.BytesIO(data))], tmp_path / "up")
    assert sorted(p.read_bytes() for p in written) == [b"x\n1\n", b"x\n2\n", b"x\n3\n"]
    assert len({str(p).lower() for p in written}) == 3


def test_a_pseudonymised_workbooks_sheet_file_does_not_overwrite_a_member_of_that_name(tmp_path):
    import openpyxl

    from careflow.privacy import pseudonyms
    from careflow.ssda903.uploads import Pseudonymiser

    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    book.active.append(["CHILD", "DECOM"])
    book.active.append(["C1", "01/04/2024"])
    buf = io.BytesIO()
    book.save(buf)
    # the workbook's sheet is stored as "x - Sheet1.csv", the name of the CSV member beside it
    for members in ({"y/x.xlsx": buf.getvalue(), "y/x - Sheet1.csv": b"CHILD,DECOM\nC2,02/04/2024\n"},
                    {"y/x - Sheet1.csv": b"CHILD,DECOM\nC2,02/04/2024\n", "y/x.xlsx": buf.getvalue()}):
        up = tmp_path / f"up{len(list(tmp_path.iterdir()))}"
        written = store_files([("y.zip", io.BytesIO(_zip(members)))], up, pseudonymise=Pseudonymiser("salt"))
        c1, c2 = pseudonyms("salt", [("", "C1"), ("", "C2")])
        assert sorted(p.read_text() for p in written) == sorted([f"CHILD,DECOM\n{c1},01/04/2024\n",
                                                                 f"CHILD,DECOM\n{c2},02/04/2024\n"])
