"""The Forecast journey: settings, errors, a background run reused by a second request, the result's tables and
charts, and the Excel workbook."""

from __future__ import annotations

import re

import openpyxl
import pytest
from journey_helpers import error_texts, wait_for_job
from web_helpers import token_in


def test_settings_page_names_the_datas_end(client):
    html = client.get("/forecast/").get_data(as_text=True)
    assert "The data runs to 31 March 2025" in html and 'name="runs"' in html


@pytest.mark.parametrize("field,value,message", [
    ("runs", "", "Enter the number of Monte Carlo runs, from 20 to 5,000"),
    ("runs", "ten", "The number of Monte Carlo runs must be a whole number, like 20"),
    ("runs", "10", "The number of Monte Carlo runs must be from 20 to 5,000"),
    ("years", "11", "The number of years ahead must be from 1 to 10"),
    ("window", "3", "The reference window in months must be from 6 to 120"),
    ("start", "31/03/2025", "Enter the start date like 2025-03-31"),
    ("start", "2026-03-31", "The start date must be on or before the end of the data, 31 March 2025"),
    ("trend", "maybe", "Choose whether entries to care follow a trend"),
])
def test_bad_settings_are_named_on_their_field(client, field, value, message):
    token = token_in(client.get("/forecast/").get_data(as_text=True))
    data = {"csrf_token": token, "years": "1", "runs": "20", "trend": "no", field: value}
    r = client.post("/forecast/", data=data)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "There is a problem" in html and error_texts(html) == [message]
    assert f'href="#{field}"' in html


def test_a_post_without_the_csrf_token_is_refused(client):
    assert client.post("/forecast/", data={"years": "1", "runs": "20", "trend": "no"}).status_code == 400


def test_a_forecast_runs_once_for_the_same_settings_and_shows_its_figures(client, web_app):
    token = token_in(client.get("/forecast/").get_data(as_text=True))
    settings = {"csrf_token": token, "years": "2", "runs": "20", "trend": "no", "start": ""}
    first = client.post("/forecast/", data=settings)
    second = client.post("/forecast/", data={**settings, "start": "2025-03-31"})  # the same run, spelt out
    assert first.status_code == 303 and first.headers["Location"] == second.headers["Location"]
    url = wait_for_job(client, first.headers["Location"])
    job_id = url.rsplit("/", 1)[1]
    fc = web_app.extensions["careflow.jobs"].get(job_id).result.forecast
    html = client.get(url).get_data(as_text=True)
    # the page shows the run's own figures: children at the start and the median at the end, by category and age
    assert f"From {fc.summary()['children_at_start']:,.0f} children in care at 31 March 2025" in html
    assert fc.projection.month_ends[-1].isoformat() == "2027-03-31"
    end = fc.summary()["children_at_end"]
    assert f"to {end['p50']:,.0f} at 31 March 2027" in html
    by_cat = re.search(r'id="category">(.*?)</table>', html, re.S).group(1)
    assert by_cat.count("<tr") == 1 + len(fc.categories) + 1  # header, each category, all children
    assert re.search(r'id="age_band">(.*?)</table>', html, re.S).group(1).count("<tr") == 1 + 5 + 1
    costs = fc.costs_by_year()
    for r in costs.itertuples():
        assert f"£{r.p50 / 1000:,.0f}k" in html
    assert client.get(f"/forecast/result/{job_id}/fan.svg").mimetype == "image/svg+xml"
    assert client.get(f"/forecast/result/{job_id}/costs.png").data[:4] == b"\x89PNG"
    assert client.get(f"/forecast/result/{job_id}/other.svg").status_code == 404
    assert client.get("/forecast/result/0000/fan.svg").status_code == 404


@pytest.mark.browser
def test_forecast_end_to_end_in_the_browser(page, check_accessibility, screenshot, tmp_path):
    page.goto("/forecast/")
    check_accessibility(page)
    screenshot(page, "forecast")
    page.get_by_label("Monte Carlo runs").fill("20")
    page.get_by_label("Years ahead").fill("3")
    page.get_by_label("Yes: entries follow the trend fitted over the window").check()
    page.get_by_role("button", name="Run the forecast").click()
    assert "/jobs/" in page.url and page.get_by_role("status").is_visible()  # the no-JavaScript progress page
    page.wait_for_url("**/forecast/result/**", timeout=600_000)
    assert page.get_by_role("heading", name="Forecast of children in care and placement spend").is_visible()
    assert page.locator("img.careflow-chart").first.evaluate("img => img.naturalWidth") > 0
    check_accessibility(page)
    screenshot(page, "forecast-result")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the forecast as an Excel workbook").click()
    path = tmp_path / "forecast.xlsx"
    download.value.save_as(path)
    book = openpyxl.load_workbook(path, read_only=True)
    assert len(book.sheetnames) >= 3
    years = page.locator("#costs-table tbody th").all_inner_texts()
    assert years == ["2025-26", "2026-27", "2027-28"]
