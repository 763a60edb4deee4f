"""The accounts tables (created by migration 0003_accounts) and the user record read from them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from careflow.accounts.roles import Role

_md = sa.MetaData()
users_t = sa.Table(
    "users", _md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("totp_secret", sa.String(64)),
    sa.Column("totp_enabled_at", sa.DateTime(timezone=True)),
    sa.Column("totp_last_step", sa.BigInteger),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_login_at", sa.DateTime(timezone=True)),
)
recovery_t = sa.Table(
    "recovery_codes", _md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True)),
)
failures_t = sa.Table(
    "login_failures", _md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("username", sa.String(200), nullable=False),
    sa.Column("address", sa.String(100)),
)
sessions_t = sa.Table(
    "sessions", _md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("mfa_passed", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
)
events_t = sa.Table(
    "account_events", _md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("detail", sa.Text),
)


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """Datetimes from the database as aware UTC (SQLite hands them back naive; careflow writes only UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class User:
    """An account as careflow shows it: never the password hash or the TOTP secret."""

    id: int
    name: str
    role: Role
    disabled: bool
    mfa_enabled: bool
    created_at: dt.datetime
    created_by: str
    last_login_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return not self.disabled


def user_from_row(row) -> User:
    return User(id=row["id"], name=row["name"], role=Role(row["role"]), disabled=bool(row["disabled"]),
                mfa_enabled=row["totp_enabled_at"] is not None, created_at=utc(row["created_at"]),
                created_by=row["created_by"], last_login_at=utc(row["last_login_at"]))


@dataclass(frozen=True)
class AccountEvent:
    at: dt.datetime
    actor: str
    action: str
    username: str
    detail: str | None
