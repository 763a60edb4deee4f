"""Databases for the register tests: a fresh SQLite file, or a fresh database on a real PostgreSQL server.

PostgreSQL tests need ``CAREFLOW_TEST_POSTGRES_URL`` (a server URL whose user may CREATE DATABASE, e.g.
``postgresql://postgres@127.0.0.1:5432/postgres``; ``.ci/run`` starts one and sets it) and skip without it.
"""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

ENV = "CAREFLOW_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]


def _pg_admin_url() -> str:
    url = os.environ.get(ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {ENV} (a server URL that may create databases); .ci/run sets it")
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def fresh_database(kind: str, tmp_path):
    """Yield the URL of an empty database of ``kind``; PostgreSQL databases are dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.sqlite'}"
        return
    admin = sa.make_url(_pg_admin_url())
    name = f"careflow_t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def db_url_fixture():
    @pytest.fixture(params=BACKENDS)
    def db_url(request, tmp_path):
        yield from fresh_database(request.param, tmp_path)

    return db_url
