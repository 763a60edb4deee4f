"""Alembic environment: careflow runs migrations in-process on a connection it passes in (see register.db)."""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - careflow always passes one
    raise RuntimeError("careflow migrations run through careflow.register.db.upgrade()")
context.configure(connection=connection, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
