"""The Scenario builder journey: every lever type in the form, errors named on their fields, check your answers,
run in the background, savings by lever and year, save as YAML."""

from __future__ import annotations

import re

import pytest
from journey_helpers import EVERY_TYPE, attach_in_browser, error_texts, wait_for_job
from web_helpers import token_in

from careflow.levers import LEVER_TYPES, Scenario
from careflow.levers.catalogue import lever_from_form


@pytest.fixture
def draft(client):
    """A new scenario called "Test", with its URL prefix and the CSRF token."""
    token = token_in(client.get("/scenarios/").get_data(as_text=True))
    r = client.post("/scenarios/new", data={"csrf_token": token})
    assert r.status_code == 303
    base = r.headers["Location"].rsplit("/", 1)[0]
    assert client.post(base + "/name", data={"csrf_token": token, "name": "Test"}).status_code == 303
    return base, token


def test_every_lever_type_can_be_added_and_the_saved_yaml_is_what_was_typed(client, draft):
    base, token = draft
    page = client.get(base + "/add").get_data(as_text=True)
    offered = re.findall(r'name="type" type="radio" value="([a-z_]+)"', page)
    assert sorted(offered) == sorted(LEVER_TYPES)
    for kind, values in EVERY_TYPE.items():
        assert client.get(f"{base}/lever/new/{kind}").status_code == 200
        r = client.post(f"{base}/lever/new/{kind}", data={"csrf_token": token, **values})
        assert r.status_code == 303, (kind, error_texts(r.get_data(as_text=True)))
    check = client.get(base + "/check").get_data(as_text=True)
    assert check.count('class="govuk-summary-card"') == len(EVERY_TYPE)
    r = client.get(base + "/scenario.yaml")
    assert r.headers["Content-Disposition"] == 'attachment; filename="test.yaml"'
    saved = Scenario.loads(r.get_data(as_text=True))
    assert saved.name == "Test" and [lv.type for lv in saved.levers] == list(EVERY_TYPE)
    typed = [lever_from_form(kind, values) for kind, values in EVERY_TYPE.items()]
    assert [lv.model_copy(update={"name": None}) for lv in saved.levers] == [
        lv.model_copy(update={"name": None}) for lv in typed]


def test_errors_are_named_on_their_fields_and_nothing_is_saved(client, draft):
    base, token = draft
    r = client.post(f"{base}/lever/new/contract", data={"csrf_token": token, "start": "2025-13-01",
                                                         "annual_cost": "lots", "one_off": "not a list"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "There is a problem" in html and html.count('class="govuk-error-message"') == 3
    errors = error_texts(html)
    assert errors[0].startswith("Start: Input should be a valid date")
    assert errors[1].startswith("Annual cost: Input should be a valid number")
    assert errors[2].startswith("One off: cannot be read")
    r = client.post(f"{base}/lever/new/step_down", data={"csrf_token": token, "start": "2025-04-01",
                                                          "from_category": "secure", "to_category": "secure"})
    assert "Give exactly one of children_per_year or percent_per_year" in r.get_data(as_text=True)
    r = client.post(f"{base}/lever/new/staffing", data={"csrf_token": token, "start": "2025-04-01",
                                                         "posts": "- post: Manager\n  fte_before: 2\n  fte_after: 1"})
    assert error_texts(r.get_data(as_text=True)) == ["Posts, item 1, salary: 'salary' is required"]
    r = client.post(f"{base}/lever/new/sufficiency", data={"csrf_token": token})
    assert error_texts(r.get_data(as_text=True)) == ["Enter start", "Choose add category", "Choose displace category",
                                                 "Enter placements"]
    assert "The scenario has no levers yet" in client.get(base + "/check").get_data(as_text=True)


def test_csrf_unknown_scenarios_and_types_are_refused(client, draft):
    base, token = draft
    assert client.post("/scenarios/new").status_code == 400
    assert client.post(f"{base}/lever/new/contract", data={"start": "2025-04-01"}).status_code == 400
    assert client.get(f"{base}/lever/new/nonsense").status_code == 404
    assert client.get(f"{base}/lever/7/contract").status_code == 404
    assert client.get("/scenarios/0123456789abcdef0123456789abcdef/check").status_code == 404
    assert client.get("/scenarios/../../secret_key/check").status_code == 404
    assert client.get("/scenarios/result/nope").status_code == 404


def test_change_and_remove_a_lever(client, draft):
    base, token = draft
    client.post(f"{base}/lever/new/contract", data={"csrf_token": token, **EVERY_TYPE["contract"]})
    client.post(f"{base}/lever/new/income", data={"csrf_token": token, **EVERY_TYPE["income"]})
    page = client.get(f"{base}/lever/0/contract").get_data(as_text=True)
    assert 'value="640000"' in page and 'value="319000"' in page
    r = client.post(f"{base}/lever/0/contract", data={"csrf_token": token, **EVERY_TYPE["contract"],
                                                      "reinvest": "300000"})
    assert r.status_code == 303
    assert client.post(f"{base}/lever/1/remove", data={"csrf_token": token}).status_code == 303
    saved = Scenario.loads(client.get(base + "/scenario.yaml").get_data(as_text=True))
    assert [(lv.type, lv.reinvest) for lv in saved.levers] == [("contract", 300000)]


def test_run_reuses_the_job_and_shows_each_levers_saving(client, draft, web_app):
    base, token = draft
    client.post(f"{base}/lever/new/contract", data={"csrf_token": token, **EVERY_TYPE["contract"]})
    assert client.post(base + "/run", data={"csrf_token": token, "runs": "5"}).status_code == 400
    first = client.post(base + "/run", data={"csrf_token": token, "runs": "20"})
    again = client.post(base + "/run", data={"csrf_token": token, "runs": "20"})
    assert first.status_code == 303 and first.headers["Location"] == again.headers["Location"]
    result = client.get(wait_for_job(client, first.headers["Location"]))
    html = result.get_data(as_text=True)
    # £640,000 a year ended, £319,000 reinvested: £321k in each whole financial year, with no range
    row = re.search(r"Residential contract</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r"£[\d,]+k", row) == ["£321k"] * 5
    job_id = result.request.path.rsplit("/", 1)[1]
    assert client.get(f"/scenarios/result/{job_id}/savings.svg").mimetype == "image/svg+xml"
    assert Scenario.loads(client.get(f"/scenarios/result/{job_id}/scenario.yaml").get_data(as_text=True)).levers[
        0].annual_cost == 640000


@pytest.mark.browser
def test_build_and_run_a_scenario_in_the_browser(page, check_accessibility, screenshot):
    page.goto("/scenarios/")
    check_accessibility(page)
    screenshot(page, "scenarios")
    page.get_by_role("button", name="Start a new scenario").click()
    page.get_by_label("What is the scenario called?").fill("More foster carers")
    page.get_by_role("button", name="Continue").click()
    check_accessibility(page)
    # a flow lever (selects, a number), a money lever (the hand-checked contract) and a list of items (textarea)
    for kind, title in (("sufficiency", "New in-house places"), ("contract", "End or reduce a contract"),
                        ("staffing", "Restructure staffing")):
        page.get_by_label(title).check()
        page.get_by_role("button", name="Continue").click()
        if kind == "sufficiency":
            page.get_by_role("button", name="Save the lever and continue").click()  # nothing typed: errors
            assert page.locator(".govuk-error-summary").is_visible()
            check_accessibility(page)
            screenshot(page, "scenarios-lever-errors")
        for name, value in EVERY_TYPE[kind].items():
            field = page.locator(f"[name={name}]")
            if field.first.get_attribute("type") == "radio":
                page.locator(f"[name={name}][value={value}]").check()
            elif field.first.evaluate("e => e.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)
        page.get_by_role("button", name="Save the lever and continue").click()
        assert page.url.endswith("/check"), page.locator(".govuk-error-summary").all_inner_texts()
        if kind != "staffing":
            page.get_by_role("link", name="Add another lever").click()
    check_accessibility(page)
    screenshot(page, "scenarios-check")
    with page.expect_download() as download:
        page.get_by_role("link", name="Save the scenario as a YAML file").click()
    saved = Scenario.load(download.value.path())
    assert [lv.type for lv in saved.levers] == ["sufficiency", "contract", "staffing"]
    page.get_by_label("Monte Carlo runs").fill("20")
    page.get_by_role("button", name="Run the scenario").click()
    page.wait_for_url("**/scenarios/result/**", timeout=600_000)
    assert page.get_by_role("heading", name="Savings by lever and financial year").is_visible()
    assert "£321k" in page.locator("#savings").inner_text()
    check_accessibility(page)
    screenshot(page, "scenarios-result")
    # attach the contract's saving to Cambridgeshire's MST contract case (£321k stated for 2019-20); the check page
    # shows the case's savings now beside the scenario's
    attach_in_browser(page, check_accessibility, "A/R.6.264", "Residential contract", {
        "2019-20": ["£321k", "-", "-", "-"], "2026-27": ["-", "£321k", "£321k", "£321k"]}, screenshot)
