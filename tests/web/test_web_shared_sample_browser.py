"""The Forecast and Scenario builder journeys in a real browser on the shared sample returns (the Data to Insight
demand model's sample, ../shared/data/ssda903_samples/cs_demand_model_combined, to 31 March 2022), not on Anyshire:
upload and select them, forecast and open the Excel workbook, then build, run, save and attach a scenario to a
case. axe on every page the journey reaches that the Anyshire tests do not already check with this data."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from journey_helpers import attach_in_browser

from careflow.levers import Scenario

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "ssda903_samples" / "cs_demand_model_combined"


@pytest.mark.browser
@pytest.mark.shared
def test_forecast_and_scenario_on_the_shared_sample(page, check_accessibility, tmp_path):
    if not SAMPLE.is_dir():
        pytest.skip(f"needs the shared sample returns in {SAMPLE} (../shared/data); not present")
    page.goto("/data/upload")
    page.set_input_files("#files", sorted(str(p) for p in SAMPLE.glob("*.csv")))
    page.get_by_label("Council name (optional)").fill("Sample council")
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r"/data/[0-9a-f]{32}/report"), timeout=120_000)

    # Forecast: the uploaded data is selected; its returns run to 31 March 2022
    page.goto("/forecast/")
    end = re.search(r"The data runs to ([^.]+)\.", page.locator("main").inner_text())
    assert end and end.group(1) == "31 March 2022", end and end.group(1)
    check_accessibility(page)
    page.get_by_label("Monte Carlo runs").fill("20")
    page.get_by_label("Years ahead").fill("2")
    page.get_by_role("button", name="Run the forecast").click()
    page.wait_for_url("**/forecast/result/**", timeout=600_000)
    assert "Sample council" in page.locator("main").inner_text()
    assert page.locator("#costs-table tbody th").all_inner_texts() == ["2022-23", "2023-24"]
    start = re.search(r"From ([\d,]+) children in care at 31 March 2022", page.locator("main").inner_text())
    assert start, "the result names the children in care at the end of the sample"
    check_accessibility(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the forecast as an Excel workbook").click()
    path = tmp_path / "forecast.xlsx"
    download.value.save_as(path)
    cells = [str(c) for ws in openpyxl.load_workbook(path, read_only=True) for row in ws.iter_rows(values_only=True)
             for c in row if c is not None]
    assert any("2023-24" in c for c in cells) and any("Sample council" in c for c in cells)

    # Scenario: the hand-checked contract (£640k a year ended, £319k reinvested: £321k a year) from April 2022
    page.goto("/scenarios/")
    page.get_by_role("button", name="Start a new scenario").click()
    page.get_by_label("What is the scenario called?").fill("Sample contract")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("End or reduce a contract").check()
    page.get_by_role("button", name="Continue").click()
    for name, value in {"start": "2022-04-01", "annual_cost": "640000", "reinvest": "319000",
                        "name": "Residential contract"}.items():
        page.locator(f"[name={name}]").fill(value)
    page.get_by_role("button", name="Save the lever and continue").click()
    assert page.url.endswith("/check"), page.locator(".govuk-error-summary").all_inner_texts()
    assert "Sample council" in page.locator("main").inner_text()  # priced against the uploaded data
    with page.expect_download() as download:
        page.get_by_role("link", name="Save the scenario as a YAML file").click()
    saved = Scenario.load(download.value.path())
    assert [(lv.type, lv.annual_cost, lv.reinvest) for lv in saved.levers] == [("contract", 640000, 319000)]
    page.get_by_label("Monte Carlo runs").fill("20")
    page.get_by_role("button", name="Run the scenario").click()
    page.wait_for_url("**/scenarios/result/**", timeout=600_000)
    years = page.locator("#savings thead th").all_inner_texts()[1:]
    assert years[:4] == ["2022-23", "2023-24", "2024-25", "2025-26"]
    contract = page.locator("#savings tr", has_text="Residential contract").inner_text().split("\t")[1:]
    assert contract[:4] == ["£321k"] * 4
    check_accessibility(page)
    attach_in_browser(page, check_accessibility, "A/R.6.264", "Residential contract", {
        "2022-23": ["-", "£321k", "£321k", "£321k"], "2025-26": ["-", "£321k", "£321k", "£321k"]})
