"""The Data journey in a real browser (Debian's chromium through Playwright): upload, validate, history, with axe
on every page; the upload done with the keyboard only; on Anyshire (careflow's synthetic files) and on the shared
sample returns."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "ssda903_samples"


def _wait_for_report(page) -> None:
    """The progress page refreshes itself (no JavaScript needed) until the report is ready."""
    page.wait_for_url(re.compile(r"/data/[0-9a-f]{32}/report"), timeout=120_000)
    page.wait_for_selector("h1:has-text('Validation report')")


def _tab_to(page, predicate_js: str, limit: int = 60) -> None:
    """Press Tab until the focused element satisfies ``predicate_js`` (a function of the element)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"({predicate_js})(document.activeElement)"):
            return
    raise AssertionError(f"could not reach the element by keyboard: {predicate_js}")


@pytest.mark.browser
def test_upload_validate_and_history_of_anyshire_with_the_keyboard_only(page, check_accessibility, screenshot,
                                                                       anyshire_returns, tmp_path):
    # a folder per collection year travels in a zip (a browser uploads files, not folders)
    archive = tmp_path / "anyshire.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(anyshire_returns.rglob("*.csv")):
            z.write(p, p.relative_to(anyshire_returns))
    files = [str(archive)]
    page.goto("/")
    check_accessibility(page)
    # home -> Data, by keyboard
    _tab_to(page, "e => e.tagName === 'A' && e.textContent.trim() === 'Data'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/data/")
    check_accessibility(page)
    screenshot(page, "data")
    _tab_to(page, "e => e.textContent.trim() === 'Upload SSDA903 files'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/data/upload")
    check_accessibility(page)
    # choose the files from the focused file input with the keyboard (Space opens the chooser)
    _tab_to(page, "e => e.id === 'files'")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(files)
    page.keyboard.press("Tab")  # year (the file names say it: left blank)
    page.keyboard.press("Tab")  # council name
    page.keyboard.type("Anyshire by keyboard")
    _tab_to(page, "e => e.tagName === 'BUTTON' && e.textContent.trim() === 'Upload and check'")
    page.keyboard.press("Enter")
    _wait_for_report(page)
    check_accessibility(page)
    screenshot(page, "data-report")
    assert "Anyshire by keyboard" in page.locator(".govuk-caption-l").inner_text()
    assert page.locator(".govuk-summary-list").inner_text().count("2024-25") == 1
    # the Excel download opens as a workbook with every finding
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as Excel").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames == ["Summary", "Findings"]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    assert Path(download.value.path()).read_text().startswith("rule,severity,file,row,child,field,message")
    # report -> history by keyboard, then filter
    _tab_to(page, "e => e.textContent.trim() === 'See the history of children looked after'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/history"))
    check_accessibility(page)
    screenshot(page, "data-history")
    everyone = int(page.locator("#by-year tbody tr").last.locator("td").first.inner_text().replace(",", ""))
    page.select_option("#sex", "F")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"sex=F"))
    girls = int(page.locator("#by-year tbody tr").last.locator("td").first.inner_text().replace(",", ""))
    assert 0 < girls < everyone
    page.get_by_text("Show the 72 months").click()
    assert page.locator("#by-month tbody tr").count() == 72
    check_accessibility(page)


@pytest.mark.browser
def test_upload_validate_and_history_of_the_shared_sample(page, check_accessibility):
    combined = SHARED / "cs_demand_model_combined"
    regional = SHARED / "cs_demand_model_regional_v1"
    if not combined.is_dir():
        pytest.skip(f"needs the shared sample returns in {SHARED}; not present")
    # several CSV files at once (a file per table and year)
    page.goto("/data/upload")
    page.set_input_files("#files", sorted(str(p) for p in combined.glob("*.csv")))
    page.get_by_role("button", name="Upload and check").click()
    _wait_for_report(page)
    check_accessibility(page)
    summary = page.locator(".govuk-summary-list").inner_text()
    assert "2016-17" in summary or "2017-18" in summary
    page.get_by_role("link", name="See the history of children looked after").click()
    page.wait_for_url(re.compile(r"/history"))
    check_accessibility(page)
    assert page.locator("#by-year tbody tr").count() >= 4
    # a stacked file of several LAs: the history filters by LA
    if regional.is_dir():
        page.goto("/data/upload")
        page.set_input_files("#files", sorted(str(p) for p in regional.glob("*.csv")))
        page.get_by_role("button", name="Upload and check").click()
        _wait_for_report(page)
        check_accessibility(page)
        page.get_by_role("link", name="See the history of children looked after").click()
        las = [o for o in page.locator("#la option").all_inner_texts() if o != "All"]
        assert len(las) >= 2
        page.select_option("#la", las[0])
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url(re.compile(r"la="))
        assert f"la {las[0]}" in page.locator("[role=status]").inner_text()
        check_accessibility(page)
