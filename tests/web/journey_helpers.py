"""Helpers for the Forecast, Benchmark and Scenario builder tests: following a background job to its result page, the
inline error messages of a page, and form values for one lever of every type as a user types them into the scenario
builder. The contract's saving is the one the tests check by hand: £640,000 a year ended, £319,000 of it
reinvested, saves £321,000 in every whole financial year."""

from __future__ import annotations

import html
import re
import time

from careflow.levers.catalogue import EXAMPLES


def wait_for_job(client, location: str, seconds: int = 600) -> str:
    """Follow a job's progress page (``location``) until it redirects to the result; returns the result's URL."""
    for _ in range(seconds * 2):
        r = client.get(location)
        if r.status_code == 303:
            return r.headers["Location"]
        assert r.status_code == 200 and "Something went wrong" not in r.get_data(as_text=True)
        time.sleep(0.5)
    raise AssertionError("the job did not finish")


def error_texts(page: str) -> list[str]:
    """The inline error messages of a page, in order, as a screen reader reads them (without "Error:")."""
    return [" ".join(html.unescape(m).split()) for m in re.findall(
        r'govuk-error-message">\s*<span class="govuk-visually-hidden">Error:</span>([^<]*)', page)]


EVERY_TYPE: dict[str, dict[str, str | list[str]]] = {
    "reduce_entries": {"start": "2025-04-01", "reduction": "5, 10", "age_bands": ["10-16", "16-18"]},
    "step_down": {"start": "2025-04-01", "from_category": "external_residential", "to_category": "ifa_fostering",
                  "children_per_year": "3", "lag_months": "3"},
    "sufficiency": {"start": "2025-04-01", "add_category": "in_house_fostering",
                    "displace_category": "ifa_fostering", "placements": "6",
                    "recruitment": EXAMPLES["recruitment"]},
    "permanence_exits": {"start": "2025-04-01", "from_category": "kinship_fostering", "exit_group": "sgo",
                         "children_per_year": "4"},
    "cap_growth": {"start": "2025-04-01", "category": "external_residential", "remove": "2",
                   "to_category": "in_house_residential"},
    "unit_cost_change": {"start": "2025-04-01", "categories": ["ifa_fostering"], "percent": "-3"},
    "close_provision": {"start": "2025-04-01", "annual_cost": "500000", "moves": EXAMPLES["moves"],
                        "one_off": EXAMPLES["one_off"]},
    "contract": {"start": "2025-04-01", "annual_cost": "640000", "reinvest": "319000",
                 "name": "Residential contract"},
    "staffing": {"start": "2025-04-01", "posts": EXAMPLES["posts"], "basis": "in_post",
                 "phasing": "2025-26: 0.5\n2026-27: 1"},
    "workforce": {"start": "2025-04-01", "caseload": "17", "agency_rate": "20", "agency_rate_after": "10",
                  "agency_ramp_months": "12"},
    "income": {"start": "2025-04-01", "profile": "2025-26: 100000\n2026-27: 120000"},
    "other": {"start": "2025-04-01", "profile": "2025-26: -20000"},
}


def attach_in_browser(page, check_accessibility, reference: str, lever: str, rows: dict[str, list[str]],
                      screenshot=None) -> None:
    """From a scenario's result page, attach ``lever``'s saving to case ``reference`` (axe on every page); the check
    page shows ``rows`` (financial year -> savings now, from the scenario, P10, P90); ends on the case's page with
    the savings' source shown."""
    page.get_by_role("button", name="Attach to a business case").click()
    page.get_by_label("Business case").select_option(reference)
    choice = page.locator(f'input[type=radio][name=lever][value="{lever}"]')
    if choice.count():  # asked only when the scenario has several levers
        choice.check()
    check_accessibility(page)
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", name="Check the savings before attaching them").is_visible()
    for year, cells in rows.items():
        assert page.locator("#attach-savings tr", has_text=year).inner_text().split("\t")[1:] == cells, year
    check_accessibility(page)
    if screenshot is not None:
        screenshot(page, "scenarios-attach")
    page.get_by_role("button", name="Attach the savings to the case").click()
    assert page.get_by_text("Cost and savings saved").is_visible()
    assert f"lever '{lever}'" in page.locator("#savings-source").inner_text()
    check_accessibility(page)
