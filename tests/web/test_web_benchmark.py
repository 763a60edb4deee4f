"""The Benchmark journey: a clear message without the published statistics; any LA against its neighbours and
England, with the gap in children and pounds (checked by hand on small fixture files, and on the shared data)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the DfE fixture files
from journey_helpers import wait_for_job  # noqa: E402

from dfe_fixtures import write_folder  # noqa: E402

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"



def test_without_the_statistics_the_page_says_what_to_do(client, web_app, tmp_path):
    web_app.config["BENCHMARK_DATA"] = str(tmp_path / "not-there")
    r = client.get("/benchmark/")
    assert r.status_code == 200
    assert "careflow found no folder of them" in r.get_data(as_text=True)
    assert "CAREFLOW_BENCHMARK_DATA" in r.get_data(as_text=True)


def test_a_folder_without_figures_is_explained(client, web_app, tmp_path):
    (tmp_path / "empty").mkdir()
    web_app.config["BENCHMARK_DATA"] = str(tmp_path / "empty")
    progress = client.get("/benchmark/").headers["Location"]
    for _ in range(600):
        html = client.get(progress).get_data(as_text=True)
        if "Something went wrong" in html:
            break
        time.sleep(0.5)
    assert "no DfE children looked after figures (stock, starts or ceases by LA) found" in html


def test_benchmark_an_la_by_hand(client, web_app, tmp_path):
    web_app.config["BENCHMARK_DATA"] = str(write_folder(tmp_path))
    first = client.get("/benchmark/")
    assert first.status_code == 303  # the folder is read in the background
    page = client.get(wait_for_job(client, first.headers["Location"])).get_data(as_text=True)
    assert "Alphaford (101)" in page and "North Deltaby (105)" in page
    bad = client.get("/benchmark/?la=999&model=2025")
    assert bad.status_code == 400 and "Choose a local authority" in bad.get_data(as_text=True)
    r = client.get("/benchmark/?la=101&model=2025")
    again = client.get("/benchmark/?la=101&model=2025")
    assert r.headers["Location"] == again.headers["Location"]
    html = client.get(wait_for_job(client, r.headers["Location"])).get_data(as_text=True)
    # 2021: Alphaford 98 children of 20,000 (49.0 per 10,000); neighbours' mean rate (80 + 50.5 + 61.6 + 72) / 4
    # = 66.025, so 132.05 children expected and a gap of 34.05 fewer; priced at the shipped England weekly cost
    # (£1,934, cla_weekly_cost) that is 34.05 x 1,934 x 365 / 7 = £3,433,748 a year
    assert "Alphaford had 98 children looked after on 31 March 2021" in html
    assert "it would have 132: 34 fewer children than that" in html
    assert '34 fewer children is <strong id="gap-pounds">£3,433,748 a year less</strong>' in html
    assert "49.0" in html and "66.0" in html  # the rates table
    assert html.count("<li>") >= 4  # the neighbours listed


@pytest.mark.browser
@pytest.mark.shared
@pytest.mark.slow
def test_benchmark_a_real_council_in_the_browser(page, web_app, check_accessibility, screenshot):
    if not SHARED.is_dir():
        pytest.skip("needs ../shared/data (the DfE published statistics): skipped")
    web_app.config["BENCHMARK_DATA"] = str(SHARED)
    page.goto("/benchmark/")
    page.wait_for_url("**/benchmark/", timeout=600_000)
    options = page.locator("#la option").count() - 1
    assert options == 153  # every LA with statistical neighbours in the 2025 model
    check_accessibility(page)
    screenshot(page, "benchmark")
    page.get_by_label("Local authority").select_option("873")
    page.get_by_role("button", name="Benchmark").click()
    page.wait_for_url("**/benchmark/result/**", timeout=600_000)
    text = page.locator("#gap").inner_text()
    # DfE release 2024: Cambridgeshire had 649 children looked after on 31 March 2024
    assert "Cambridgeshire had 649 children looked after on 31 March 2024" in text
    assert page.locator("#neighbours li").count() == 10
    check_accessibility(page)
    screenshot(page, "benchmark-result")
