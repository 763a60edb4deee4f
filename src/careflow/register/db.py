"""Where the register lives: the database URL, the engine, and the schema migrations (Alembic, run in-process).

Default: an SQLite file ``register.sqlite`` in the user's data directory (platformdirs). ``CAREFLOW_DATABASE_URL``
or ``--database`` override it: a SQLAlchemy URL (``postgresql://user@host/db`` for a team's shared register, run
with the psycopg 3 driver) or a plain file path for an SQLite file.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from platformdirs import user_data_dir

from careflow.errors import CareflowError

ENV_URL = "CAREFLOW_DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"
# The Alembic revisions in order; the tests upgrade through each.
REVISIONS = ("0001_initial", "0002_tracking", "0003_accounts", "0004_settings")
_PG_LOCK = 7243017  # advisory lock id serialising migrations between processes on PostgreSQL


def default_url() -> str:
    path = Path(user_data_dir("careflow", appauthor=False)) / "register.sqlite"
    return f"sqlite:///{path}"


def resolve_url(database: str | None = None) -> str:
    """``--database`` beats ``CAREFLOW_DATABASE_URL`` beats the default file. Paths become SQLite URLs."""
    url = database or os.environ.get(ENV_URL) or default_url()
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            url = "postgresql+psycopg://" + url[len(plain):]
    return url


def make_engine(url: str) -> sa.Engine:
    """An engine whose transactions are atomic and, for SQLite, serialised (BEGIN IMMEDIATE, busy timeout)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise CareflowError(f"not a database URL: {url!r}", rule="database", field="--database") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _create_owner_only(Path(parsed.database))
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):  # take transaction control from pysqlite
            dbapi_connection.isolation_level = None
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):  # take the write lock at the start: no deadlock upgrading a read lock
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    try:
        # pool_pre_ping: a pooled connection is checked before use, so after a database restart the next request
        # reconnects by itself; connect_timeout: an unreachable server fails a request in seconds, not minutes
        return sa.create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        raise CareflowError(f"cannot use {parsed.drivername}: {exc} (pip install 'careflow[postgres]')",
                            rule="database", field="--database") from None


def _create_owner_only(path: Path) -> None:
    """Make the SQLite file (and any folder careflow creates for it) readable by its owner only: the register
    holds business cases, named officers and risks. SQLite gives its -wal and -shm files the database file's
    permissions. An existing file or folder keeps the permissions its owner gave it."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise CareflowError(f"cannot create the register: {exc.strerror}", rule="database",
                            file=str(path)) from None
    os.close(fd)


def _config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` in one transaction (a failed migration leaves the database as it was)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        _refuse_unknown_revision(conn)
        command.upgrade(_config(conn), revision)


def _refuse_unknown_revision(conn: sa.Connection) -> None:
    """A register written by a newer careflow (a schema revision this version does not know) is refused with a
    clear error, not Alembic's "Can't locate revision" traceback: this version must not read or write it."""
    found = MigrationContext.configure(conn).get_current_revision()
    if found is None:
        return
    script = ScriptDirectory.from_config(_config())
    if found not in {s.revision for s in script.walk_revisions()}:
        raise CareflowError(
            f"the register {conn.engine.url.render_as_string(hide_password=True)} has schema revision {found!r}, "
            f"which this careflow does not know (its latest is {script.get_current_head()!r}): it was written by a newer careflow. "
            "Upgrade careflow, or use another register with --database or CAREFLOW_DATABASE_URL.",
            field="alembic_version", rule="register-schema")


def downgrade(engine: sa.Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(_config(conn), revision)
