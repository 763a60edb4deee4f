"""Business cases, portfolio and delivery tracking in a real browser (Playwright + Debian chromium), journey by
journey, with axe-core on every page: create and edit a case, a stale edit refused (two pages), appraise, download
Word and Excel and open them, the portfolio, track delivery; and the case-edit journey with the keyboard only."""

from __future__ import annotations

import re

import docx
import openpyxl
import pytest

pytestmark = pytest.mark.browser

HF = "London Borough of Hammersmith & Fulham"
HARINGEY = "London Borough of Haringey"


def test_create_and_edit_a_case(page, check_accessibility, screenshot):
    page.goto("/cases/")
    check_accessibility(page)
    screenshot(page, "cases")
    page.select_option("#filter-authority", HF)
    page.click("#apply-filters")
    assert page.locator("#cases tbody tr").count() == 1
    page.click("#new-case")
    check_accessibility(page)
    page.click("#create")  # nothing filled in: the error summary, linked to the fields
    assert page.locator(".govuk-error-summary").is_visible()
    check_accessibility(page)
    page.fill("#reference", "ANY/2026/01")
    page.fill("#title", "Step-down from residential to foster care")
    page.fill("#authority", "Anyshire")
    page.click("#create")
    assert page.locator("h1").inner_text() == "Step-down from residential to foster care"
    check_accessibility(page)
    # cost and savings: one page of its own
    page.click("#change-financials")
    check_accessibility(page)
    page.fill("#years-0-year", "2026-27")
    page.fill("#years-0-investment", "120")
    page.fill("#years-1-year", "2027-28")
    page.fill("#years-1-savings", "lots")
    page.click("#save")
    assert page.locator(".govuk-error-summary a[href='#years-1-savings']").is_visible()
    check_accessibility(page)
    page.fill("#years-1-savings", "200")
    page.click("#save")
    assert "Cost and savings saved" in page.locator(".govuk-notification-banner").inner_text()
    # a risk
    page.click("#change-risks")
    page.fill("#risks-0-title", "Not enough foster carers")
    page.fill("#risks-0-likelihood", "4")
    page.fill("#risks-0-impact", "high")
    page.click("#save")
    risk = page.get_by_role("row", name=re.compile("Not enough foster carers"))
    assert "16" in risk.inner_text()  # score: likelihood 4 x impact high (4)
    # status moves, then the history
    page.click("#change-status")
    check_accessibility(page)
    page.check("input[name=status][value=submitted]")
    page.click("#save-status")
    assert page.locator("#case-status").inner_text() == "submitted"
    page.click("#history")
    check_accessibility(page)
    text = page.locator("#history-table").inner_text()
    assert "risks" in text and "savings.2027-28" in text and "status" in text


def test_a_stale_edit_is_refused_in_the_second_page(page, check_accessibility, screenshot):
    url = "/cases/edit/assumptions/A/R.6.255"
    page.goto(url)
    other = page.context.new_page()
    other.goto(url)  # both pages show the same version
    page.fill("#assumptions", "First editor: 43 net new in-house placements.")
    page.click("#save")
    assert "Assumptions saved" in page.locator(".govuk-notification-banner").inner_text()
    other.fill("#assumptions", "Second editor: 45 new SGOs, 12 converting IFA placements.")
    other.click("#save")
    summary = other.locator(".govuk-error-summary")
    assert summary.is_visible() and "Your changes were not saved" in summary.inner_text()
    assert other.input_value("#assumptions") == "Second editor: 45 new SGOs, 12 converting IFA placements."
    check_accessibility(other)
    screenshot(other, "case-stale-edit")
    page.goto("/cases/case/A/R.6.255")
    assert page.get_by_text("First editor: 43 net new in-house placements.").is_visible()
    assert page.get_by_text("Second editor").count() == 0
    other.close()


def test_appraise_and_download_word_and_excel(page, check_accessibility, screenshot, tmp_path):
    page.goto("/cases/case/BC2")
    check_accessibility(page)
    screenshot(page, "case")
    page.click("#appraise")
    check_accessibility(page)
    screenshot(page, "case-appraisal")
    assert page.locator("#disagreements").is_visible()
    flagged = page.locator("tr.careflow-disagrees").all_inner_texts()
    assert any("13,978.00" in row and "12,978.00" in row for row in flagged)  # H&F's years 1-10 total
    page.goto("/cases/case/BC2")
    with page.expect_download() as word:
        page.click("#download-docx")
    path = tmp_path / word.value.suggested_filename
    word.value.save_as(path)
    assert "Maximising Children's Social Care Effectiveness" in "\n".join(
        p.text for p in docx.Document(path).paragraphs)
    with page.expect_download() as excel:
        page.click("#download-xlsx")
    path = tmp_path / excel.value.suggested_filename
    excel.value.save_as(path)
    assert path.suffix == ".xlsx" and len(openpyxl.load_workbook(path).sheetnames) > 1


def test_portfolio_by_year_and_download(page, check_accessibility, screenshot, tmp_path):
    page.goto("/portfolio/")
    check_accessibility(page)
    page.select_option("#authority", HARINGEY)
    page.click("#show")
    check_accessibility(page)
    screenshot(page, "portfolio")
    total = page.locator("#by-year tbody tr", has_text="Total").inner_text()
    assert "16,784" in total  # Haringey's Table 3
    page.check("input[name=measure][value=cumulative]")
    page.click("#show")
    assert "cumulative" in page.locator("#by-directorate caption").inner_text()
    with page.expect_download() as got:
        page.click("#download-xlsx")
    path = tmp_path / got.value.suggested_filename
    got.value.save_as(path)
    book = openpyxl.load_workbook(path)
    assert "MTFS incremental" in book.sheetnames


def test_track_delivery(page, check_accessibility, screenshot):
    page.goto("/tracking/")
    check_accessibility(page)
    page.get_by_role("link", name=re.compile("^BC2")).click()
    check_accessibility(page)
    page.select_option("#year", "2017-18")
    page.fill("#forecast", "seven hundred")
    page.click("#save-tracking")
    assert page.locator(".govuk-error-summary a[href='#forecast']").is_visible()
    check_accessibility(page)
    page.fill("#forecast", "720")
    page.get_by_label("Increase in social worker time & capacity").fill("30")
    page.click("#save-tracking")
    row = page.locator("#delivery tbody tr", has_text="2017-18").inner_text()
    assert "797" in row and "720" in row and "amber" in row  # 720 / 797 = 90.3% of plan
    assert "50%" in page.locator("#indicators tbody tr", has_text="social worker time").inner_text()
    check_accessibility(page)
    screenshot(page, "tracking")


def _tab_to(page, selector: str, limit: int = 400) -> None:
    """Press Tab until the element matching ``selector`` has the focus (as a keyboard user would)."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{selector} not reached with the Tab key")


def test_case_edit_journey_with_the_keyboard_only(page):
    page.goto("/cases/")
    _tab_to(page, "a[href='/cases/case/A/R.6.255']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/case/A/R.6.255")
    _tab_to(page, "#change-constraints")
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/edit/constraints/A/R.6.255")
    _tab_to(page, "#constraints")
    page.keyboard.press("Control+A")
    page.keyboard.type("Typed with the keyboard only.")
    _tab_to(page, "#save")
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/case/A/R.6.255*")
    assert page.get_by_text("Typed with the keyboard only.").is_visible()


def test_every_section_edit_page_passes_axe(page, check_accessibility):
    """axe on each section's edit page (the rows of risks, indicators, milestones, options; the cost and savings
    table) and the pages the journeys above do not open."""
    from careflow.register.sections import SECTIONS

    for key in SECTIONS:
        page.goto(f"/cases/edit/{key}/BC2")
        check_accessibility(page)
    for url in ("/cases/appraisal/A/R.6.255", "/cases/case/A/R.6.255", "/cases/status/BC2",
                "/portfolio/?authority=London+Borough+of+Hammersmith+%26+Fulham&measure=cumulative"):
        page.goto(url)
        check_accessibility(page)
