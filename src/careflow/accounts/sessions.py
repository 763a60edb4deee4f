"""Server-side sessions: the cookie carries a random token, the database only its SHA-256, so signing out, a
disabled account or a reset second factor ends a session at once, in every server process.

A session ends after ``lifetime`` from sign-in or ``idle`` without a request, whichever comes first. A session
that has passed the password but not yet the second factor is marked so (``mfa_passed`` False); passing it makes a
new token (rotation), as does every sign-in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from careflow.accounts.schema import User, sessions_t, user_from_row, users_t, utc

LIFETIME = dt.timedelta(hours=8)  # a working day
IDLE = dt.timedelta(minutes=30)
_TOUCH = dt.timedelta(seconds=60)  # last_seen_at is written at most once a minute per session


@dataclass(frozen=True)
class Session:
    user: User
    mfa_passed: bool
    created_at: dt.datetime
    last_seen_at: dt.datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Sessions:
    def __init__(self, engine: sa.Engine, clock: Callable[[], dt.datetime], *, lifetime: dt.timedelta = LIFETIME,
                 idle: dt.timedelta = IDLE):
        self.engine, self.clock, self.lifetime, self.idle = engine, clock, lifetime, idle

    def start(self, user: User, *, mfa_passed: bool) -> str:
        """A new session for ``user``; returns the token for the cookie (shown once, stored hashed)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(sessions_t.insert().values(token_hash=_hash(token), user_id=user.id, mfa_passed=mfa_passed,
                                                    created_at=now, last_seen_at=now))
        return token

    def get(self, token: str | None) -> Session | None:
        """The live session for ``token``, or None (unknown, expired, idle too long, or its user disabled).
        Expired sessions are deleted; a live one's last-seen time moves on."""
        if not token or len(token) > 200:
            return None
        now = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(
                sa.select(sessions_t.c.id, sessions_t.c.mfa_passed, sessions_t.c.created_at,
                          sessions_t.c.last_seen_at, users_t)
                .join(users_t, users_t.c.id == sessions_t.c.user_id)
                .where(sessions_t.c.token_hash == _hash(token))).mappings().first()
            if row is None:
                return None
            created, seen = utc(row["created_at"]), utc(row["last_seen_at"])
            user = user_from_row(row)
            if now - created > self.lifetime or now - seen > self.idle or user.disabled:
                conn.execute(sessions_t.delete().where(sessions_t.c.id == row["id"]))
                return None
            if now - seen > _TOUCH:
                conn.execute(sessions_t.update().where(sessions_t.c.id == row["id"]).values(last_seen_at=now))
                seen = now
            return Session(user, bool(row["mfa_passed"]), created, seen)

    def rotate(self, token: str, *, mfa_passed: bool) -> str | None:
        """Replace ``token``'s session by a new one for the same user (after the second factor); None if gone."""
        session = self.get(token)
        if session is None:
            return None
        self.end(token)
        return self.start(session.user, mfa_passed=mfa_passed)

    def end(self, token: str | None) -> None:
        if token:
            with self.engine.begin() as conn:
                conn.execute(sessions_t.delete().where(sessions_t.c.token_hash == _hash(token)))

    def end_all(self, user_id: int, conn: sa.Connection | None = None) -> None:
        """End every session of a user (disabled, role changed, password or second factor reset)."""
        if conn is None:
            with self.engine.begin() as c:
                c.execute(sessions_t.delete().where(sessions_t.c.user_id == user_id))
        else:
            conn.execute(sessions_t.delete().where(sessions_t.c.user_id == user_id))
