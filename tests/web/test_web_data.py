"""The Data journey through the Flask test client: uploads (good and bad), the validation report with its filters
and downloads, the collection-year question, the history with its filters. Bad uploads give the GOV.UK error
summary, never a 500."""

from __future__ import annotations

import io
import os
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from web_helpers import token_in

from careflow.web import create_app


def _finish(client, response, tries: int = 600):
    """Follow redirects, waiting on job progress pages, until a page that is not a job's."""
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    for _ in range(tries):
        r = client.get(location)
        if r.status_code == 303:
            location = r.headers["Location"]
            continue
        if "/jobs/" not in location:
            return r
        assert r.status_code == 200 and "Something went wrong" not in r.get_data(as_text=True)
        time.sleep(0.1)
    raise AssertionError(f"still waiting at {location}")


def _upload(client, files, **fields):
    token = token_in(client.get("/data/upload").get_data(as_text=True))
    data = {"csrf_token": token, **fields, "files": [(io.BytesIO(body), name) for name, body in files]}
    return client.post("/data/upload", data=data, content_type="multipart/form-data")


def _returns_files(folder: Path) -> list[tuple[str, bytes]]:
    return [(str(p.relative_to(folder)), p.read_bytes()) for p in sorted(folder.rglob("*.csv"))]


def _zip_of(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.rglob("*.csv")):
            z.write(p, p.relative_to(folder))
    return buf.getvalue()


def _error_summary(r) -> str:
    body = r.get_data(as_text=True)
    assert 'class="govuk-error-summary' in body, body[:2000]
    assert "<title>Error: " in body
    return body


@pytest.mark.parametrize("name,body,says", [
    ("random.zip", os.urandom(4096), "not a zip file that can be opened"),
    ("notes.txt", b"some notes", "not a CSV, XLSX or zip file"),
    ("episodes.csv", b"", "is empty"),
    ("returns.xlsx", os.urandom(2048), "not an Excel (.xlsx) workbook"),
])
def test_a_bad_upload_is_the_error_summary(client, name, body, says):
    r = _upload(client, [(name, body)])
    assert r.status_code == 400
    assert says in _error_summary(r)


def test_a_zip_bomb_is_the_error_summary(client):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("episodes.csv", b"0" * (50 << 20))
    r = _upload(client, [("bomb.zip", buf.getvalue())])
    assert r.status_code == 400
    assert "refused as a zip bomb" in _error_summary(r)


def test_no_file_chosen_is_the_error_summary(client):
    r = _upload(client, [])
    assert r.status_code == 400 and "choose at least one file" in _error_summary(r)


def test_too_large_an_upload_is_the_error_summary_naming_the_limit(tmp_path):
    app = create_app(tmp_path, testing=True, MAX_CONTENT_LENGTH=64 * 1024)  # stands in for 1 GB and more
    client = app.test_client()
    r = _upload(client, [("episodes.csv", b"x" * (256 * 1024))])
    assert r.status_code == 413
    assert "smaller than 64 KB in all" in _error_summary(r)


def test_random_bytes_named_csv_are_reported_by_the_validation_report(client):
    r = _finish(client, _upload(client, [("episodes_2024.csv", os.urandom(8192))]))
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "govuk-error-summary" in body
    assert "CF-BINARY" in body or "CF-ENCODING" in body


def test_a_bad_collection_year_is_an_inline_error(client):
    r = _upload(client, [("episodes.csv", b"CHILD,DECOM\n1,01/04/2024\n")], year="next year")
    assert r.status_code == 400
    body = _error_summary(r)
    assert "Enter the collection year like 2024-25" in body and 'href="#year"' in body


def test_a_post_without_the_csrf_token_is_refused(client):
    r = client.post("/data/upload", data={"files": [(io.BytesIO(b"a"), "a.csv")]},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "The form has expired" in r.get_data(as_text=True)


def test_upload_validate_download_and_history_of_anyshire_as_a_zip(client, anyshire_returns, web_app):
    r = _upload(client, [("anyshire.zip", _zip_of(anyshire_returns))], la_name="Anyshire again")
    report = _finish(client, r)
    body = report.get_data(as_text=True)
    assert report.status_code == 200 and "Validation report" in body and "Anyshire again" in body
    assert "No errors" in body and "2019-20, 2020-21, 2021-22, 2022-23, 2023-24, 2024-25" in body
    path = report.request.path
    dataset_id = path.split("/")[2]
    assert len(dataset_id) == 32
    stored = web_app.extensions["careflow.workspace"].uploads / dataset_id / "files"
    assert sorted(p.name for p in stored.rglob("*.csv")) == sorted(p.name for p in anyshire_returns.rglob("*.csv"))
    # downloads: every finding, CSV and Excel
    csv = client.get(f"/data/{dataset_id}/report.csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert csv.get_data(as_text=True).splitlines()[0] == "rule,severity,file,row,child,field,message"
    xlsx = client.get(f"/data/{dataset_id}/report.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["Summary", "Findings"]
    assert len(csv.get_data(as_text=True).splitlines()) == book["Findings"].max_row - 3  # heading rows
    # it is now the selected data
    assert "Selected" in client.get("/data/").get_data(as_text=True)
    history = client.get(f"/data/{dataset_id}/history")
    text = history.get_data(as_text=True)
    assert history.status_code == 200 and "2024-25" in text and "Show the 72 months" in text


def test_the_report_filters_by_severity_rule_and_file(client, anyshire_returns, tmp_path):
    episodes = (anyshire_returns / "2025" / "episodes.csv").read_text().splitlines()
    header = (anyshire_returns / "2025" / "header.csv").read_bytes()
    bad = "\n".join([episodes[0], episodes[1].replace("/", "-", 1).replace(",", ",ZZ", 1)] + episodes[2:]) + "\n"
    r = _finish(client, _upload(client, [("episodes_2025.csv", bad.encode()), ("header_2025.csv", header)]))
    dataset_id = r.request.path.split("/")[2]
    all_rules = r.get_data(as_text=True)
    assert "There " in all_rules and "govuk-error-summary" in all_rules
    shown = re.compile(r"Showing (\d+) of (\d+) findings")
    errors, total = map(int, shown.search(client.get(f"/data/{dataset_id}/report?severity=error").get_data(
        as_text=True)).groups())
    warnings, _ = map(int, shown.search(client.get(f"/data/{dataset_id}/report?severity=warning").get_data(
        as_text=True)).groups())
    info, _ = map(int, shown.search(client.get(f"/data/{dataset_id}/report?severity=info").get_data(
        as_text=True)).groups())
    assert errors >= 1 and errors + warnings + info == total
    in_header, _ = map(int, shown.search(client.get(f"/data/{dataset_id}/report?file=header_2025.csv").get_data(
        as_text=True)).groups())
    in_episodes, _ = map(int, shown.search(client.get(
        f"/data/{dataset_id}/report?file=episodes_2025.csv").get_data(as_text=True)).groups())
    assert in_episodes >= 1 and in_header + in_episodes <= total
    none = client.get(f"/data/{dataset_id}/report?rule=NO-SUCH-RULE").get_data(as_text=True)
    assert f"Showing 0 of {total} findings" in none


def test_files_that_do_not_say_their_year_ask_for_it(client, anyshire_returns):
    files = [("episodes.csv", (anyshire_returns / "2025" / "episodes.csv").read_bytes()),
             ("header.csv", (anyshire_returns / "2025" / "header.csv").read_bytes())]
    report = _finish(client, _upload(client, files))
    body = report.get_data(as_text=True)
    dataset_id = report.request.path.split("/")[2]
    assert "Tell careflow which collection year the files are" in body and f"/data/{dataset_id}/year" in body
    page = client.get(f"/data/{dataset_id}/year").get_data(as_text=True)
    r = client.post(f"/data/{dataset_id}/year", data={"csrf_token": token_in(page), "year": "2024/25"})
    again = _finish(client, r)
    text = again.get_data(as_text=True)
    assert "Tell careflow which collection year" not in text and "2024-25" in text


def test_history_filters_change_the_counts(client):
    everyone = client.get("/data/anyshire/history").get_data(as_text=True)
    girls = client.get("/data/anyshire/history?sex=F").get_data(as_text=True)
    assert "Showing all children" in everyone and "Showing children with sex F" in girls
    assert 'src="/data/anyshire/history.svg?sex=F"' in girls and "Line chart of children with sex F" in girls
    svg = client.get("/data/anyshire/history.svg?sex=F")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<script" not in svg.data
    bad = client.get("/data/anyshire/history?sex=Q")
    assert bad.status_code == 400 and "no sex &#39;Q&#39; in the data" in bad.get_data(as_text=True)


def test_unknown_datasets_are_404(client):
    for url in ("/data/0123/report", "/data/../../etc/report", "/data/" + "a" * 32 + "/history",
                "/data/anyshire/year"):
        assert client.get(url).status_code == 404, url


def test_no_child_identifier_in_urls_or_the_log(client, anyshire_returns, caplog):
    import logging

    caplog.set_level(logging.INFO)
    r = _finish(client, _upload(client, [("anyshire.zip", _zip_of(anyshire_returns))]))
    body = r.get_data(as_text=True)
    dataset_id = r.request.path.split("/")[2]
    children = {line.split(",")[0] for line in (anyshire_returns / "2025" / "header.csv").read_text().splitlines()[1:]}
    links = [part.split('"')[0] for part in body.split('href="')[1:]]
    assert not [u for u in links for c in children if c and c in u.split("/")]
    assert dataset_id in " ".join(links)
    assert not [m for m in caplog.messages for c in children if c and f"/{c}" in m]
