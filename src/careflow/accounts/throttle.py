"""Login throttling kept in the database, so every server process sees the same failures.

Five failed attempts for one account name, or from one address, within 15 minutes and further attempts are refused
(without checking the password) until the oldest of those five is 15 minutes old. Names are counted whether or not
the account exists, so throttling does not tell an attacker which names are real. A successful sign-in clears the
account's failures, not the address's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from careflow.accounts.schema import failures_t, utc

WINDOW = dt.timedelta(minutes=15)
LIMIT = 5
_KEEP = dt.timedelta(days=1)  # failures older than this are deleted as new ones are written


@dataclass(frozen=True)
class Refusal:
    retry_after: int  # seconds until an attempt is allowed again
    reason: str  # "account" or "address"


def username_key(name: str) -> str:
    return name.strip().lower()[:200]


class LoginThrottle:
    def __init__(self, engine: sa.Engine, clock: Callable[[], dt.datetime], *, window: dt.timedelta = WINDOW,
                 limit: int = LIMIT):
        self.engine, self.clock, self.window, self.limit = engine, clock, window, limit

    def check(self, username: str, address: str | None = None) -> Refusal | None:
        """A refusal if the account name or the address has ``limit`` failures within the window."""
        now = self.clock()
        since = now - self.window
        worst: Refusal | None = None
        with self.engine.connect() as conn:
            for reason, column, value in (("account", failures_t.c.username, username_key(username)),
                                          ("address", failures_t.c.address, address)):
                if not value:
                    continue
                times = conn.execute(sa.select(failures_t.c.at).where(column == value, failures_t.c.at > since)
                                     .order_by(failures_t.c.at.desc()).limit(self.limit)).scalars().all()
                if len(times) >= self.limit:
                    wait = utc(times[-1]) + self.window - now
                    seconds = max(1, int(wait.total_seconds() + 0.999))
                    if worst is None or seconds > worst.retry_after:
                        worst = Refusal(seconds, reason)
        return worst

    def failed(self, username: str, address: str | None = None) -> None:
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(failures_t.insert().values(at=now, username=username_key(username),
                                                    address=(address or None) and address[:100]))
            conn.execute(failures_t.delete().where(failures_t.c.at < now - _KEEP))

    def succeeded(self, username: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(failures_t.delete().where(failures_t.c.username == username_key(username)))
