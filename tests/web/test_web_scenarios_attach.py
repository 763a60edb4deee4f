"""Attaching a scenario run's savings to a business case from the Scenario builder: choose the case and the lever,
check the figures, attach; the case shows the lever's saving by financial year (the hand-checked contract: £640,000
a year ended, £319,000 reinvested, £321k saved in every whole financial year), the change is in the case's history,
a stale check page is refused, and in shared mode a viewer cannot attach (the before-request role hook)."""

from __future__ import annotations

import re

from journey_helpers import EVERY_TYPE, error_texts, wait_for_job
from test_shared_mode import _login, shared  # noqa: F401 (the shared-mode app fixture)
from web_helpers import token_in

from careflow.register import Register

CASE = "A/R.6.264"  # Cambridgeshire's MST contract: £321k a year stated for 2019-20


def run_contract(client, levers=("contract",)) -> str:
    """Build and run a scenario with the hand-checked contract lever (and others); returns the result's URL."""
    token = token_in(client.get("/scenarios/").get_data(as_text=True))
    base = client.post("/scenarios/new", data={"csrf_token": token}).headers["Location"].rsplit("/", 1)[0]
    client.post(base + "/name", data={"csrf_token": token, "name": "Contract"})
    for kind in levers:
        assert client.post(f"{base}/lever/new/{kind}", data={"csrf_token": token, **EVERY_TYPE[kind]}
                           ).status_code == 303
    r = client.post(base + "/run", data={"csrf_token": token, "runs": "20"})
    return wait_for_job(client, r.headers["Location"]).split("?")[0]


def test_attach_a_levers_saving_to_a_case(client, web_app):
    result = run_contract(client, ("contract", "income"))
    html = client.get(result).get_data(as_text=True)
    attach = re.search(r'href="([^"]+/attach)"[^>]*>\s*Attach to a business case', html).group(1)
    page = client.get(attach).get_data(as_text=True)
    token = token_in(page)
    # both levers and the two together are offered; the register's cases are listed
    assert re.findall(r'name="lever" type="radio" value="([^"]+)"', page) == ["Residential contract", "income",
                                                                               "all"]
    assert f'value="{CASE}"' in page
    r = client.post(attach, data={"csrf_token": token, "case": "", "lever": ""})
    assert r.status_code == 400
    assert error_texts(r.get_data(as_text=True)) == ["Choose the business case", "Choose whose saving the case takes"]
    assert client.post(attach, data={"csrf_token": token, "case": "NO/SUCH", "lever": "all"}).status_code == 400
    r = client.post(attach, data={"csrf_token": token, "case": CASE, "lever": "Residential contract"})
    assert r.status_code == 303 and "/attach/check?" in r.headers["Location"]
    check = client.get(r.headers["Location"]).get_data(as_text=True)
    rows = re.findall(r'<th scope="row" class="govuk-table__header">(\d{4}-\d\d)</th>(.*?)</tr>', check, re.S)
    figures = {year: re.findall(r"(£[\d,]+k|-)</td>", cells) for year, cells in rows}
    assert figures["2019-20"] == ["£321k", "-", "-", "-"]  # what the case states now, and nothing from the run
    whole_years = [y for y in figures if y >= "2025-26"][:-1]  # the run's last year may be part of a year
    assert whole_years and all(figures[y] == ["-", "£321k", "£321k", "£321k"] for y in whole_years)
    before = _register(web_app).get(CASE)
    form = {"csrf_token": token_in(check), "version": str(before.version), "case": CASE,
            "lever": "Residential contract"}
    assert client.post(r.headers["Location"].split("?")[0], data={**form, "csrf_token": ""}).status_code == 400
    done = client.post(r.headers["Location"].split("?")[0], data=form)
    assert done.status_code == 303 and done.headers["Location"].startswith("/cases/case/A/R.6.264")
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Cost and savings saved" in shown and "lever &#39;Residential contract&#39;" in shown
    after = _register(web_app).get(CASE)
    changed = {e.field: e.new for e in _register(web_app).history(CASE) if e.version == after.version}
    money = after.case.financials
    assert after.version == before.version + 1
    assert [money["savings"][y] for y in whole_years] == [321.0] * len(whole_years)
    assert "2019-20" not in money["savings"] and money["units"] == "£k"
    assert changed[f"financials.savings.{whole_years[0]}"] == 321.0 and "financials.savings_source" in changed
    # the source names the file the result page saves the scenario as (the name "Contract")
    assert "(contract.yaml, built in careflow's web app)" in money["savings_source"]
    # the same page again, made from the version before: refused, nothing written
    stale = client.post(r.headers["Location"].split("?")[0], data=form)
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "The savings were not attached" in page
    # the page is made again from the case as it is now: its savings now are the run's, and its version the new one
    row = re.search(rf'<th scope="row" class="govuk-table__header">{whole_years[0]}</th>(.*?)</tr>', page, re.S)
    assert re.findall(r"(£[\d,]+k|-)</td>", row.group(1)) == ["£321k"] * 4
    assert re.search(rf'name="version" (?:type="hidden" )?value="{after.version}"', page)
    assert _register(web_app).get(CASE).version == after.version


def _register(app):
    """The app's own register (the one its pages show)."""
    from careflow.web.casework import register

    with app.app_context():
        return register()


def test_in_shared_mode_a_viewer_cannot_attach_and_the_history_names_the_editor(shared):  # noqa: F811
    editor = shared.test_client()
    _login(editor, "ed")
    result = run_contract(editor)
    # one lever: not asked, the form carries it
    page = editor.get(result + "/attach").get_data(as_text=True)
    assert 'type="radio"' not in page and '<input type="hidden" name="lever" value="Residential contract">' in page
    r = editor.post(result + "/attach", data={"csrf_token": token_in(page), "case": "A/R.1",
                                              "lever": "Residential contract"})
    check = r.headers["Location"]
    assert r.status_code == 303 and check.startswith(result + "/attach/check?")
    html = editor.get(check).get_data(as_text=True)
    assert "£321k" in html  # a case with no figures yet takes the saving in £ thousands
    form = {"csrf_token": token_in(html), "version": "1", "case": "A/R.1", "lever": "Residential contract"}
    viewer = shared.test_client()
    _login(viewer, "vic")
    # the pages offer attaching only to those who may: the result's button and the check page's form
    attach = f'href="{result}/attach"'
    assert attach in editor.get(result).get_data(as_text=True)
    assert attach not in viewer.get(result).get_data(as_text=True)
    seen = viewer.get(check)
    assert seen.status_code == 200  # reading is allowed
    assert 'id="attach-needs-editor"' in seen.get_data(as_text=True)
    assert "Attach the savings to the case" not in seen.get_data(as_text=True)
    assert "Attach the savings to the case" in html
    assert viewer.post(result + "/attach/check", data={
        **form, "csrf_token": token_in(viewer.get(check).get_data(as_text=True))}).status_code == 403
    assert editor.post(result + "/attach/check", data=form).status_code == 303
    with Register(shared.url) as reg:
        stored = reg.get("A/R.1")
        who = {e.user for e in reg.history("A/R.1") if e.version == 2}
    assert stored.version == 2 and who == {"ed"} and stored.case.financials["units"] == "£k"
