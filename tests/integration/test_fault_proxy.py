"""The fault-injection proxy itself, between a client and the real PostgreSQL and Redis servers."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
from psycopg.conninfo import conninfo_to_dict
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.faults import FaultProxy

# An exception escaping the proxy thread or a destructor fails the test instead of being printed and forgotten.
pytestmark = pytest.mark.filterwarnings(
    "error::pytest.PytestUnhandledThreadExceptionWarning", "error::pytest.PytestUnraisableExceptionWarning"
)


@pytest.fixture
def postgres_proxy(postgres_url: str) -> Iterator[FaultProxy]:
    """A proxy in front of the PostgreSQL server holding this test's database."""
    params = conninfo_to_dict(postgres_url)
    with FaultProxy(str(params.get("host") or "127.0.0.1"), int(params.get("port") or 5432)) as proxy:
        yield proxy


@pytest.fixture
def redis_proxy(redis_url: str) -> Iterator[FaultProxy]:
    """A proxy in front of the test Redis server."""
    parts = urlsplit(redis_url)
    with FaultProxy(parts.hostname or "127.0.0.1", parts.port or 6379) as proxy:
        yield proxy


def connect_postgres(postgres_url: str, proxy: FaultProxy) -> psycopg.Connection[tuple[object, ...]]:
    """This test's database, reached through the proxy."""
    return psycopg.connect(postgres_url, host="127.0.0.1", port=proxy.port, autocommit=True, connect_timeout=3)


def redis_client(proxy: FaultProxy, socket_timeout: float = 0.3) -> redis.Redis:
    """A client that tries once: redis-py would otherwise retry timeouts and refusals for seconds."""
    return redis.Redis(host="127.0.0.1", port=proxy.port, socket_timeout=socket_timeout, retry=Retry(NoBackoff(), 0))


@pytest.mark.postgres
def test_pass_mode_forwards_a_postgres_session(postgres_url: str, postgres_proxy: FaultProxy) -> None:
    with connect_postgres(postgres_url, postgres_proxy) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
    assert postgres_proxy.connections_seen >= 1


@pytest.mark.redis
def test_pass_mode_keeps_a_large_stream_intact_past_a_stalled_reader(redis_proxy: FaultProxy) -> None:
    payload = bytes(range(256)) * 40000  # 10 MB, far more than the socket buffers and the proxy's high water mark
    bulk = b"$" + str(len(payload)).encode() + b"\r\n" + payload + b"\r\n"
    with socket.create_connection(("127.0.0.1", redis_proxy.port), timeout=5) as raw:
        raw.sendall(b"*2\r\n$4\r\nECHO\r\n" + bulk)
        # Not reading yet: the proxy must send partially, stop reading Redis, then resume once we read.
        assert redis_proxy.held_back.wait(10), "the proxy never stopped reading the side it could not forward"
        received = bytearray()
        while len(received) < len(bulk) and (chunk := raw.recv(1 << 20)):
            received += chunk
    assert received == bulk


@pytest.mark.redis
def test_hang_makes_the_client_time_out_and_pass_heals_new_connections(redis_proxy: FaultProxy) -> None:
    client = redis_client(redis_proxy)
    assert client.ping() is True

    redis_proxy.set_mode("hang")
    started = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        client.ping()
    assert 0.25 <= time.monotonic() - started < 1.5
    with pytest.raises(redis.TimeoutError):  # a new connection is accepted, then nothing comes back either
        redis_client(redis_proxy).ping()
    client.close()

    redis_proxy.set_mode("pass")
    fresh = redis_client(redis_proxy)
    assert fresh.ping() is True
    fresh.close()
    assert redis_proxy.connections_seen == 3


@pytest.mark.redis
def test_slow_delays_each_chunk(redis_proxy: FaultProxy) -> None:
    client = redis_client(redis_proxy, socket_timeout=3)
    assert client.ping() is True

    redis_proxy.set_mode("slow", delay_s=0.2)
    started = time.monotonic()
    assert client.ping() is True
    assert time.monotonic() - started >= 0.4  # the command and its answer are each held 0.2 s

    redis_proxy.set_mode("pass")
    started = time.monotonic()
    assert client.ping() is True
    assert time.monotonic() - started < 0.2
    client.close()


@pytest.mark.postgres
def test_reset_aborts_open_connections_and_new_ones(postgres_url: str, postgres_proxy: FaultProxy) -> None:
    connection = connect_postgres(postgres_url, postgres_proxy)
    assert connection.execute("SELECT 1").fetchone() == (1,)
    raw = socket.create_connection(("127.0.0.1", postgres_proxy.port), timeout=2)

    postgres_proxy.set_mode("reset")
    with pytest.raises(psycopg.OperationalError):
        connection.execute("SELECT 1")
    assert connection.broken
    connection.close()
    with pytest.raises(ConnectionResetError):  # an RST, not a polite FIN that would read as b""
        raw.recv(1)
    raw.close()
    with pytest.raises(psycopg.OperationalError):
        connect_postgres(postgres_url, postgres_proxy)
    # The RST comes right after accept: it may beat connect() to reporting success, or hit the first read.
    with pytest.raises(ConnectionResetError), socket.create_connection(("127.0.0.1", postgres_proxy.port), 2) as late:
        late.recv(1)

    postgres_proxy.set_mode("pass")
    with connect_postgres(postgres_url, postgres_proxy) as again:
        assert again.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.redis
def test_refuse_closes_the_port_until_pass_reopens_the_same_one(redis_proxy: FaultProxy) -> None:
    port = redis_proxy.port
    open_client = redis_client(redis_proxy)
    assert open_client.ping() is True

    redis_proxy.set_mode("refuse")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    with pytest.raises(redis.ConnectionError):
        redis_client(redis_proxy).ping()
    assert open_client.ping() is True  # only the listener is gone: open connections still go through

    redis_proxy.set_mode("pass")
    assert redis_proxy.port == port
    fresh = redis_client(redis_proxy)
    assert fresh.ping() is True
    fresh.close()
    open_client.close()


@pytest.mark.redis
def test_stop_leaves_no_thread_nor_socket_behind(redis_url: str) -> None:
    threads_before = set(threading.enumerate())
    fds_before = set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    parts = urlsplit(redis_url)

    with FaultProxy(parts.hostname or "127.0.0.1", parts.port or 6379) as proxy:
        assert len(set(threading.enumerate()) - threads_before) == 1
        client = redis_client(proxy)
        assert client.ping() is True
        held = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        proxy.set_mode("slow", delay_s=5)
        held.sendall(b"PING\r\n")  # still held by the proxy when it stops

    assert set(threading.enumerate()) == threads_before
    assert _closed_by_peer(held)  # stop closed the open connection
    held.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=1).close()
    client.close()
    if fds_before is not None:
        assert set(os.listdir("/proc/self/fd")) == fds_before


def _closed_by_peer(connection: socket.socket) -> bool:
    """Whether the other end closed: an end of stream, or a reset when it closed with our PING still unread (which
    of the two the kernel sends depends on whether the proxy had read it)."""
    try:
        return connection.recv(64) == b""
    except ConnectionResetError:
        return True
