"""The database engine and the unit of work that owns each transaction.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy timeout, so a
reader never blocks the writer and a second writer waits instead of failing at once.
PostgreSQL is reached through psycopg 3, with a `lock_timeout` so that a writer waiting for
another's lock gives up after a while too. Either way a writer that gave up is `is_busy`: the
API answers 503 with Retry-After, the CLI says the ledger is busy.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from ledger.storage.settings import get_settings


def normalise_url(url: str) -> str:
    """Pick the psycopg 3 driver for a bare `postgresql://` URL (SQLAlchemy would pick psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """A sync engine for `url` (default: the settings' database URL)."""
    settings = get_settings()
    url = normalise_url(url or settings.database_url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, echo=settings.echo_sql, **kwargs)
        _configure_sqlite(engine, settings.sqlite_busy_timeout_ms)
        return engine
    engine = create_engine(url, echo=settings.echo_sql, pool_pre_ping=True, **kwargs)
    if engine.dialect.name == "postgresql":
        _configure_postgres(engine, settings.postgres_lock_timeout_ms)
    return engine


def _configure_postgres(engine: Engine, lock_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # without it a writer queues behind a long import for as long as that takes, holding
        # a worker and its client; with it, the writer is told to come back (SET is kept for
        # the session once committed)
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
        dbapi_connection.commit()


# lock_not_available (lock_timeout), serialization_failure, deadlock_detected
_BUSY_STATES = frozenset({"55P03", "40001", "40P01"})


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` means another writer held what this one needed for too long (SQLite
    `database is locked`, a PostgreSQL lock timeout, serialization failure or deadlock, no
    free connection in the pool): nothing was written, and trying again later will do."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    original = exc.orig
    if getattr(original, "sqlstate", None) in _BUSY_STATES:
        return True
    words = str(original).lower()
    return isinstance(original, sqlite3.OperationalError) and ("locked" in words or "busy" in words)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own BEGIN handling defers locking; take control so that BEGIN IMMEDIATE
        # below makes a writer wait for the lock up front instead of failing mid-transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # SQLite's default page cache is 2 MB; at a million participants the indexes a run
        # probes and extends are hundreds of MB, and every page missed is a read from the OS
        cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # readers take no lock up front, so they never queue behind each other or a writer
        # (WAL gives them a snapshot); a writer takes the lock before its first statement
        reading_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reading_only else "BEGIN IMMEDIATE")


READ_ONLY = "outcomes_read_only"
CACHE_KIB = 64 * 1024  # per connection, as it is used (SQLite allocates pages on demand)
_readers: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def reader_of(engine: Engine) -> Engine:
    """The engine for read-only work: the same pool, marked so that SQLite begins its
    transactions DEFERRED. One per engine, so that whatever is kept per engine is shared."""
    reader = _readers.get(engine)
    if reader is None:
        reader = _readers[engine] = engine.execution_options(**{READ_ONLY: True})
    return reader


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for reads only: it commits nothing (rolled back at the end) and, on SQLite,
    holds no write lock, so many readers run at once beside one writer."""
    with Session(reader_of(engine), expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


def hold_until_commit(session: OrmSession, key: str) -> None:
    """Make every other transaction that holds `key` wait until this one commits or rolls back.

    PostgreSQL: a transaction-scoped advisory lock on the hash of the key within the ledger's
    schema (a rare hash collision only makes unrelated writers wait). Advisory locks belong to
    the whole database, so the schema is part of the key: two ledgers in schemas of one
    database (the tests' schema per test, run side by side) never wait on each other's locks,
    nor deadlock on them. SQLite needs nothing: its transactions begin IMMEDIATE, so the first
    statement of a unit of work already made any second writer wait.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text(ADVISORY_LOCK), {"key": key})


ADVISORY_LOCK = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':' || :key))"
"""The statement hold_until_commit runs on PostgreSQL (`key`: the lock's name)."""


def is_sqlite(engine: Engine) -> bool:
    """True when the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed as one transaction on success, rolled back on any error.

    All-or-nothing: callers never commit themselves; whatever raises inside the block leaves
    the database exactly as it was.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """The packaged Alembic configuration (ledger/migrations/alembic.ini) pointed at `url`."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        # configparser treats % as interpolation
        config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to `revision` (all of them by default) in one transaction."""
    config = alembic_config()
    with migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Undo the migrations after `revision`, in one transaction."""
    config = alembic_config()
    with migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


@contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """A connection for migrating, in one transaction.

    On SQLite, foreign keys are off while migrating and checked before the commit: altering a
    column rebuilds its table (Alembic's batch mode), and dropping a table that other tables
    reference would otherwise break them (SQLite's documented way to alter a table). The
    pragma is a no-op inside a transaction, so it is set before the transaction begins."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _pragma(connection, "foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys=ON")


def _pragma(connection: Connection, setting: str) -> None:
    # straight on the driver's connection: through SQLAlchemy the statement would begin the
    # transaction (BEGIN IMMEDIATE) first
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    dbapi.execute(f"PRAGMA {setting}")


def head_revisions() -> tuple[str, ...]:
    """The head revision(s) of the packaged migrations (there must be exactly one)."""
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revision(s) the database is at; empty for a database never migrated. A read: it
    takes no write lock (every CLI command and server start asks)."""
    with reader_of(engine).connect() as connection:
        return tuple(MigrationContext.configure(connection).get_current_heads())


def ensure_schema(engine: Engine) -> bool:
    """Upgrade an empty (never migrated) database to the latest schema; True when it did.

    A database that is already migrated is left alone: upgrading a live database is a
    deliberate act (`outcomes db upgrade`), not a side effect of starting the app.
    """
    if current_revisions(engine):
        return False
    upgrade(engine)
    return True


# Every session's new audit records join the hash chain when flushed (a listener registered by
# importing the module): whoever holds an engine from here gets a chained audit log.
from ledger.storage import audit as _audit  # noqa: E402, F401
