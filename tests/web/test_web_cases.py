"""Business cases, portfolio and delivery tracking in the web app (Flask test client): filters, section edits,
stale edits refused with the user's text kept, validation errors, status moves, new cases, the appraisal's checks,
downloads, the MTFS roll-up and tracking. The workspace's register starts with the example cases."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from web_helpers import token_in

HF = "London Borough of Hammersmith & Fulham"
HARINGEY = "London Borough of Haringey"


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def _form(client, url: str) -> tuple[str, str]:
    """(csrf token, version) of the form on ``url``."""
    html = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"|name="version" value="(\d+)"', html)
    assert version, f"no version field on {url}"
    return token_in(html), version.group(1) or version.group(2)


def _register(web_app):
    with web_app.app_context():
        from careflow.web.casework import register

        return register()


def test_the_register_opens_with_the_example_cases_and_filters(client):
    page = _text(client.get("/cases/"))
    for ref in ("BC2", "A/R.6.255", "HGY-T3-01"):
        assert f">{ref}</a>" in page
    hf = _text(client.get("/cases/", query_string={"authority": HF}))
    assert ">BC2</a>" in hf and ">A/R.6.255</a>" not in hf and "1 case of" in hf
    none = _text(client.get("/cases/", query_string={"status": "delivered"}))
    assert "No case matches these filters" in none
    haringey = _text(client.get("/cases/", query_string={"authority": HARINGEY, "rag": "not started"}))
    assert haringey.count(">HGY-T3-") == 10


def test_unknown_case_and_section_are_404(client):
    assert client.get("/cases/case/NOPE").status_code == 404
    assert client.get("/cases/edit/nonsense/BC2").status_code == 404
    assert client.get("/tracking/case/NOPE").status_code == 404
    assert client.get("/cases/download/pdf/BC2").status_code == 404


def test_case_shown_in_the_council_template_with_change_links(client):
    page = _text(client.get("/cases/case/A/R.6.255"))
    for heading in ("Project overview", "Background", "Options", "Assumptions", "Constraints", "Scope",
                    "Dependencies", "Cost and savings", "Non-financial benefits", "Risks",
                    "Community impact assessment", "Indicators", "Milestones"):
        assert f'<h2 class="govuk-heading-m">{heading}</h2>' in page, heading
    for key in ("overview", "financials", "risks", "community_impact", "milestones"):
        assert f'href="/cases/edit/{key}/A/R.6.255"' in page


def test_edit_a_section_saves_a_new_version_and_records_it(client, web_app):
    token, version = _form(client, "/cases/edit/assumptions/A/R.6.255")
    r = client.post("/cases/edit/assumptions/A/R.6.255",
                    data={"csrf_token": token, "version": version, "assumptions": "IFA £850 a week; in-house £350."})
    assert r.status_code == 303
    shown = _text(client.get(r.headers["Location"]))
    assert "IFA £850 a week; in-house £350." in shown and f"version {int(version) + 1}" in shown
    assert re.search(r'<p class="govuk-notification-banner__heading">\s*Assumptions saved: version', shown)
    history = _text(client.get("/cases/history/A/R.6.255"))
    assert "assumptions" in history and "IFA £850 a week" in history


def test_two_edits_from_the_same_version_the_second_is_refused_and_the_first_kept(client, web_app):
    url = "/cases/edit/constraints/BC2"
    token, version = _form(client, url)  # both editors opened version N
    first = client.post(url, data={"csrf_token": token, "version": version, "constraints": "First editor's text"})
    assert first.status_code == 303
    second = client.post(url, data={"csrf_token": token, "version": version,
                                    "constraints": "Second editor's careful paragraph"})
    assert second.status_code == 409
    page = _text(second)
    assert "There is a problem" in page and "Your changes have not been saved" in page
    assert "Second editor's careful paragraph" in page  # the user's text is kept in the form
    stored = _register(web_app).get("BC2")
    assert stored.case.constraints == "First editor's text" and stored.version == int(version) + 1
    # the refused form still carries the old version: sending it again is refused again, never saved
    again = client.post(url, data={"csrf_token": token, "version": version, "constraints": "Second again"})
    assert again.status_code == 409 and _register(web_app).get("BC2").case.constraints == "First editor's text"
    # a form without a version is refused too
    assert client.post(url, data={"csrf_token": token, "constraints": "x"}).status_code == 409


def test_validation_errors_show_the_summary_and_inline_errors_and_keep_the_text(client, web_app):
    url = "/cases/edit/risks/A/R.6.255"
    token, version = _form(client, url)
    n = len(_register(web_app).get("A/R.6.255").case.risks)
    r = client.post(url, data={"csrf_token": token, "version": version, f"risks-{n}-description": "No title given",
                               f"risks-{n}-review_date": "next week"})
    assert r.status_code == 400
    page = _text(r)
    assert f'href="#risks-{n}-title"' in page and f'href="#risks-{n}-review_date"' in page
    assert "govuk-error-message" in page and "No title given" in page and "next week" in page
    assert page.startswith("<!DOCTYPE html>") and "<title>Error:" in page
    assert _register(web_app).get("A/R.6.255").version == int(version)  # nothing saved


def test_cost_and_savings_edit_feeds_the_appraisal(client):
    url = "/cases/edit/financials/A/R.6.255"
    token, version = _form(client, url)
    data = {"csrf_token": token, "version": version, "units": "£k", "savings_basis": "cumulative",
            "saving_type": "cashable", "recurring": "yes", "years-0-year": "2019-20", "years-0-investment": "100",
            "years-0-savings": "", "years-1-year": "2020-21", "years-1-savings": "150"}
    bad = client.post(url, data=data | {"years-1-savings": "a lot"})
    assert bad.status_code == 400 and 'href="#years-1-savings"' in _text(bad)
    assert client.post(url, data=data).status_code == 303
    appraisal = _text(client.get("/cases/appraisal/A/R.6.255"))
    # 100 invested in 2019-20, 150 a year saved from 2020-21: simple payback 100 / 150 = 0.67 years
    assert "0.67 years" in appraisal


def test_appraisal_highlights_the_disagreements(client):
    page = _text(client.get("/cases/appraisal/BC2"))
    # H&F states years 1-10 = £13,978k; the figures give 797 + 1,261 + 8 x 1,365 = £12,978k
    assert 'id="disagreements"' in page
    rows = re.findall(r'<tr class="govuk-table__row careflow-disagrees">(.*?)</tr>', page, re.S)
    assert any("13,978.00" in row and "12,978.00" in row for row in rows)
    assert "1.72 years" in page  # simple payback: 1 + (1,701 - 797) / 1,261
    # the figures a document states are checked too: A/R.6.255's "around 50%" for the in-house unit cost against
    # IFA, where its own £350 and £850 a week give 41%
    ar255 = _text(client.get("/cases/appraisal/A/R.6.255"))
    assert 'id="disagreements"' in ar255 and "41.18" in ar255
    # A/R.6.258 (Victoria Road) states no figures by year: nothing to appraise, said so
    assert "nothing to appraise" in _text(client.get("/cases/appraisal/A/R.6.258"))


def test_status_moves_follow_the_workflow(client, web_app):
    url = "/cases/status/A/R.6.255"  # a draft: it can be submitted or withdrawn
    token, version = _form(client, url)
    page = _text(client.get(url))
    assert 'value="submitted"' in page and 'value="approved"' not in page
    refused = client.post(url, data={"csrf_token": token, "version": version, "status": "approved"})
    assert refused.status_code == 400 and 'href="#status"' in _text(refused)
    assert client.post(url, data={"csrf_token": token, "version": version, "status": "submitted"}).status_code == 303
    assert _register(web_app).get("A/R.6.255").case.status.value == "submitted"


def test_create_a_new_case(client):
    token = token_in(client.get("/cases/new").get_data(as_text=True))
    missing = client.post("/cases/new", data={"csrf_token": token, "reference": "", "title": ""})
    assert missing.status_code == 400 and 'href="#reference"' in _text(missing) and 'href="#title"' in _text(missing)
    duplicate = client.post("/cases/new", data={"csrf_token": token, "reference": "BC2", "title": "Again"})
    assert duplicate.status_code == 400 and "already in the register" in _text(duplicate)
    made = client.post("/cases/new", data={"csrf_token": token, "reference": "ANY/1", "title": "Step-down",
                                           "authority": "Anyshire"})
    assert made.status_code == 303 and made.headers["Location"].endswith("/cases/case/ANY/1")
    assert "Step-down" in _text(client.get("/cases/case/ANY/1"))


def test_posts_without_the_csrf_token_are_refused(client):
    for url, data in (("/cases/edit/assumptions/BC2", {"version": "1", "assumptions": "x"}),
                      ("/cases/new", {"reference": "X", "title": "Y"}),
                      ("/cases/status/BC2", {"status": "delivering"}),
                      ("/tracking/case/BC2", {"year": "2017-18", "forecast": "1"})):
        assert client.post(url, data=data).status_code == 400, url


def test_downloads_open_in_word_and_excel(client):
    import docx
    import openpyxl

    word = client.get("/cases/download/docx/BC2")
    assert word.status_code == 200 and "bc2.docx" in word.headers["Content-Disposition"]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.data)).paragraphs)
    assert "Maximising Children's Social Care Effectiveness" in text
    excel = client.get("/cases/download/xlsx/BC2")
    assert excel.status_code == 200 and len(openpyxl.load_workbook(io.BytesIO(excel.data)).sheetnames) > 1
    assert client.get("/cases/download/xlsx/A/R.6.258").status_code == 404  # no figures: no workbook


def test_portfolio_by_year_reproduces_haringey_table_3(client):
    page = _text(client.get("/portfolio/", query_string={"authority": HARINGEY}))
    by_year = re.search(r'<table class="govuk-table" id="by-year">(.*?)</table>', page, re.S).group(1)
    rows = dict(re.findall(r'<th scope="row" class="govuk-table__header">([^<]+)</th>'
                           r'<td[^>]*>[^<]*</td><td[^>]*>([^<]*)</td>', by_year))
    assert [rows[y] for y in ("2015-16", "2016-17", "2017-18", "Total")] == ["5,364", "7,025", "4,395", "16,784"]
    for table in ("by-directorate", "by-saving_type", "by-rag", "by-reference", "by-authority"):
        assert f'id="{table}"' in page
    assert client.get("/portfolio/", query_string={"authority": "Nowhere"}).status_code == 404
    assert 'id="portfolio-chart"' in page and "16,784" in re.search(r'alt="([^"]*)"', page[page.index(
        'id="portfolio-chart"'):]).group(1)  # the chart's alt text states the total savings
    chart = client.get("/portfolio/chart.png", query_string={"authority": HARINGEY})
    assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG")
    csv = client.get("/portfolio/download/csv", query_string={"authority": HARINGEY})
    assert csv.status_code == 200 and csv.data.decode().startswith("breakdown,group,financial_year")
    xlsx = client.get("/portfolio/download/xlsx", query_string={"authority": HARINGEY})
    import openpyxl

    assert "MTFS incremental" in openpyxl.load_workbook(io.BytesIO(xlsx.data)).sheetnames


def test_track_delivery_rag_and_indicators(client, web_app):
    url = "/tracking/case/BC2"
    token, version = _form(client, url)
    sw = next(i for i, ind in enumerate(_register(web_app).get("BC2").case.indicators)
              if ind.name == "Increase in social worker time & capacity")
    bad = client.post(url, data={"csrf_token": token, "version": version, "year": "2017-18", "forecast": "seven"})
    assert bad.status_code == 400 and 'href="#forecast"' in _text(bad) and "seven" in _text(bad)
    ok = client.post(url, data={"csrf_token": token, "version": version, "year": "2017-18", "forecast": "720",
                                f"indicator-{sw}": "30"})
    assert ok.status_code == 303
    page = _text(client.get(ok.headers["Location"]))
    row = re.search(r'2017-18</th>(.*?)</tr>', page, re.S).group(1)
    assert "797" in row and "720" in row and "amber" in row  # 720 / 797 = 90.3%: amber
    assert "50%" in page  # social worker time: baseline 20, target 40, actual 30
    stale = client.post(url, data={"csrf_token": token, "version": version, "year": "2018-19", "delivered": "1"})
    assert stale.status_code == 409 and "Nothing was recorded" in _text(stale)
    assert _register(web_app).get("BC2").case.tracking_for("2018-19") is None


@pytest.mark.parametrize("url", ["/cases/", "/portfolio/", "/tracking/"])
def test_journeys_are_in_the_navigation(client, url):
    home = _text(client.get("/"))
    assert f'href="{url}"' in home
