"""PostgreSQL dropped our pooled connections (a restart, a failover): the next turn still goes through."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bot.db.session import Database
from bot.db.webhooks import claim, record_answer


def drop_our_connections(database: Database) -> int:
    """Terminate every session of the app's pool on this test's database, as a server restart would."""
    outsider = create_engine(database.engine.url, poolclass=NullPool)
    with outsider.connect() as killer:
        killed = killer.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    outsider.dispose()
    return int(killed)


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    """PostgreSQL only: SQLite has no server to drop connections."""
    database = Database(postgres_url)
    yield database
    database.dispose()


@pytest.mark.postgres
def test_a_turn_after_the_server_dropped_the_pool_succeeds(database: Database) -> None:
    # Two connections in the pool, both about to be dropped.
    with database.engine.connect() as first, database.engine.connect() as second:
        first.execute(text("SELECT 1"))
        second.execute(text("SELECT 1"))
    assert database.engine.pool.checkedin() == 2
    assert drop_our_connections(database) == 2

    assert claim(database, "SM" + "5" * 32, "sms", serialised=True) == (True, None)
    # The first failure discarded the whole pool: the next unit of work does not meet the other dead connection.
    record_answer(database, "SM" + "5" * 32, "sms", {"replies": [], "expects": "nothing"})
    assert claim(database, "SM" + "5" * 32, "sms", serialised=True) == (False, {"replies": [], "expects": "nothing"})


@pytest.mark.postgres
def test_readiness_is_not_fooled_by_a_dropped_pool(database: Database) -> None:
    database.check()
    assert drop_our_connections(database) == 1
    database.check()  # raises DatabaseUnavailable if the dead pooled connection were taken for a down server
