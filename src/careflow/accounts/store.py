"""Accounts in the register's database: users and roles, passwords, the second factor, sign-in.

Each change to an account is one transaction and is written to ``account_events`` with who made it (the
``actor``: a signed-in approver's name, or the operating-system login of whoever ran ``careflow users``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from argon2 import PasswordHasher

from careflow.accounts import passwords, totp
from careflow.accounts.roles import Role, parse_role
from careflow.accounts.schema import (
    AccountEvent,
    User,
    events_t,
    recovery_t,
    user_from_row,
    users_t,
    utc,
)
from careflow.accounts.sessions import Sessions
from careflow.accounts.throttle import LoginThrottle, username_key
from careflow.errors import CareflowError, Finding
from careflow.register import db

NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")
# One message for every refused sign-in (unknown name, wrong password, disabled account): no user enumeration.
REFUSED = "The username or password is not right, or the account cannot sign in."
REFUSED_CODE = "That code is not right, or has been used."


class Outcome(StrEnum):
    SIGNED_IN = "signed in"  # all factors passed
    NEEDS_CODE = "needs code"  # password right; the account has a second factor: ask for the code
    NEEDS_ENROLMENT = "needs enrolment"  # password right; a second factor is required and not set up yet
    REFUSED = "refused"
    THROTTLED = "throttled"  # too many failures: try again after retry_after seconds


@dataclass(frozen=True)
class SignIn:
    outcome: Outcome
    user: User | None = None
    retry_after: int | None = None
    message: str = ""
    recovery_codes_left: int | None = None  # when a recovery code was used


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _not_found(name: str) -> CareflowError:
    return CareflowError(Finding(rule="user-not-found", field="name", message=f"no user {name!r}"))


def check_name(name: str) -> str:
    """A user name as stored: lower case; letters, digits and . _ @ - (an e-mail address works)."""
    key = username_key(name)
    if not NAME.match(key):
        raise CareflowError(Finding(rule="user-name", field="name",
                                    message=f"{name!r} is not a user name: 1-100 letters, digits, '.', '_', '@' "
                                            "or '-', starting with a letter or digit"))
    return key


class Accounts:
    """Users, roles and sign-in for shared mode, in the register database at ``database`` (see
    :func:`careflow.register.db.resolve_url`). ``mfa_for_everyone``: require a second factor of every role
    (approvers always need one)."""

    def __init__(self, database: str | None = None, *, hasher: PasswordHasher | None = None,
                 clock: Callable[[], dt.datetime] | None = None, mfa_for_everyone: bool = False,
                 session_lifetime: dt.timedelta | None = None, session_idle: dt.timedelta | None = None,
                 migrate: bool = True):
        self.url = db.resolve_url(database)
        self.engine = db.make_engine(self.url)
        self.hasher = hasher or passwords.default_hasher()
        self.clock = clock or _utcnow
        self.mfa_for_everyone = mfa_for_everyone
        self.throttle = LoginThrottle(self.engine, self.clock)
        self.sessions = Sessions(self.engine, self.clock, **{k: v for k, v in (("lifetime", session_lifetime),
                                                                                ("idle", session_idle)) if v})
        self._dummy_hash: str | None = None
        if migrate:
            try:
                if db.current_revision(self.engine) != db.head():
                    db.upgrade(self.engine)
            except sa.exc.OperationalError as exc:
                raise CareflowError(f"cannot open the register at {self.url}: {exc.orig}", rule="database") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Accounts:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # reading ---------------------------------------------------------------------------------------------------
    def users(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(users_t).order_by(users_t.c.name)).mappings().all()
        return [user_from_row(r) for r in rows]

    def find(self, name: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users_t).where(users_t.c.name == username_key(name))).mappings().first()
        return user_from_row(row) if row else None

    def get(self, name: str) -> User:
        user = self.find(name)
        if user is None:
            raise _not_found(name)
        return user

    def is_empty(self) -> bool:
        """No users yet: the first one must be an approver (:meth:`create_first_approver`)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(users_t)).scalar_one() == 0

    def events(self, name: str | None = None) -> list[AccountEvent]:
        """Changes to accounts (all, or one user's), oldest first."""
        q = sa.select(events_t).order_by(events_t.c.id)
        if name:
            q = q.where(events_t.c.username == username_key(name))
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [AccountEvent(utc(r["at"]), r["actor"], r["action"], r["username"], r["detail"]) for r in rows]

    def mfa_required(self, user: User) -> bool:
        return user.role == Role.APPROVER or self.mfa_for_everyone

    # changing accounts -----------------------------------------------------------------------------------------
    def _event(self, conn: sa.Connection, actor: str, action: str, name: str, detail: str | None = None) -> None:
        conn.execute(events_t.insert().values(at=self.clock(), actor=actor[:200], action=action, username=name,
                                              detail=detail))

    def _row(self, conn: sa.Connection, name: str, *, lock: bool = False):
        q = sa.select(users_t).where(users_t.c.name == username_key(name))
        if lock:
            q = q.with_for_update()
        row = conn.execute(q).mappings().first()
        if row is None:
            raise _not_found(name)
        return row

    def _lock_users(self, conn: sa.Connection) -> None:
        """Serialise changes that depend on the whole table (first user, last approver) between processes.
        SQLite's BEGIN IMMEDIATE already does; PostgreSQL needs a table lock."""
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))

    def add(self, name: str, role: Role | str, password: str, *, actor: str) -> User:
        """Add a user. The first user of a register must be an approver (someone must be able to approve)."""
        key, role = check_name(name), parse_role(role)
        passwords.check_password(password, key)
        digest = passwords.hash_password(self.hasher, password)
        now = self.clock()
        with self.engine.begin() as conn:
            self._lock_users(conn)
            count = conn.execute(sa.select(sa.func.count()).select_from(users_t)).scalar_one()
            if count == 0 and role != Role.APPROVER:
                raise CareflowError(Finding(rule="user-first", field="role",
                                            message="the first user must be an approver (approvers manage the "
                                                    "register's approvals); add one with --role approver"))
            if conn.execute(sa.select(users_t.c.id).where(users_t.c.name == key)).first() is not None:
                raise CareflowError(Finding(rule="user-duplicate", field="name",
                                            message=f"there is already a user {key!r}"))
            conn.execute(users_t.insert().values(name=key, role=role.value, password_hash=digest, disabled=False,
                                                 created_at=now, created_by=actor[:200], password_changed_at=now))
            self._event(conn, actor, "add", key, f"role {role.value}")
            return user_from_row(self._row(conn, key))

    def create_first_approver(self, name: str, password: str, *, actor: str) -> User:
        """The first-run path: the register's first user, an approver. Refused once any user exists."""
        key = check_name(name)
        passwords.check_password(password, key)
        with self.engine.begin() as conn:
            self._lock_users(conn)
            if conn.execute(sa.select(sa.func.count()).select_from(users_t)).scalar_one():
                raise CareflowError(Finding(rule="user-first", field="name",
                                            message="the register already has users: an approver adds others "
                                                    "with careflow users add"))
        return self.add(key, Role.APPROVER, password, actor=actor)

    def _approvers_left(self, conn: sa.Connection, without: int) -> int:
        return conn.execute(sa.select(sa.func.count()).select_from(users_t).where(
            users_t.c.role == Role.APPROVER.value, users_t.c.disabled == sa.false(),
            users_t.c.id != without)).scalar_one()

    def _guard_last_approver(self, conn: sa.Connection, row, what: str) -> None:
        if row["role"] == Role.APPROVER.value and not row["disabled"] and self._approvers_left(conn, row["id"]) == 0:
            raise CareflowError(Finding(rule="user-last-approver", field="name",
                                        message=f"{row['name']!r} is the only active approver: add another "
                                                f"approver before you {what}"))

    def set_role(self, name: str, role: Role | str, *, actor: str) -> User:
        role = parse_role(role)
        with self.engine.begin() as conn:
            self._lock_users(conn)
            row = self._row(conn, name, lock=True)
            if row["role"] == role.value:
                return user_from_row(row)
            if role != Role.APPROVER:
                self._guard_last_approver(conn, row, "change their role")
            conn.execute(users_t.update().where(users_t.c.id == row["id"]).values(role=role.value))
            self.sessions.end_all(row["id"], conn)  # the next request signs in again under the new role
            self._event(conn, actor, "set-role", row["name"], f"{row['role']} -> {role.value}")
            return user_from_row(self._row(conn, name))

    def disable(self, name: str, *, actor: str) -> User:
        """Stop a user signing in and end their sessions (their name stays in the audit trail)."""
        with self.engine.begin() as conn:
            self._lock_users(conn)
            row = self._row(conn, name, lock=True)
            if row["disabled"]:
                return user_from_row(row)
            self._guard_last_approver(conn, row, "disable them")
            conn.execute(users_t.update().where(users_t.c.id == row["id"]).values(disabled=True))
            self.sessions.end_all(row["id"], conn)
            self._event(conn, actor, "disable", row["name"])
            return user_from_row(self._row(conn, name))

    def enable(self, name: str, *, actor: str) -> User:
        with self.engine.begin() as conn:
            row = self._row(conn, name, lock=True)
            if row["disabled"]:
                conn.execute(users_t.update().where(users_t.c.id == row["id"]).values(disabled=False))
                self._event(conn, actor, "enable", row["name"])
            return user_from_row(self._row(conn, name))

    def set_password(self, name: str, password: str, *, actor: str) -> User:
        passwords.check_password(password, username_key(name))
        digest = passwords.hash_password(self.hasher, password)
        with self.engine.begin() as conn:
            row = self._row(conn, name, lock=True)
            conn.execute(users_t.update().where(users_t.c.id == row["id"])
                         .values(password_hash=digest, password_changed_at=self.clock()))
            self.sessions.end_all(row["id"], conn)
            self._event(conn, actor, "set-password", row["name"])
            return user_from_row(self._row(conn, name))

    def reset_mfa(self, name: str, *, actor: str) -> User:
        """Remove a user's second factor and recovery codes (a lost phone); they enrol again at next sign-in."""
        with self.engine.begin() as conn:
            row = self._row(conn, name, lock=True)
            conn.execute(users_t.update().where(users_t.c.id == row["id"])
                         .values(totp_secret=None, totp_enabled_at=None, totp_last_step=None))
            conn.execute(recovery_t.delete().where(recovery_t.c.user_id == row["id"]))
            self.sessions.end_all(row["id"], conn)
            self._event(conn, actor, "reset-mfa", row["name"])
            return user_from_row(self._row(conn, name))

    # signing in ------------------------------------------------------------------------------------------------
    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = passwords.hash_password(self.hasher, "careflow: no such user, same work")
        return self._dummy_hash

    def authenticate(self, name: str, password: str, address: str | None = None) -> SignIn:
        """Check a name and password. Refused attempts count towards throttling; a throttled attempt is refused
        without checking the password. Unknown names, wrong passwords and disabled accounts get the same answer
        after the same work (an argon2 verification)."""
        refusal = self.throttle.check(name, address)
        if refusal is not None:
            return SignIn(Outcome.THROTTLED, retry_after=refusal.retry_after,
                          message=f"Too many attempts. Try again in {max(1, -(-refusal.retry_after // 60))} "
                                  "minutes.")
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users_t).where(users_t.c.name == username_key(name))).mappings().first()
        ok = passwords.verify_password(self.hasher, row["password_hash"] if row else self._dummy(), password)
        if row is None or not ok or row["disabled"]:
            self.throttle.failed(name, address)
            return SignIn(Outcome.REFUSED, message=REFUSED)
        self.throttle.succeeded(name)
        if self.hasher.check_needs_rehash(row["password_hash"]):  # parameters raised since it was hashed
            with self.engine.begin() as conn:
                conn.execute(users_t.update().where(users_t.c.id == row["id"])
                             .values(password_hash=passwords.hash_password(self.hasher, password)))
        user = user_from_row(row)
        if user.mfa_enabled:
            return SignIn(Outcome.NEEDS_CODE, user)
        if self.mfa_required(user):
            return SignIn(Outcome.NEEDS_ENROLMENT, user)
        self.signed_in(user)
        return SignIn(Outcome.SIGNED_IN, user)

    def signed_in(self, user: User) -> None:
        with self.engine.begin() as conn:
            conn.execute(users_t.update().where(users_t.c.id == user.id).values(last_login_at=self.clock()))

    def begin_enrolment(self, name: str) -> str:
        """The TOTP secret for ``name`` to put in an authenticator app: pending until :meth:`confirm_enrolment`
        sees a code made from it. Asking again before then gives the same secret (a reloaded page still matches
        the app)."""
        with self.engine.begin() as conn:
            row = self._row(conn, name, lock=True)
            if row["totp_enabled_at"] is not None:
                raise CareflowError(Finding(rule="mfa-enrolled", field="name",
                                            message=f"{row['name']!r} already has a second factor; an approver "
                                                    "can reset it with careflow users reset-mfa"))
            if row["totp_secret"]:
                return row["totp_secret"]
            secret = totp.new_secret()
            conn.execute(users_t.update().where(users_t.c.id == row["id"]).values(totp_secret=secret))
        return secret

    def confirm_enrolment(self, name: str, code: str) -> list[str] | None:
        """Turn the pending secret on if ``code`` comes from it; returns the recovery codes (shown once), or None
        if the code is wrong."""
        now = self.clock()
        with self.engine.begin() as conn:
            row = self._row(conn, name, lock=True)
            if row["totp_enabled_at"] is not None or not row["totp_secret"]:
                return None
            step = totp.matching_step(row["totp_secret"], code, now.timestamp(), None)
            if step is None:
                return None
            conn.execute(users_t.update().where(users_t.c.id == row["id"])
                         .values(totp_enabled_at=now, totp_last_step=step))
            codes = self._replace_recovery_codes(conn, row["id"])
            self._event(conn, row["name"], "enrol-mfa", row["name"])
        return codes

    def _replace_recovery_codes(self, conn: sa.Connection, user_id: int) -> list[str]:
        codes = totp.new_recovery_codes()
        conn.execute(recovery_t.delete().where(recovery_t.c.user_id == user_id))
        conn.execute(recovery_t.insert(), [{"user_id": user_id, "code_hash": totp.hash_recovery_code(c)}
                                           for c in codes])
        return codes

    def new_recovery_codes(self, name: str) -> list[str]:
        """Replace a user's recovery codes (the old ones stop working); returns the new ones, shown once."""
        with self.engine.begin() as conn:
            row = self._row(conn, name, lock=True)
            if row["totp_enabled_at"] is None:
                raise CareflowError(Finding(rule="mfa-not-enrolled", field="name",
                                            message=f"{row['name']!r} has no second factor"))
            codes = self._replace_recovery_codes(conn, row["id"])
            self._event(conn, row["name"], "new-recovery-codes", row["name"])
        return codes

    def recovery_codes_left(self, name: str) -> int:
        with self.engine.connect() as conn:
            row = self._row(conn, name)
            return conn.execute(sa.select(sa.func.count()).select_from(recovery_t).where(
                recovery_t.c.user_id == row["id"], recovery_t.c.used_at.is_(None))).scalar_one()

    def verify_second_factor(self, name: str, code: str, address: str | None = None) -> SignIn:
        """Check an authenticator code (each good once) or an unused recovery code (then spent). Wrong codes count
        towards throttling, like wrong passwords."""
        refusal = self.throttle.check(name, address)
        if refusal is not None:
            return SignIn(Outcome.THROTTLED, retry_after=refusal.retry_after,
                          message=f"Too many attempts. Try again in {max(1, -(-refusal.retry_after // 60))} "
                                  "minutes.")
        now = self.clock()
        left = None
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(users_t).where(users_t.c.name == username_key(name))
                               .with_for_update()).mappings().first()
            ok = False
            if row is not None and not row["disabled"] and row["totp_enabled_at"] is not None:
                step = totp.matching_step(row["totp_secret"], code, now.timestamp(), row["totp_last_step"])
                if step is not None:
                    conn.execute(users_t.update().where(users_t.c.id == row["id"]).values(totp_last_step=step))
                    ok = True
                elif totp.looks_like_recovery_code(code):
                    spent = conn.execute(recovery_t.update().where(
                        recovery_t.c.user_id == row["id"], recovery_t.c.used_at.is_(None),
                        recovery_t.c.code_hash == totp.hash_recovery_code(code)).values(used_at=now))
                    if spent.rowcount == 1:
                        ok = True
                        left = conn.execute(sa.select(sa.func.count()).select_from(recovery_t).where(
                            recovery_t.c.user_id == row["id"], recovery_t.c.used_at.is_(None))).scalar_one()
                        self._event(conn, row["name"], "used-recovery-code", row["name"], f"{left} left")
        if not ok:
            self.throttle.failed(name, address)
            return SignIn(Outcome.REFUSED, message=REFUSED_CODE)
        self.throttle.succeeded(name)
        user = user_from_row(row)
        self.signed_in(user)
        return SignIn(Outcome.SIGNED_IN, user, recovery_codes_left=left)
