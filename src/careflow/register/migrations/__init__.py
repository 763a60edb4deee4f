"""Alembic migrations of the register schema (run by careflow.register.db)."""
