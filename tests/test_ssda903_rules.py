"""One hand-made fixture per validation rule: each breaks exactly that rule and only that rule."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from careflow.cli import main
from careflow.ssda903 import RULES, load, validate
from ssda903_fixtures import YEAR, base_tables, write_return


def _problems(report):
    return sorted({(f.rule, f.severity) for f in report.findings if f.severity != "info"})


def test_base_fixture_is_clean(tmp_path):
    report = validate(write_return(tmp_path, base_tables()))
    assert _problems(report) == []
    assert report.children == 2 and report.episodes == 3 and report.years == [YEAR]


def _ep(t, i, **kw):
    t["episodes"][i].update(kw)


def _hd(t, i, **kw):
    t["header"][i].update(kw)


# rule -> (mutation, field the finding must name, child)
CASES = {
    "101": (lambda t: _hd(t, 0, SEX="7"), "SEX", "1"),
    "102": (lambda t: _hd(t, 1, DOB="31/02/2012"), "DOB", "2"),
    "141": (lambda t: _ep(t, 2, DECOM="2021-13-01"), "DECOM", "2"),
    "142": (lambda t: _ep(t, 0, DEC="", REC=""), "DEC", "1"),
    "143": (lambda t: _ep(t, 2, RNE="Q"), "RNE", "2"),
    "144": (lambda t: _ep(t, 2, LS="Z9"), "LS", "2"),
    "145": (lambda t: _ep(t, 2, CIN="N9"), "CIN", "2"),
    "146": (lambda t: _ep(t, 2, PLACE="U9"), "PLACE", "2"),
    "147": (lambda t: _ep(t, 2, DEC="2021-09-45"), "DEC", "2"),
    "148": (lambda t: _ep(t, 2, REC=""), "REC", "2"),
    "149": (lambda t: _ep(t, 2, REC="E99"), "REC", "2"),
    "178": (lambda t: _ep(t, 2, PLACE_PROVIDER="PR9"), "PLACE_PROVIDER", "2"),
    "302": (lambda t: _hd(t, 1, DOB="01/07/2021"), "DECOM", "2"),
    "356": (lambda t: _ep(t, 2, DEC="01/05/2021"), "DEC", "2"),
    "388": (lambda t: _ep(t, 2, REC="X1"), "REC", "2"),
    "501": (lambda t: _ep(t, 0, DEC="20/06/2021", REC="E13"), "DEC", "1"),
    "526": (lambda t: _ep(t, 2, PLACE_PROVIDER=""), "PLACE_PROVIDER", "2"),
    "527": (lambda t: _ep(t, 2, PLACE="R2", PLACE_PROVIDER="PR1"), "PLACE_PROVIDER", "2"),
    "528": (lambda t: _ep(t, 2, PLACE="R5", PLACE_PROVIDER="PR2"), "PLACE_PROVIDER", "2"),
    "529": (lambda t: _ep(t, 2, PLACE="K2", PLACE_PROVIDER="PR3"), "PLACE_PROVIDER", "2"),
    "530": (lambda t: _ep(t, 2, PLACE="P1", PLACE_PROVIDER="PR4"), "PLACE_PROVIDER", "2"),
    "531": (lambda t: _ep(t, 2, PLACE="P1", PLACE_PROVIDER="PR5"), "PLACE_PROVIDER", "2"),
    "CF-NO-HEADER": (lambda t: t["header"].pop(1), "CHILD", "2"),
    "CF-AFTER-YEAR": (lambda t: _ep(t, 2, DEC="01/04/2022"), "DEC", "2"),
    "CF-CHILD": (lambda t: _ep(t, 2, CHILD=""), "CHILD", None),
    "CF-DUPLICATE": (lambda t: t["episodes"].append(dict(t["episodes"][2])), None, "2"),
    "CF-DUPLICATE-EPISODE": (lambda t: t["episodes"].append({**t["episodes"][2], "PLACE": "K1"}), "DECOM", "2"),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_rule_fires_alone(tmp_path, rule):
    mutate, field, child = CASES[rule]
    tables = base_tables()
    mutate(tables)
    report = validate(write_return(tmp_path, tables))
    severity = RULES[rule][1]
    assert _problems(report) == [(rule, severity)]
    hits = [f for f in report.findings if f.rule == rule]
    assert len(hits) == 1
    f = hits[0]
    assert f.file and f.file.endswith(".csv") and f.row >= 1
    assert f.field == field and f.child == child


def test_rows_named_by_file_line(tmp_path):
    tables = base_tables()
    _ep(tables, 2, RNE="Q")
    report = validate(write_return(tmp_path, tables))
    (f,) = [f for f in report.findings if f.rule == "143"]
    assert f.row == 4 and f.file.endswith("episodes.csv")  # third data row: line 4, the header being line 1


def test_open_episode_missing_from_later_return_is_reported_and_closed(tmp_path):
    earlier = base_tables()
    earlier["episodes"].append({**earlier["episodes"][2], "CHILD": "3", "DEC": "", "REC": ""})
    earlier["header"].append({**earlier["header"][1], "CHILD": "3"})
    write_return(tmp_path, earlier, year="2020-21")
    # 2020-21 episodes moved a year back so the later return can carry child 1 and 2 forward.
    write_return(tmp_path, base_tables())
    data = load(tmp_path)
    lost = [f for f in data.findings if f.rule == "CF-LOST"]
    assert [(f.child, f.severity) for f in lost] == [("3", "warning")]
    ep3 = data.episodes[data.episodes["source_file"].str.contains("2020-21") & (data.episodes["place"] == "K2")]
    assert str(ep3["dec"].max().date()) == "2021-04-01"


def test_unmapped_category_is_reported_not_guessed(tmp_path):
    cats = tmp_path / "cats.yaml"
    cats.write_text("description: test\nunit: key\nreference: test\nvalues:\n  fostering:\n    place: [U4]\n"
                    "  resi:\n    place: [K2]\n")
    data = load(write_return(tmp_path / "d", base_tables()), categories=cats)
    assert [(f.rule, f.child) for f in data.findings if f.rule == "CF-CATEGORY"] == [("CF-CATEGORY", "1")]
    assert sorted(data.episodes["category"]) == ["fostering", "resi", "unknown"]


def test_bad_category_mapping_names_line(tmp_path):
    cats = tmp_path / "cats.yaml"
    cats.write_text("description: t\nunit: k\nreference: t\nvalues:\n  a:\n    place: [U4]\n  b:\n"
                    "    place: [U4]\n")
    res = CliRunner().invoke(main, ["summary", str(write_return(tmp_path / "d", base_tables())),
                                    "--categories", str(cats)])
    assert res.exit_code == 1 and "cats.yaml" in res.output and "U4" in res.output and "row 8" in res.output


def test_validate_cli_json_shape_and_exit_codes(tmp_path):
    good = write_return(tmp_path / "good", base_tables())
    res = CliRunner().invoke(main, ["validate", str(good), "--format", "json"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["summary"] == {"errors": 0, "warnings": 0, "children": 2, "episodes": 3, "years": [YEAR],
                              "las": []}
    bad_t = base_tables()
    _ep(bad_t, 2, LS="Z9")
    bad = write_return(tmp_path / "bad", bad_t)
    out = tmp_path / "report.csv"
    res = CliRunner().invoke(main, ["validate", str(bad), "--format", "csv", "--output", str(out)])
    assert res.exit_code == 1
    text = out.read_text()
    assert text.splitlines()[0] == "rule,severity,file,row,child,field,message"
    assert "144,error" in text
    assert CliRunner().invoke(main, ["validate", str(bad), "--format", "xml"]).exit_code == 2


def test_summary_counts_hand_checked(tmp_path):
    """Base fixture: on 31 March 2022 child 1 is in care (kinship fostering, U1); child 2 started and ceased in
    2021-22; child 1 started once (the move is not a new period)."""
    res = CliRunner().invoke(main, ["summary", str(write_return(tmp_path, base_tables())), "--format", "json"])
    assert res.exit_code == 0, res.output
    (year,) = json.loads(res.stdout)["years"]
    assert (year["year"], year["at_31_march"], year["starts"], year["ceases"]) == (YEAR, 1, 2, 1)
    assert year["by_category"]["kinship_fostering"] == 1 and sum(year["by_category"].values()) == 1


def test_short_breaks_excluded_from_counts(tmp_path):
    t = base_tables()
    _ep(t, 1, LS="V3")  # child 1's open episode is a short break: not counted on 31 March
    t["episodes"][1]["RNE"] = "L"
    data = load(write_return(tmp_path, t))
    from careflow.ssda903 import summarise
    row = summarise(data).iloc[0]
    assert row["at_31_march"] == 0
    assert data.episodes["short_break"].sum() == 1


def test_same_day_continuation_is_merged_but_moves_are_not(tmp_path):
    t = base_tables()
    # Child 1: legal status change (RNE L) on the same day in the same placement: one episode after cleaning.
    t["episodes"][1].update(RNE="L", PLACE="U4", PLACE_PROVIDER="PR4", LS="C1")
    data = load(write_return(tmp_path, t))
    ep1 = data.episodes[data.episodes["decom"] == "2021-05-01"]
    assert len(data.episodes) == 2 and ep1["dec"].isna().all() and (ep1["ls"] == "C1").all()
    assert _problems(validate(tmp_path)) == []
    # The unmodified base has a real move (RNE P): two episodes, one period of care.
    data = load(write_return(tmp_path / "b", base_tables()))
    c1 = data.episodes.groupby("child").filter(lambda g: len(g) == 2)
    assert len(c1) == 2 and set(c1["period"]) == {0}


def test_pseudonyms_are_salted_and_stable(tmp_path, monkeypatch):
    folder = write_return(tmp_path, base_tables())
    a = set(load(folder).episodes["child"])
    assert a == set(load(folder).episodes["child"]) and not ({"1", "2"} & a)
    assert a != set(load(folder, salt="other").episodes["child"])
    monkeypatch.setenv("CAREFLOW_SALT", "other")
    assert set(load(folder).episodes["child"]) == set(load(folder, salt="other").episodes["child"])


def test_open_episode_closed_by_next_start_continues_period_unless_rne_s(tmp_path):
    t = base_tables()
    _ep(t, 0, DEC="", REC="")  # child 1's first episode left open (142); the move (RNE P) continues the period
    data = load(write_return(tmp_path / "p", t))
    c1 = data.episodes[data.episodes["decom"] < "2021-06-01"]
    assert str(c1["dec"].iloc[0].date()) == "2021-06-10" and c1["rec"].iloc[0] == "X1"
    assert sorted(data.periods["period"]) == [0, 0]
    t["episodes"][1]["RNE"] = "S"  # ...but a next episode that says "started" opens a new period
    data = load(write_return(tmp_path / "s", t))
    assert sorted(data.periods["period"]) == [0, 0, 1]
    first = data.periods[data.periods["period"] == 0].sort_values("start").iloc[0]
    assert first["exit_group"] == "other"


def test_a_file_given_twice_is_read_once(tmp_path):
    folder = write_return(tmp_path, base_tables())
    report = validate([folder, folder / YEAR / "episodes.csv"])
    assert _problems(report) == [] and report.episodes == 3


def test_docs_table_lists_every_rule():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "ssda903.md").read_text()
    for code, (_field, severity, _text) in RULES.items():
        assert f"| {code} |" in doc and severity in ("error", "warning", "info")


def test_year_convention_from_the_dates(tmp_path):
    # The base return's episodes run May 2021 - March 2022: folder "2021" must mean 2021-22...
    t = base_tables()
    write_return(tmp_path / "a", t, year="2021")
    assert validate(tmp_path / "a").years == ["2021-22"]
    # ...and folder "2022" 2021-22 too, even with one mistyped future DECOM (reported, not flipping the reading).
    t["episodes"].append({**t["episodes"][2], "CHILD": "1", "DECOM": "01/06/2023", "DEC": "", "REC": ""})
    for i in range(3, 30):  # enough ordinary episodes that one typo is under 5%
        t["episodes"].append({**t["episodes"][2], "CHILD": str(100 + i)})
        t["header"].append({**t["header"][1], "CHILD": str(100 + i)})
    write_return(tmp_path / "b", t, year="2022")
    report = validate(tmp_path / "b")
    assert report.years == ["2021-22"]
    assert [f.row for f in report.findings if f.rule == "CF-AFTER-YEAR"] == [5]
