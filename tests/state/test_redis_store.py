"""The Redis store: key layout, a TTL on every key, and no exception when Redis is down or a lock was lost."""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

import pytest
import redis

from bot.state.codec import encode_state
from bot.state.redis_store import LOCK_TTL_S, RedisStore, redis_client
from tests.state.support import CLINIC, PATIENT


@pytest.mark.redis
def test_every_key_written_has_a_ttl_including_the_lock(client: redis.Redis, prefix: str) -> None:
    store = RedisStore(client, prefix)
    store.save(CLINIC, PATIENT, {"step": 1}, ttl_s=60)
    with store.lock(CLINIC, PATIENT) as held:
        assert held
        ttls = {key.decode(): client.pttl(key) for key in client.scan_iter(match=f"{prefix}*")}
    assert set(ttls) == {f"{prefix}conv:{CLINIC}:{PATIENT}", f"{prefix}lock:{CLINIC}:{PATIENT}"}
    assert 0 < ttls[f"{prefix}conv:{CLINIC}:{PATIENT}"] <= 60_000
    assert 0 < ttls[f"{prefix}lock:{CLINIC}:{PATIENT}"] <= LOCK_TTL_S * 1000
    assert client.exists(f"{prefix}lock:{CLINIC}:{PATIENT}") == 0  # released


@pytest.mark.redis
def test_the_value_is_the_compact_json_within_2_kb(
    client: redis.Redis, prefix: str, conversation: dict[str, Any]
) -> None:
    RedisStore(client, prefix).save(CLINIC, PATIENT, conversation, ttl_s=60)
    raw = client.get(f"{prefix}conv:{CLINIC}:{PATIENT}")
    assert raw == encode_state(conversation).encode()
    assert client.strlen(f"{prefix}conv:{CLINIC}:{PATIENT}") <= 2048


@pytest.mark.redis
def test_a_lock_lost_before_release_does_not_raise(
    client: redis.Redis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedisStore(client, prefix)
    with store.lock(CLINIC, PATIENT) as held:
        assert held
        client.delete(f"{prefix}lock:{CLINIC}:{PATIENT}")  # as if it had expired during a very slow turn
    assert [record.getMessage() for record in caplog.records] == [
        "Redis state unlock failed for clinic +1514555**** patient +1514555**** (LockNotOwnedError); "
        "the conversation goes on without it"
    ]


def closed_port() -> int:
    """A local port that nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_redis_down_degrades_quickly_without_raising(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.state.redis_store")
    client = redis_client(f"redis://127.0.0.1:{closed_port()}/0")
    store = RedisStore(client, prefix="rdvbot-test-down:")
    started = time.monotonic()
    assert store.load(CLINIC, PATIENT) is None
    store.save(CLINIC, PATIENT, {"step": 1}, ttl_s=60)
    store.delete(CLINIC, PATIENT)
    with store.lock(CLINIC, PATIENT) as held:
        assert held is False
    assert time.monotonic() - started < 1.0
    messages = [record.getMessage() for record in caplog.records]
    assert [message.split()[2] for message in messages] == ["load", "save", "delete", "lock"]
    assert all("+1514555****" in message and "(ConnectionError)" in message for message in messages)
    assert not any(CLINIC in message or PATIENT in message for message in messages)
    client.close()
