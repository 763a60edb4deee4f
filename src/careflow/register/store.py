"""The register: business cases in a database, each with a version, every change in the audit trail.

Every write is one transaction: the case row, its new version, its tracking rows and its audit rows commit together
or not at all (a crash or a killed process mid-write leaves the previous state). Optimistic concurrency: an edit
names the version it was based on; if the case has moved on since, the edit is refused and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from careflow.errors import CareflowError, Finding, pydantic_findings
from careflow.fy import FinancialYear
from careflow.register import childlevel, db
from careflow.register import financials as fin
from careflow.register.model import BusinessCase, Milestone, Status, TrackingEntry, can_move

ENV_USER = "CAREFLOW_USER"

_md = sa.MetaData()
cases_t = sa.Table(
    "cases", _md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reference", sa.String(100), nullable=False, unique=True),
    sa.Column("title", sa.Text),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("document", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)
audit_t = sa.Table(
    "audit", _md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("user", sa.String(200), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("field", sa.Text, nullable=False),
    sa.Column("old", sa.JSON),
    sa.Column("new", sa.JSON),
)
tracking_t = sa.Table(
    "tracking", _md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("year", sa.String(7), nullable=False),
    sa.Column("planned", sa.Float),
    sa.Column("forecast", sa.Float),
    sa.Column("delivered", sa.Float),
    sa.Column("note", sa.Text),
)
settings_t = sa.Table(
    "register_settings", _md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("user", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text),
)


# Who is acting in this context (thread or task): the web app sets the signed-in user here for each request in
# shared mode, so every change it makes names them even where a view does not pass ``user=``.
ACTING_USER: ContextVar[str | None] = ContextVar("careflow_acting_user", default=None)


@contextmanager
def acting_as(name: str) -> Iterator[None]:
    """Changes made inside the block, without an explicit ``user``, are recorded as ``name``'s."""
    token = ACTING_USER.set(name)
    try:
        yield
    finally:
        ACTING_USER.reset(token)


def current_user(user: str | None = None) -> str:
    """Who is making a change: ``user`` (``--user``), else the acting user (:func:`acting_as`, the signed-in
    user in shared mode), else ``CAREFLOW_USER``, else the operating-system login."""
    if user:
        return user
    if ACTING_USER.get():
        return ACTING_USER.get()
    if os.environ.get(ENV_USER):
        return os.environ[ENV_USER]
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers)
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


class StaleEditError(CareflowError):
    """An edit based on an older version of a case than the register holds."""


@dataclass(frozen=True)
class StoredCase:
    case: BusinessCase
    version: int
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str


@dataclass(frozen=True)
class AuditEntry:
    reference: str
    version: int
    at: dt.datetime
    user: str
    action: str
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class SettingChange:
    """One change of a register setting: which, its new value, when, who and why."""

    name: str
    value: Any
    at: dt.datetime
    user: str
    reason: str | None


@dataclass(frozen=True)
class Imported:
    reference: str
    version: int
    action: str  # "created", "updated" or "unchanged"


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dicts flattened to dotted paths (``community_impact.positive``, ``savings.2019-20``); lists kept whole."""
    if isinstance(value, dict) and (value or not prefix):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def _diff(old: dict, new: dict) -> list[tuple[str, Any, Any]]:
    def filled(d: dict) -> dict:  # None, [] and {} all mean "blank": no change between them
        return {k: v for k, v in _flatten(d).items() if v not in (None, [], {})}

    a, b = filled(old), filled(new)
    return [(k, a.get(k), b.get(k)) for k in list(a) + [k for k in b if k not in a] if a.get(k) != b.get(k)]


def _document(case: BusinessCase) -> dict:
    """What is stored in cases.document: everything but tracking (its own table)."""
    return {"status": case.status.value,
            **case.model_dump(mode="json", exclude_defaults=True, exclude={"tracking"})}


def _tracking_doc(entries: list[TrackingEntry]) -> dict:
    return {e.year: e.model_dump(mode="json", exclude={"year"}, exclude_none=True) for e in entries}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Register:
    """A register of business cases in the database at ``url`` (see :func:`careflow.register.db.resolve_url`).

    Opening it brings the schema up to date (migrations run in-process).
    """

    def __init__(self, database: str | None = None, *, user: str | None = None, migrate: bool = True):
        self.url = db.resolve_url(database)
        self.engine = db.make_engine(self.url)
        self._user = user  # None: whoever is acting at the time of each change (see current_user)
        if migrate:
            try:
                if db.current_revision(self.engine) != db.head():
                    db.upgrade(self.engine)
            except sa.exc.OperationalError as exc:
                raise CareflowError(f"cannot open the register at {self.safe_url}: {exc.orig}",
                                    rule="database") from None

    @property
    def user(self) -> str:
        """The name changes are recorded under when a call gives none: the ``user`` the register was opened with,
        else :func:`current_user` at the time of the change."""
        return current_user(self._user)

    @property
    def safe_url(self) -> str:
        return sa.make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # reading ---------------------------------------------------------------------------------------------------
    def _row(self, conn: sa.Connection, reference: str, *, lock: bool = False):
        q = sa.select(cases_t).where(cases_t.c.reference == reference)
        if lock:
            q = q.with_for_update()
        row = conn.execute(q).mappings().first()
        if row is None:
            raise CareflowError(Finding(rule="case-not-found", message=f"no case {reference!r} in the register",
                                        field="reference"))
        return row

    def _tracking(self, conn: sa.Connection, case_id: int) -> list[TrackingEntry]:
        rows = conn.execute(sa.select(tracking_t).where(tracking_t.c.case_id == case_id)
                            .order_by(tracking_t.c.year)).mappings().all()
        return [TrackingEntry(year=r["year"], planned=r["planned"], forecast=r["forecast"],
                              delivered=r["delivered"], note=r["note"]) for r in rows]

    def _stored(self, conn: sa.Connection, row) -> StoredCase:
        case = BusinessCase.model_validate({**row["document"], "tracking": self._tracking(conn, row["id"])})
        return StoredCase(case, row["version"], row["created_at"], row["created_by"], row["updated_at"],
                          row["updated_by"])

    def get(self, reference: str) -> StoredCase:
        with self.engine.connect() as conn:
            return self._stored(conn, self._row(conn, reference))

    def __contains__(self, reference: str) -> bool:
        with self.engine.connect() as conn:
            q = sa.select(cases_t.c.id).where(cases_t.c.reference == reference)
            return conn.execute(q).first() is not None

    def list(self) -> list[StoredCase]:
        """Every case, in reference order."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(cases_t).order_by(cases_t.c.reference)).mappings().all()
            return [self._stored(conn, r) for r in rows]

    def cases(self) -> list[BusinessCase]:
        return [s.case for s in self.list()]

    def finance_cases(self) -> list:
        """The cases with financial figures, as :mod:`careflow.finance` appraises and rolls them up (cases without
        financial keys are left out)."""
        out = []
        for case in self.cases():
            fc = fin.finance_case(case)
            if fc is not None:
                out.append(fc)
        return out

    def portfolio(self, units: str | None = None, *, combine_authorities: bool = False):
        """The MTFS roll-up (:func:`careflow.finance.rollup`) of every case in the register with figures (refused
        when they come from different councils, unless ``combine_authorities``)."""
        from careflow.finance.portfolio import rollup

        return rollup(self.finance_cases(), units=units, combine_authorities=combine_authorities)

    def history(self, reference: str) -> list[AuditEntry]:
        """The audit trail of one case, oldest first."""
        with self.engine.connect() as conn:
            row = self._row(conn, reference)
            rows = conn.execute(sa.select(audit_t).where(audit_t.c.case_id == row["id"])
                                .order_by(audit_t.c.id)).mappings().all()
        return [AuditEntry(reference, r["version"], r["at"], r["user"], r["action"], r["field"], r["old"], r["new"])
                for r in rows]

    def approval(self, reference: str) -> AuditEntry | None:
        """Who approved the case and when: the audit entry of its latest move to approved (None if never)."""
        moves = [e for e in self.history(reference)
                 if e.field == "status" and e.new == Status.APPROVED.value and e.old != Status.APPROVED.value]
        return moves[-1] if moves else None

    # child-level data (careflow.register.childlevel) ------------------------------------------------------------
    def _setting(self, conn: sa.Connection, name: str, default: Any = None) -> Any:
        row = conn.execute(sa.select(settings_t.c.value).where(settings_t.c.name == name)
                           .order_by(settings_t.c.id.desc()).limit(1)).first()
        return default if row is None else row[0]

    def child_level_allowed(self) -> bool:
        """Whether cases may hold child-level data (off unless someone allowed it: :meth:`allow_child_level`)."""
        with self.engine.connect() as conn:
            return bool(self._setting(conn, childlevel.SETTING, False))

    def allow_child_level(self, allowed: bool = True, *, reason: str | None = None,
                          user: str | None = None) -> SettingChange:
        """Allow (or stop allowing) child-level data in cases; the change is kept with who, when and why
        (:meth:`setting_history`). Stopping does not remove what cases already hold."""
        change = SettingChange(childlevel.SETTING, bool(allowed), _now(), current_user(user or self.user),
                               reason or None)
        with self.engine.begin() as conn:
            conn.execute(settings_t.insert().values(name=change.name, value=change.value, at=change.at,
                                                    user=change.user, reason=change.reason))
        return change

    def setting_history(self, name: str | None = None) -> list[SettingChange]:
        """Every change of the register's settings (or of one), oldest first."""
        q = sa.select(settings_t).order_by(settings_t.c.id)
        if name is not None:
            q = q.where(settings_t.c.name == name)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [SettingChange(r["name"], r["value"], r["at"], r["user"], r["reason"]) for r in rows]

    def _check_child_level(self, conn: sa.Connection, reference: str, old: dict, new: dict) -> None:
        """Refuse a write that adds child-level data to a case while the register does not allow it."""
        found = childlevel.added(old, new)
        if found and not self._setting(conn, childlevel.SETTING, False):
            raise childlevel.refusal(reference, found)

    # writing ---------------------------------------------------------------------------------------------------
    def _insert(self, conn: sa.Connection, case: BusinessCase, user: str, action: str) -> Imported:
        now = _now()
        exists = conn.execute(sa.select(cases_t.c.version).where(cases_t.c.reference == case.reference)).first()
        if exists is not None:
            raise CareflowError(Finding(
                rule="case-duplicate", field="reference",
                message=f"{case.reference!r} is already in the register (version {exists[0]}); "
                        "use import --update to edit it"))
        doc = _document(case)
        written = {**doc, "tracking": _tracking_doc(case.tracking)}  # what is checked is what is audited
        self._check_child_level(conn, case.reference, {}, written)
        case_id = conn.execute(cases_t.insert().values(
            reference=case.reference, title=case.title, status=case.status.value, version=1, document=doc,
            created_at=now, created_by=user, updated_at=now, updated_by=user)).inserted_primary_key[0]
        self._write_tracking(conn, case_id, case.tracking)
        changes = _diff({}, written)
        self._audit(conn, case_id, 1, now, user, action, changes or [("reference", None, case.reference)])
        return Imported(case.reference, 1, "created")

    def _write_tracking(self, conn: sa.Connection, case_id: int, entries: list[TrackingEntry]) -> None:
        conn.execute(tracking_t.delete().where(tracking_t.c.case_id == case_id))
        if entries:
            conn.execute(tracking_t.insert(), [
                {"case_id": case_id, "year": e.year, "planned": e.planned, "forecast": e.forecast,
                 "delivered": e.delivered, "note": e.note} for e in entries])

    def _audit(self, conn, case_id, version, at, user, action, changes) -> None:
        conn.execute(audit_t.insert(), [
            {"case_id": case_id, "version": version, "at": at, "user": user, "action": action, "field": field,
             "old": old, "new": new} for field, old, new in changes])

    def _replace(self, conn: sa.Connection, case: BusinessCase, expected_version: int | None, user: str,
                 action: str, *, check_status: bool = True) -> Imported:
        row = self._row(conn, case.reference, lock=True)
        current = self._stored(conn, row)
        if expected_version is not None and expected_version != row["version"]:
            raise StaleEditError(Finding(
                rule="stale-edit", field="version",
                message=f"{case.reference!r} has changed since version {expected_version} "
                        f"(now version {row['version']}, last changed by {row['updated_by']} at "
                        f"{_fmt(row['updated_at'])}); nothing was changed: export it again, "
                        f"re-apply your edit and retry"))
        old_status, new_status = current.case.status, case.status
        if check_status and not can_move(old_status, new_status):
            raise CareflowError(_transition_finding(case.reference, old_status, new_status))
        old = {**row["document"], "tracking": _tracking_doc(current.case.tracking)}
        new_doc = _document(case)
        written = {**new_doc, "tracking": _tracking_doc(case.tracking)}  # what is checked is what is audited
        changes = _diff(old, written)
        if not changes:
            return Imported(case.reference, row["version"], "unchanged")
        self._check_child_level(conn, case.reference, old, written)
        version = row["version"] + 1
        now = _now()
        done = conn.execute(cases_t.update()
                            .where(cases_t.c.id == row["id"], cases_t.c.version == row["version"])
                            .values(title=case.title, status=case.status.value, version=version,
                                    document=new_doc, updated_at=now, updated_by=user))
        if done.rowcount != 1:  # another writer got in between (guard; the row lock should prevent it)
            raise StaleEditError(Finding(rule="stale-edit", field="version",
                                         message=f"{case.reference!r} changed while saving; nothing was changed"))
        self._write_tracking(conn, row["id"], case.tracking)
        self._audit(conn, row["id"], version, now, user, action, changes)
        return Imported(case.reference, version, "updated")

    def add(self, case: BusinessCase, *, user: str | None = None) -> int:
        """Add a new case (version 1). A reference already in the register is refused."""
        with self.engine.begin() as conn:
            return self._insert(conn, case, current_user(user or self.user), "create").version

    def update(self, case: BusinessCase, expected_version: int, *, user: str | None = None) -> int:
        """Replace a case with an edited copy based on ``expected_version``; return the new version.

        Refused (StaleEditError, nothing written) if the register's version is not ``expected_version``; a status
        change must be an allowed transition.
        """
        with self.engine.begin() as conn:
            return self._replace(conn, case, expected_version, current_user(user or self.user), "update").version

    def import_cases(self, items: list[tuple[BusinessCase, int | None]], *, update: bool = False,
                     user: str | None = None) -> list[Imported]:
        """Import many cases in one transaction: all of them or, on any error, none.

        New references are created. An existing reference is refused unless ``update``; then the file's
        ``version`` (if it has one) must be the register's current version.
        """
        who = current_user(user or self.user)
        refs = [c.reference for c, _ in items]
        dupes = sorted({r for r in refs if refs.count(r) > 1})
        if dupes:
            raise CareflowError([Finding(rule="case-duplicate", field="reference",
                                         message=f"{r!r} appears in more than one of the files imported")
                                 for r in dupes])
        out = []
        with self.engine.begin() as conn:
            for case, version in items:
                exists = conn.execute(sa.select(cases_t.c.id).where(cases_t.c.reference == case.reference)).first()
                if exists is None:
                    out.append(self._insert(conn, case, who, "import"))
                elif not update:
                    out.append(self._insert(conn, case, who, "import"))  # raises the duplicate finding
                else:
                    out.append(self._replace(conn, case, version, who, "import"))
        return out

    def set_status(self, reference: str, status: Status | str, *, user: str | None = None,
                   expected_version: int | None = None) -> int:
        """Move a case along its workflow; a move the workflow does not allow is refused."""
        try:
            new = Status(status)
        except ValueError:
            raise CareflowError(Finding(rule="case-status", field="status",
                                        message=f"unknown status {status!r}: one of "
                                                f"{', '.join(s.value for s in Status)}")) from None
        with self.engine.begin() as conn:
            current = self._stored(conn, self._row(conn, reference, lock=True)).case
            if not can_move(current.status, new):
                raise CareflowError(_transition_finding(reference, current.status, new))
            edited = current.model_copy(update={"status": new})
            return self._replace(conn, edited, expected_version, current_user(user or self.user), "status").version

    def track(self, reference: str, year: str, *, planned: float | None = None, forecast: float | None = None,
              delivered: float | None = None, note: str | None = None, indicators: dict[str, float] | None = None,
              user: str | None = None, expected_version: int | None = None) -> TrackingEntry:
        """Record planned/forecast/delivered savings for one financial year (in the case's units), and indicator
        actuals for that year (``{indicator name: value}``).

        Values not given keep what was recorded; ``planned`` defaults to the case's net saving for that year
        (savings less ongoing costs, cumulative basis: the MTFS figure) when nothing was recorded. A year outside
        the case (before its first year or after its last stated year) is refused.
        """
        try:
            label = FinancialYear.parse(year).label
        except ValueError as exc:
            raise CareflowError(Finding(rule="tracking-year", field="year", message=str(exc))) from None
        for name, value in (("planned", planned), ("forecast", forecast), ("delivered", delivered)):
            if value is not None and (value != value or value in (float("inf"), float("-inf"))):
                raise CareflowError(Finding(rule="tracking-value", field=name, message="must be a finite number"))
        with self.engine.begin() as conn:
            current = self._stored(conn, self._row(conn, reference, lock=True)).case
            plan = fin.planned_savings(current.financials)
            if plan and label not in plan:
                years = list(plan)
                raise CareflowError(Finding(rule="tracking-year", field="year",
                                            message=f"{label} is outside {reference!r}, whose years run "
                                                    f"{years[0]} to {years[-1]}"))
            entry = current.tracking_for(label) or TrackingEntry(year=label)
            values = entry.model_dump()
            for name, value in (("planned", planned), ("forecast", forecast), ("delivered", delivered),
                                ("note", note)):
                if value is not None:
                    values[name] = value
            if values["planned"] is None:
                values["planned"] = plan.get(label)
            new_entry = TrackingEntry(**values)
            entries = [e for e in current.tracking if e.year != label] + [new_entry]
            update: dict = {"tracking": sorted(entries, key=lambda e: e.year)}
            if indicators:
                names = [i.name for i in current.indicators]
                unknown = [n for n in indicators if n not in names]
                if unknown:
                    raise CareflowError([Finding(rule="tracking-indicator", field="indicator",
                                                 message=f"{reference!r} has no indicator {n!r}; its indicators: "
                                                         f"{'; '.join(names) or 'none'}") for n in unknown])
                update["indicators"] = [
                    i.model_copy(update={"actuals": dict(sorted({**i.actuals, label: float(indicators[i.name])}
                                                               .items()))}) if i.name in indicators else i
                    for i in current.indicators]
            edited = current.model_copy(update=update)
            self._replace(conn, edited, expected_version, current_user(user or self.user), "track")
            return new_entry


    def refresh(self, reference: str, data, *, population=None, local=None, base_dir=None, data_label=None,
                user: str | None = None, expected_version: int | None = None) -> tuple[int, list[str]]:
        """Fill in the actuals of the case's data-bound indicators from ``data`` (SSDA903, see
        :func:`careflow.register.tracking.refresh_indicators`); the change is audited as ``refresh`` with the user.
        Returns (new version, one line per indicator)."""
        from careflow.register.tracking import refresh_indicators

        who = current_user(user or self.user)
        with self.engine.begin() as conn:
            current = self._stored(conn, self._row(conn, reference, lock=True)).case
            edited, messages = refresh_indicators(current, data, population=population, local=local,
                                                  base_dir=base_dir, user=who, data_label=data_label)
            return self._replace(conn, edited, expected_version, who, "refresh").version, messages

    def milestone(self, reference: str, which: str | int, *, status: str | None = None, planned: str | None = None,
                  actual: str | None = None, user: str | None = None,
                  expected_version: int | None = None) -> Milestone:
        """Record a milestone's status and planned/actual dates. ``which`` is its phase (as the case names it) or
        its 1-based position in the case's milestones; values not given keep what was recorded."""
        from pydantic import ValidationError

        with self.engine.begin() as conn:
            current = self._stored(conn, self._row(conn, reference, lock=True)).case
            ms = current.milestones
            listing = "; ".join(f"{i}. {m.phase}" + (f" ({m.date})" if m.date else "") for i, m in
                                enumerate(ms, start=1)) or "none"
            if isinstance(which, int) or str(which).isdigit():
                hits = [int(which) - 1] if 1 <= int(which) <= len(ms) else []
            else:
                hits = [i for i, m in enumerate(ms) if m.phase.strip().lower() == str(which).strip().lower()]
            if len(hits) != 1:
                raise CareflowError(Finding(
                    rule="milestone", field="milestone",
                    message=f"{reference!r} has {'no' if not hits else 'more than one'} milestone {which!r}; give "
                            f"its phase or number: {listing}"))
            values = {k: v for k, v in (("status", status), ("planned", planned), ("actual", actual))
                      if v is not None}
            try:
                new = Milestone.model_validate({**ms[hits[0]].model_dump(), **values})
            except ValidationError as exc:
                raise CareflowError(pydantic_findings(exc, "milestone", lambda loc: {
                    "field": ".".join(map(str, loc)) or "milestone"})) from None
            edited = current.model_copy(update={"milestones": [new if i == hits[0] else m for i, m in enumerate(ms)]})
            self._replace(conn, edited, expected_version, current_user(user or self.user), "milestone")
            return new

    def risks(self, status: str | None = None) -> list:
        """The risk register across cases (optionally only cases with ``status``), highest score first
        (:func:`careflow.register.tracking.risk_register`)."""
        from careflow.register.tracking import risk_register

        return risk_register([c for c in self.cases() if status is None or c.status.value == status])


def _transition_finding(reference: str, old: Status, new: Status) -> Finding:
    from careflow.register.model import TRANSITIONS

    allowed = ", ".join(sorted(s.value for s in TRANSITIONS[old])) or "none (final)"
    return Finding(rule="case-status", field="status",
                   message=f"{reference!r} cannot move from {old.value} to {new.value}; from {old.value} it can "
                           f"move to: {allowed}")


def _fmt(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if isinstance(at, dt.datetime) else str(at)
