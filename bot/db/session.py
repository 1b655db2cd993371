"""The database handle: one engine per process and a unit of work (one transaction) around each change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import retry, retry_if_exception, stop_after_attempt

from bot.core.deadline import check_deadline

#: How long a SQLite writer waits for another one before giving up (seconds).
SQLITE_BUSY_TIMEOUT_S = 30
#: Execution option of the SQLite engine whose statements are each their own transaction (see `autocommit`).
_NO_BEGIN = "rdvbot_no_begin"


def is_stale_connection(error: BaseException) -> bool:
    """True when a statement failed because its pooled connection was dead (the server restarted or dropped it)."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


#: For the first unit of work of a request: once more on a fresh connection when the pooled one was dead.
retry_on_stale_connection = retry(
    retry=retry_if_exception(is_stale_connection), stop=stop_after_attempt(2), reraise=True
)


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the message is one line, without credentials."""


def normalise_url(url: str) -> URL:
    """Parse a database URL; plain postgresql:// URLs use psycopg 3, the driver we install."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL for concurrent readers, and BEGIN IMMEDIATE so writers queue instead of deadlocking.

    pysqlite would otherwise start transactions lazily, and two connections that both read then write
    fail at once with "database is locked" instead of waiting for each other.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # pysqlite runs with its own transaction handling off: without BEGIN, SQLite commits each statement.
        if not connection.get_execution_options().get(_NO_BEGIN, False):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            check_deadline()  # the write lock may have taken long: a turn past its deadline must not write


class Database:
    """An engine and its session factory; `transaction()` is the unit of work."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        parsed = normalise_url(url)
        if parsed.get_backend_name() == "sqlite":
            engine_options.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False})
        else:
            # No pool_pre_ping: it costs a round trip per checkout, several per SMS turn. A connection the server
            # dropped fails its first statement instead, SQLAlchemy then discards the whole pool, and the turn's
            # first unit of work is retried once (`retry_on_stale_connection`).
            engine_options.setdefault("connect_args", {"connect_timeout": 5})
        # An error names its statement but never the values bound to it (numbers, messages): logs are not for them.
        engine_options.setdefault("hide_parameters", True)
        self.engine: Engine = create_engine(parsed, **engine_options)
        if self.engine.dialect.name == "sqlite":
            _configure_sqlite(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        #: For units of work of one statement, atomic on its own: each statement commits by itself, which saves
        #: the BEGIN and COMMIT round trips (on PostgreSQL, three of the four a lone statement otherwise costs).
        self.autocommit: Engine = self.engine.execution_options(
            **({_NO_BEGIN: True} if self.dialect == "sqlite" else {"isolation_level": "AUTOCOMMIT"})
        )
        self._reading_sessions = sessionmaker(self.autocommit, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits when the block ends normally, rolls back on any exception."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that only reads, outside any transaction: each statement sees the latest committed data.

        That is all PostgreSQL's READ COMMITTED would give inside a transaction, and on SQLite readers then
        neither queue behind writers for the write lock nor hold a snapshot open.
        """
        with self._reading_sessions() as session, session.begin():
            yield session

    def check(self) -> None:
        """Raise `DatabaseUnavailable` unless a trivial query succeeds."""
        try:
            self._select_one()
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise DatabaseUnavailable(f"cannot reach the database at {self.safe_url}: {reason}") from None

    @retry_on_stale_connection  # a dead pooled connection is not a database down
    def _select_one(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def analyze(self) -> None:
        """Refresh the planner's statistics (after seeding: without them PostgreSQL scans every appointment
        to tell a free slot from a booked one)."""
        with self.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")

    def dispose(self) -> None:
        """Close pooled connections (at shutdown, or after a fork)."""
        self.engine.dispose()
