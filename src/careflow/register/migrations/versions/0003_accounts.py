"""Accounts for shared mode: users (argon2 password hashes, roles, TOTP), hashed recovery codes, login failures
(throttling across processes), server-side sessions, and account events (who changed which account, when).

Revision ID: 0003_accounts
Revises: 0002_tracking
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_accounts"
down_revision = "0002_tracking"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),  # lower case: names are case-insensitive
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),  # argon2id, never the password
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("totp_secret", sa.String(64)),  # set at enrolment; in use once totp_enabled_at is set
        sa.Column("totp_enabled_at", sa.DateTime(timezone=True)),
        sa.Column("totp_last_step", sa.BigInteger),  # the last time step accepted: a code is good once
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("code_hash", sa.String(64), nullable=False),  # SHA-256 of a random ~60-bit code
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("user_id", "code_hash", name="uq_recovery_user_code"),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("username", sa.String(200), nullable=False, index=True),  # as typed (lower case), known or not
        sa.Column("address", sa.String(100), index=True),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # SHA-256 of the cookie's token
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("mfa_passed", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "account_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("detail", sa.Text),
    )


def downgrade() -> None:
    for table in ("account_events", "sessions", "login_failures", "recovery_codes", "users"):
        op.drop_table(table)
