"""Child-level data in shared mode (docs/shared-mode.md, "Child-level data"): an upload is stored pseudonymised
(no CHILD number or UPN anywhere under the workspace, not even inside a zip or a workbook, nor in job results), the
report and history work on the pseudonyms, the same child has the same pseudonym in every upload, and local mode
keeps the files as uploaded."""

from __future__ import annotations

import html
import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from argon2 import PasswordHasher
from test_web_data import _finish, _upload
from web_helpers import token_in

from careflow.accounts import Accounts
from careflow.privacy import pseudonyms

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PW = "correct horse battery"
SALT = "a test installation's salt"
YEARS = ("2023", "2024")


@pytest.fixture(scope="module")
def marked_returns(tmp_path_factory, anyshire_returns) -> Path:
    """Two years of Anyshire with CHILD numbers and UPNs made unmistakable (``KID``, ``UPX`` + the number), so a search of the
    workspace's bytes for them cannot match by chance."""
    root = tmp_path_factory.mktemp("marked")
    for year in YEARS:
        (root / year).mkdir()
        for table in ("header", "episodes", "uasc"):
            df = pd.read_csv(anyshire_returns / year / f"{table}.csv", dtype=str, keep_default_na=False)
            df["CHILD"] = "KID" + df["CHILD"]
            if "UPN" in df.columns:
                df["UPN"] = df["UPN"].where(df["UPN"] == "", "UPX" + df["UPN"])
            df.to_csv(root / year / f"{table}.csv", index=False)
    return root


def _identifiers(returns: Path) -> tuple[set[str], set[str]]:
    children, upns = set(), set()
    for year in YEARS:
        header = pd.read_csv(returns / year / "header.csv", dtype=str, keep_default_na=False)
        children |= set(header["CHILD"])
        upns |= {u for u in header["UPN"] if u}
    return children, upns


def _workbook_of(folder: Path) -> bytes:
    """One year's tables as sheets of one workbook (dates as text, as many exports write them)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for table in ("header", "episodes", "uasc"):
        sheet = book.create_sheet(table.capitalize())
        df = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        sheet.append(list(df.columns))
        for row in df.itertuples(index=False):
            sheet.append(list(row))
    book.properties.creator = "KID-author"  # document properties do not survive the copy either
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _contents(root: Path):
    """(where, bytes) of every file under ``root`` and of every member of every zip among them (XLSX included)."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        yield str(path), data
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for m in z.infolist():
                    yield f"{path}!{m.filename}", z.read(m)


@pytest.fixture
def shared(tmp_path, monkeypatch, anyshire_returns):
    from careflow.web import create_app
    from careflow.web.workspace import ANYSHIRE

    workspace = tmp_path / "workspace"
    shutil.copytree(anyshire_returns, workspace / "datasets" / ANYSHIRE)
    (workspace / "datasets" / ANYSHIRE / ".complete").touch()
    url = f"sqlite:///{workspace / 'register.sqlite'}"  # the register inside the workspace: searched too
    monkeypatch.setenv("CAREFLOW_DATABASE_URL", url)
    monkeypatch.setenv("CAREFLOW_SALT", SALT)
    acc = Accounts(url, hasher=FAST)
    acc.add("alice", "approver", PW, actor="test")
    acc.add("ed", "editor", PW, actor="test")
    app = create_app(workspace, testing=True, SHARED=True, ACCOUNTS=acc, JOB_WORKERS=1)
    yield app
    app.extensions["careflow.jobs"].shutdown()


def _signed_in(app, name="ed"):
    c = app.test_client()
    token = token_in(c.get("/login").get_data(as_text=True))
    assert c.post("/login", data={"csrf_token": token, "username": name, "password": PW}).status_code == 303
    return c


def _stored(app, report) -> Path:
    return app.extensions["careflow.workspace"].uploads / report.request.path.split("/")[2] / "files"


def _stored_children(folder: Path) -> dict[str, str]:
    """{file: the CHILD values of the stored copy, in row order, joined}."""
    return {str(p.relative_to(folder)): "|".join(pd.read_csv(p, dtype=str, keep_default_na=False)["CHILD"])
            for p in sorted(folder.rglob("*.csv"))}


def test_a_shared_upload_keeps_no_child_number_anywhere_in_the_workspace(shared, marked_returns):
    children, upns = _identifiers(marked_returns)
    assert len(children) > 100 and len(upns) > 100
    c = _signed_in(shared)
    assert "The copy is deleted 90 days after you upload it" in c.get("/data/upload").get_data(as_text=True)
    # one year as a workbook inside a zip, the other as CSV files in a folder of the same zip
    first = _zip({"2023.xlsx": _workbook_of(marked_returns / "2023"),
                  **{f"2024/{t}.csv": (marked_returns / "2024" / f"{t}.csv").read_bytes()
                     for t in ("header", "episodes", "uasc")}})
    report = _finish(c, _upload(c, [("returns.zip", first)], la_name="Anyshire"))
    body = report.get_data(as_text=True)
    assert report.status_code == 200 and "No errors" in body and "2022-23, 2023-24" in body
    stored = _stored(shared, report)
    assert sorted(_stored_children(stored)) == [
        "returns/2023 - Episodes.csv", "returns/2023 - Header.csv", "returns/2023 - Uasc.csv",
        "returns/2024/episodes.csv", "returns/2024/header.csv", "returns/2024/uasc.csv"]
    # the history and a forecast (its workbook is written under runs/) work on the pseudonymised copy
    history = c.get(report.request.path.replace("/report", "/history"))
    assert history.status_code == 200 and "2023-24" in history.get_data(as_text=True)
    token = token_in(c.get("/forecast/").get_data(as_text=True))
    forecast = _finish(c, c.post("/forecast/", data={"csrf_token": token, "years": "2", "runs": "20",
                                                     "trend": "no"}))
    assert forecast.status_code == 200
    assert list((shared.extensions["careflow.workspace"].runs).glob("forecast-*.xlsx"))
    # a second upload of one year, as plain CSV files
    second = _finish(c, _upload(c, [(f"{t}_2024.csv", (marked_returns / "2024" / f"{t}.csv").read_bytes())
                                    for t in ("header", "episodes", "uasc")]))
    assert second.status_code == 200
    c.get(f"/data/{second.request.path.split('/')[2]}/report.xlsx")

    needles = [re.escape(v).encode() for v in sorted(children | upns)] + [b"KID", b"UPX"]
    pattern = re.compile(b"|".join(needles))
    found = [(where, pattern.search(data).group().decode()) for where, data in _contents(shared.extensions[
        "careflow.workspace"].root) if pattern.search(data)]
    assert found == []

    # the same child has the same pseudonym in both uploads: the stored 2024 files agree row by row
    one, two = _stored_children(stored), _stored_children(_stored(shared, second))
    assert one["returns/2024/header.csv"] == two["header_2024.csv"]
    assert one["returns/2024/episodes.csv"] == two["episodes_2024.csv"]
    original = pd.read_csv(marked_returns / "2024" / "header.csv", dtype=str)["CHILD"]
    assert two["header_2024.csv"] == "|".join(pseudonyms(SALT, [("", v) for v in original]))
    # and both years of one child join in the first upload's history (one pseudonym across the workbook and CSV)
    h2023 = set(pd.read_csv(stored / "returns" / "2023 - Header.csv", dtype=str)["CHILD"])
    h2024 = set(pd.read_csv(stored / "returns" / "2024" / "header.csv", dtype=str)["CHILD"])
    orig2023 = set(pd.read_csv(marked_returns / "2023" / "header.csv", dtype=str)["CHILD"])
    orig2024 = set(original)
    assert len(h2023 & h2024) == len(orig2023 & orig2024) > 50


def test_the_shared_fix_list_names_pseudonyms_and_the_original_rows(shared, marked_returns):
    """A finding names the stored pseudonym and the row of the file as uploaded, so the data team finds the record
    in their own copy of the return."""
    episodes = (marked_returns / "2024" / "episodes.csv").read_text().splitlines()
    episodes[5] = episodes[5].replace(",P,", ",?,", 1)  # an invalid RNE on line 6 of the file
    wrong_child = episodes[5].split(",")[0]
    c = _signed_in(shared)
    files = [("episodes_2024.csv", ("\n".join(episodes) + "\n").encode()),
             ("header_2024.csv", (marked_returns / "2024" / "header.csv").read_bytes()),
             ("notes_2024.csv", b"Author,Text\nKID-author,some notes\n")]
    report = _finish(c, _upload(c, files))
    assert report.status_code == 200
    body = report.get_data(as_text=True)
    assert "by the pseudonym this server gave it" in body and "They name children" not in body
    dataset_id = report.request.path.split("/")[2]
    rows = pd.read_csv(io.BytesIO(c.get(f"/data/{dataset_id}/report.csv").data), dtype=str,
                       keep_default_na=False)
    rne = rows[rows["rule"] == "143"]
    assert rne[["file", "row", "child"]].values.tolist() == [
        ["episodes_2024.csv", "6", pseudonyms(SALT, [("", wrong_child)])[0]]]
    left_out = rows[rows["rule"] == "upload"]
    assert left_out["file"].tolist() == ["notes_2024.csv"] and "not kept" in left_out["message"].iloc[0]
    assert not (_stored(shared, report) / "notes_2024.csv").exists()


def test_local_mode_keeps_the_upload_as_it_was(client, web_app, marked_returns):
    files = [(f"{t}_2024.csv", (marked_returns / "2024" / f"{t}.csv").read_bytes()) for t in ("header", "uasc")]
    r = _upload(client, files)
    assert r.status_code == 303
    dataset_id = r.headers["Location"].split("/")[2]
    stored = web_app.extensions["careflow.workspace"].uploads / dataset_id / "files"
    assert (stored / "header_2024.csv").read_bytes() == files[0][1]


def test_a_case_edit_carrying_a_pseudonym_is_refused_until_the_register_allows_it(client, web_app):
    """The register's rule reaches the case editor: the error summary names it, nothing is saved; once allowed
    (recorded with who), the same edit saves."""
    def register():
        with web_app.app_context():
            from careflow.web.casework import register as open_register

            return open_register()

    url = "/cases/edit/assumptions/A/R.6.255"
    text = f"Child {pseudonyms('x', [('', 'KID1')])[0]} moved to in-house fostering"
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"|name="version" value="(\d+)"', page)
    version = version.group(1) or version.group(2)
    r = client.post(url, data={"csrf_token": token_in(page), "version": version, "assumptions": text})
    body = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 400 and "assumptions holds child-level data" in body
    assert register().get("A/R.6.255").version == int(version)
    register().allow_child_level(reason="test", user="dpo")
    r = client.post(url, data={"csrf_token": token_in(page), "version": version, "assumptions": text})
    assert r.status_code == 303 and register().get("A/R.6.255").case.assumptions == text
