"""Nothing child-level in the register unless it is allowed (careflow.register.childlevel): every way a case is
written (add, import, update, status, tracking notes, milestones) refuses a child's identifier, pseudonym or date of
birth, and writes nothing; allowing it is a setting recorded with who, when and why."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from _register_db import db_url_fixture
from careflow.cli import main
from careflow.errors import CareflowError
from careflow.privacy import pseudonym
from careflow.register import Register, loads_case
from careflow.register.childlevel import child_level_paths

db_url = db_url_fixture()

CASE = "reference: A/R.7\ntitle: Step-down to fostering\nunits: £k\nsavings: {2025-26: 100}\n"
ROWS = [{"item": "children moved", "rows": [{"CHILD": "100234", "saving": 40}, {"CHILD": "100235", "saving": 60}]}]


def _per_child():
    """A case carrying one row per child (the library takes any mapping in cross_checks: a case file's loader
    checks their shape, a program writing to the register need not)."""
    return loads_case(CASE)[0].model_copy(update={"cross_checks": ROWS})
A_PSEUDONYM = pseudonym("LA", "100234", salt="test")


@pytest.mark.parametrize("doc,found", [
    ({"cross_checks": [{"rows": [{"Child ID": "7", "cost": 1}]}]}, [("cross_checks[0].rows[0].Child ID",
                                                                     "a field named Child ID")]),
    ({"notes": f"moved {A_PSEUDONYM} in May"}, [("notes", "a child's pseudonym (16 hex digits)")]),
    ({"financials": {"per_child": [{"date_of_birth": "2012-01-01"}]}},
     [("financials.per_child[0].date_of_birth", "a field named date_of_birth")]),
    ({"notes": "children: 12; cost £1,234,567,890,123 (not hex); commit abc1234; 0123456789abcdef0"}, []),
    ({"source": "seeds/001_312962ae619799dd.txt and 9d6312b81eaf5888.txt"}, []),
    ({"notes": f"{A_PSEUDONYM}. Then {A_PSEUDONYM.upper()}"}, [("notes", "a child's pseudonym (16 hex digits)")]),
    ({"indicators": [{"name": "entries", "cohort": {"children": "cohort.csv"}, "actuals": {"2025-26": 12}}]}, []),
])
def test_what_counts_as_child_level(doc, found):
    assert child_level_paths(doc) == found


def test_child_level_data_is_refused_by_every_write_and_nothing_is_written(db_url):
    with Register(db_url, user="ana") as reg:
        with pytest.raises(CareflowError) as err:
            reg.add(_per_child())
        assert [f.field for f in err.value.findings] == ["cross_checks[0].rows[0].CHILD",
                                                         "cross_checks[0].rows[1].CHILD"]
        assert "child-level" in str(err.value) and "careflow cases child-level --allow" in str(err.value)
        assert "A/R.7" not in reg
        with pytest.raises(CareflowError, match="child-level"):
            reg.import_cases([(_per_child(), None)])
        assert "A/R.7" not in reg
        reg.add(loads_case(CASE)[0])
        stored = reg.get("A/R.7")
        with pytest.raises(CareflowError, match="notes holds child-level data"):
            reg.update(stored.case.model_copy(update={"notes": f"see child {A_PSEUDONYM}"}), stored.version)
        with pytest.raises(CareflowError, match=r"tracking\.2025-26\.note holds child-level"):
            reg.track("A/R.7", "2025-26", delivered=50, note=f"{A_PSEUDONYM} returned home")
        after = reg.get("A/R.7")
        assert after.version == 1 and after.case.tracking == [] and after.case.notes is None
        assert [e.action for e in reg.history("A/R.7")] == ["create"] * len(reg.history("A/R.7"))


def test_allowing_child_level_data_is_recorded_with_who_when_and_why(db_url):
    with Register(db_url, user="ana") as reg:
        assert not reg.child_level_allowed() and reg.setting_history() == []
        change = reg.allow_child_level(reason="DPIA 2025/14", user="dpo")
        assert reg.child_level_allowed()
        assert reg.add(_per_child()) == 1
        assert reg.get("A/R.7").case.cross_checks[0]["rows"][0]["CHILD"] == "100234"
        assert any(e.field == "cross_checks" and e.user == "ana" for e in reg.history("A/R.7"))
        reg.allow_child_level(False, user="dpo")
        with pytest.raises(CareflowError, match="child-level"):
            reg.track("A/R.7", "2025-26", note=f"{A_PSEUDONYM}")
        reg.track("A/R.7", "2025-26", delivered=90)  # edits that add nothing child-level still save
        history = reg.setting_history("child_level")
    assert [(c.value, c.user, c.reason) for c in history] == [(True, "dpo", "DPIA 2025/14"), (False, "dpo", None)]
    at = [c.at if c.at.tzinfo else c.at.replace(tzinfo=dt.UTC) for c in history]  # SQLite keeps no zone
    assert at[0] == change.at and at[0] <= at[1]


def test_the_cli_shows_allows_and_lists_the_setting(tmp_path):
    db = str(tmp_path / "register.sqlite")

    def run(*args):
        return CliRunner().invoke(main, ["cases", "--database", db, "--user", "dpo", "child-level", *args])

    first = run()
    assert first.exit_code == 0 and first.output == "child-level data in cases: refused (the default)\n"
    r = run("--allow", "--reason", "DPIA 2025/14")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "child-level data in cases: allowed"
    assert lines[1].endswith("dpo          allow  (DPIA 2025/14)")
    assert run("--refuse").output.splitlines()[0] == "child-level data in cases: refused (the default)"
