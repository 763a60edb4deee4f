"""The register in a database (SQLite and a real PostgreSQL): round trips, audit trail, stale edits, migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from _register_db import db_url_fixture
from careflow.errors import CareflowError
from careflow.register import Register, StaleEditError, Status, dumps_case, load_case, loads_case
from careflow.register import db as regdb
from careflow.register.workbook import read_workbook, write_workbook

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
db_url = db_url_fixture()


def _examples():
    return [load_case(p) for p in sorted(EXAMPLES.glob("cases/*.yaml"))]


def test_round_trip_every_example_through_the_register(db_url, tmp_path):
    items = _examples()
    with Register(db_url, user="analyst") as reg:
        reg.import_cases(items)
        exported = []
        for case, _ in items:
            stored = reg.get(case.reference)
            assert stored.case == case and stored.version == 1
            y = tmp_path / f"{len(exported)}.yaml"
            y.write_text(dumps_case(stored.case, stored.version), encoding="utf-8")
            x = tmp_path / f"{len(exported)}.xlsx"
            write_workbook(stored.case, x, stored.version)
            exported.append((y, x))
        # re-import the exports over the originals: nothing changes, no new versions
        results = reg.import_cases([load_case(y) for y, _ in exported], update=True)
        assert {r.action for r in results} == {"unchanged"}
        results = reg.import_cases([read_workbook(x) for _, x in exported], update=True)
        assert {r.action for r in results} == {"unchanged"}
        assert [s.case for s in reg.list()] == sorted((c for c, _ in items), key=lambda c: c.reference)
    # and into an empty register from the xlsx files alone
    url2 = f"sqlite:///{tmp_path / 'second.sqlite'}"
    with Register(url2) as reg2:
        reg2.import_cases([read_workbook(x) for _, x in exported])
        assert sorted(reg2.cases(), key=lambda c: c.reference) == sorted((c for c, _ in items),
                                                                          key=lambda c: c.reference)


def test_audit_records_who_what_when_old_and_new(db_url):
    case, _ = loads_case("reference: A/R.9\ntitle: Old title\nunits: £k\nsavings: {2019-20: 100}\n")
    with Register(db_url, user="alice") as reg:
        reg.add(case)
        stored = reg.get("A/R.9")
        edited = stored.case.model_copy(update={"title": "New title",
                                                "financials": {**stored.case.financials,
                                                               "savings": {"2019-20": 120}}})
        assert reg.update(edited, stored.version, user="bob") == 2
        reg.set_status("A/R.9", "submitted", user="carol")
        reg.track("A/R.9", "2019/20", forecast=110, user="dan")
        history = reg.history("A/R.9")
    changes = {(h.version, h.user, h.action, h.field, h.old, h.new) for h in history if h.version > 1}
    assert changes == {
        (2, "bob", "update", "title", "Old title", "New title"),
        (2, "bob", "update", "financials.savings.2019-20", 100, 120),
        (3, "carol", "status", "status", "draft", "submitted"),
        (4, "dan", "track", "tracking.2019-20.planned", None, 120),  # planned defaults to the case's savings
        (4, "dan", "track", "tracking.2019-20.forecast", None, 110),
    }
    assert all(h.user == "alice" and h.action == "create" for h in history if h.version == 1)
    assert [h.at for h in history] == sorted(h.at for h in history)


def test_stale_edit_refused_and_nothing_overwritten(db_url):
    case, _ = loads_case("reference: A/R.9\ntitle: T\n")
    with Register(db_url, user="u") as reg:
        reg.add(case)
        v1 = reg.get("A/R.9")
        first = v1.case.model_copy(update={"title": "first edit"})
        second = v1.case.model_copy(update={"title": "second edit, from the same version"})
        reg.update(first, v1.version)
        with pytest.raises(StaleEditError) as exc:
            reg.update(second, v1.version)
        assert "version 1" in str(exc.value) and "now version 2" in str(exc.value)
        now = reg.get("A/R.9")
        assert (now.case.title, now.version) == ("first edit", 2)
        assert len([h for h in reg.history("A/R.9") if h.version == 2]) == 1
        with pytest.raises(StaleEditError):
            reg.track("A/R.9", "2019-20", forecast=1, expected_version=1)
        assert reg.get("A/R.9").case.tracking == []


def test_status_workflow_enforced(db_url):
    with Register(db_url) as reg:
        reg.add(loads_case("reference: X\n")[0])
        with pytest.raises(CareflowError, match="cannot move from draft to approved"):
            reg.set_status("X", "approved")
        with pytest.raises(CareflowError, match="unknown status"):
            reg.set_status("X", "agreed")
        for s in ("submitted", "approved", "delivering", "delivered"):
            reg.set_status("X", s)
        assert reg.get("X").case.status is Status.DELIVERED
        with pytest.raises(CareflowError, match="none \\(final\\)"):
            reg.set_status("X", "draft")
        assert reg.get("X").version == 5


def test_failed_batch_import_changes_nothing(db_url):
    good, _ = loads_case("reference: A\n")
    with Register(db_url) as reg:
        reg.add(loads_case("reference: B\ntitle: original\n")[0])
        with pytest.raises(CareflowError, match="already in the register"):
            reg.import_cases([(good, None), (loads_case("reference: B\ntitle: changed\n")[0], None)])
        assert "A" not in reg and reg.get("B").case.title == "original"
        with pytest.raises(CareflowError, match="more than one"):
            reg.import_cases([(good, None), (good, None)])
        assert "A" not in reg


# migrations ---------------------------------------------------------------------------------------------------
def test_migrations_upgrade_empty_and_previous_schema(db_url):
    engine = regdb.make_engine(regdb.resolve_url(db_url))
    try:
        assert regdb.current_revision(engine) is None
        regdb.upgrade(engine, "0001_initial")
        assert regdb.current_revision(engine) == "0001_initial"
        # a case written by the 0001 schema, with tracking inside its document
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO cases (reference, title, status, version, document, created_at, created_by, "
                "updated_at, updated_by) VALUES ('OLD/1', 'Old', 'approved', 3, :doc, :t, 'x', :t, 'x')"),
                {"doc": '{"reference": "OLD/1", "title": "Old", "status": "approved", "financials": {"units": '
                        '"£k", "savings": {"2019-20": 200}}, "tracking": [{"year": "2019-20", "planned": 200, '
                        '"forecast": 150}]}', "t": "2019-06-01 12:00:00"})
    finally:
        engine.dispose()
    with Register(db_url) as reg:  # opening upgrades to head
        assert regdb.current_revision(reg.engine) == regdb.head() == regdb.REVISIONS[-1]
        old = reg.get("OLD/1")
        assert old.version == 3 and old.case.status is Status.APPROVED
        (entry,) = old.case.tracking
        assert (entry.year, entry.planned, entry.forecast, entry.rag.value) == ("2019-20", 200, 150, "red")
        with reg.engine.connect() as conn:
            doc = conn.execute(sa.text("SELECT document FROM cases")).scalar_one()
        assert "tracking" not in (doc if isinstance(doc, dict) else __import__("json").loads(doc))
        regdb.downgrade(reg.engine, "0001_initial")  # and back: tracking returns to the document
        regdb.upgrade(reg.engine)
        assert reg.get("OLD/1").case.tracking == old.case.tracking


def test_database_url_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv(regdb.ENV_URL, raising=False)
    assert regdb.resolve_url().endswith("register.sqlite") and regdb.resolve_url().startswith("sqlite:///")
    monkeypatch.setenv(regdb.ENV_URL, "postgresql://u@h/db")
    assert regdb.resolve_url() == "postgresql+psycopg://u@h/db"
    assert regdb.resolve_url(str(tmp_path / "r.db")) == f"sqlite:///{tmp_path / 'r.db'}"


def test_a_register_from_a_newer_careflow_is_refused_with_a_clear_error(tmp_path):
    # a schema revision this version does not know (another checkout or a newer careflow migrated the file):
    # a CareflowError naming the revision and what to do, never Alembic's traceback, and the file untouched
    import sqlalchemy as sa

    from careflow.errors import CareflowError
    from careflow.register import Register

    path = tmp_path / "register.sqlite"
    Register(str(path)).close()
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    before = path.read_bytes()
    with pytest.raises(CareflowError) as e:
        Register(str(path))
    assert "9999_from_the_future" in str(e.value) and "newer careflow" in str(e.value)
    assert path.read_bytes() == before
