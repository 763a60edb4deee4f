"""Delivery tracking in its own table: one row per case and financial year (planned, forecast, delivered).

Moves any ``tracking`` list held in the case documents by 0001 into rows, so tracking can be updated and queried
per year without rewriting the whole document.

Revision ID: 0002_tracking
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_tracking"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("document", sa.JSON))
tracking = sa.table(
    "tracking", sa.column("case_id", sa.Integer), sa.column("year", sa.String), sa.column("planned", sa.Float),
    sa.column("forecast", sa.Float), sa.column("delivered", sa.Float), sa.column("note", sa.Text),
)


def upgrade() -> None:
    op.create_table(
        "tracking",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("year", sa.String(7), nullable=False),
        sa.Column("planned", sa.Float),
        sa.Column("forecast", sa.Float),
        sa.Column("delivered", sa.Float),
        sa.Column("note", sa.Text),
        sa.UniqueConstraint("case_id", "year", name="uq_tracking_case_year"),
    )
    conn = op.get_bind()
    for case_id, document in conn.execute(sa.select(cases.c.id, cases.c.document)).all():
        entries = document.pop("tracking", None)
        if entries is None:
            continue
        for entry in entries:
            conn.execute(tracking.insert().values(
                case_id=case_id, year=entry["year"], planned=entry.get("planned"), forecast=entry.get("forecast"),
                delivered=entry.get("delivered"), note=entry.get("note")))
        conn.execute(cases.update().where(cases.c.id == case_id).values(document=document))


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(tracking).order_by(tracking.c.case_id, tracking.c.year)).mappings().all()
    by_case: dict[int, list] = {}
    for row in rows:
        entry = {k: row[k] for k in ("year", "planned", "forecast", "delivered", "note") if row[k] is not None}
        by_case.setdefault(row["case_id"], []).append(entry)
    for case_id, document in conn.execute(sa.select(cases.c.id, cases.c.document)).all():
        if case_id in by_case:
            document["tracking"] = by_case[case_id]
            conn.execute(cases.update().where(cases.c.id == case_id).values(document=document))
    op.drop_table("tracking")
