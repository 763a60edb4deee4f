"""Register settings with their history: each change is a row (which setting, its new value, when, who), the latest
row of a setting is its value. The first setting: ``child_level`` (may cases hold child-level data).

Revision ID: 0004_settings
Revises: 0003_accounts
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_settings"
down_revision = "0003_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_settings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, index=True),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("register_settings")
