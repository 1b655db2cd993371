"""The Redis store: key layout, a TTL on every key, and no exception when Redis is down or a lock was lost."""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

import pytest
import redis

from bot.state.codec import encode_state
from bot.state.keys import UNCONFIGURED_SECRET, NumberKeys
from bot.state.redis_store import LOCK_TTL_S, RedisStore, redis_client
from tests.state.support import CLINIC, PATIENT, load, save


@pytest.mark.redis
def test_every_key_written_has_a_ttl_including_the_lock(client: redis.Redis, prefix: str) -> None:
    store = RedisStore(client, prefix)
    save(store, CLINIC, PATIENT, {"step": 1}, ttl_s=60)
    with store.open(CLINIC, PATIENT) as held:
        assert held.locked
        ttls = {key.decode(): client.pttl(key) for key in client.scan_iter(match=f"{prefix}*")}
    named = NumberKeys(UNCONFIGURED_SECRET).of(PATIENT)
    assert set(ttls) == {f"{prefix}conv:{CLINIC}:{named}", f"{prefix}lock:{CLINIC}:{named}"}
    assert 0 < ttls[f"{prefix}conv:{CLINIC}:{named}"] <= 60_000
    assert 0 < ttls[f"{prefix}lock:{CLINIC}:{named}"] <= LOCK_TTL_S * 1000
    assert client.exists(f"{prefix}lock:{CLINIC}:{named}") == 0  # released


@pytest.mark.redis
def test_key_names_hold_a_keyed_hash_of_the_number_never_the_number(client: redis.Redis, prefix: str) -> None:
    for secret in ("one-secret", "another-secret"):
        save(RedisStore(client, f"{prefix}{secret}:", NumberKeys(secret)), CLINIC, PATIENT, {"step": 1}, ttl_s=60)
    names = [key.decode() for key in client.scan_iter(match=f"{prefix}*")]
    assert len(names) == 2 and not any(PATIENT.lstrip("+") in name for name in names)
    assert names[0].rsplit(":", 1)[1] != names[1].rsplit(":", 1)[1], "the hash depends on the secret"


@pytest.mark.redis
def test_the_value_is_the_compact_json_within_2_kb(
    client: redis.Redis, prefix: str, conversation: dict[str, Any]
) -> None:
    save(RedisStore(client, prefix), CLINIC, PATIENT, conversation, ttl_s=60)
    raw = client.get(f"{prefix}conv:{CLINIC}:{NumberKeys(UNCONFIGURED_SECRET).of(PATIENT)}")
    assert raw == encode_state(conversation).encode()
    assert client.strlen(f"{prefix}conv:{CLINIC}:{PATIENT}") <= 2048


@pytest.mark.redis
def test_a_turn_costs_two_round_trips(client: redis.Redis, prefix: str) -> None:
    store = RedisStore(client, prefix)
    save(store, CLINIC, PATIENT, {"step": 1}, ttl_s=60)  # also loads both scripts into Redis
    before = client.info("commandstats")
    with store.open(CLINIC, PATIENT) as held:
        held.keep({"step": 2}, ttl_s=60)
    after = client.info("commandstats")
    calls = {name: after[name]["calls"] - before.get(name, {"calls": 0})["calls"] for name in after}
    # Redis counts the commands run inside the scripts too: the lock's SET NX and the state's GET, then the
    # lock's GET, the state's SET and the lock's DEL. Any command sent on its own would be one more round trip.
    assert {name: count for name, count in calls.items() if count and name != "cmdstat_info"} == {
        "cmdstat_evalsha": 2,
        "cmdstat_set": 2,
        "cmdstat_get": 2,
        "cmdstat_del": 1,
    }
    assert load(store, CLINIC, PATIENT) == {"step": 2}


@pytest.mark.redis
def test_a_lock_lost_during_the_turn_keeps_the_newer_state(
    client: redis.Redis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedisStore(client, prefix)
    with store.open(CLINIC, PATIENT) as held:
        assert held.locked
        client.delete(
            f"{prefix}lock:{CLINIC}:{NumberKeys(UNCONFIGURED_SECRET).of(PATIENT)}"
        )  # as if it had expired during a very slow turn
        save(store, CLINIC, PATIENT, {"step": "newer"}, ttl_s=60)  # and another turn had run meanwhile
        held.keep({"step": "stale"}, ttl_s=60)
    assert load(store, CLINIC, PATIENT) == {"step": "newer"}
    assert [record.getMessage() for record in caplog.records] == [
        "Redis lock of clinic +1514555**** patient +1514555**** expired during the turn; its state was not saved"
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
    with store.open(CLINIC, PATIENT) as held:
        assert (held.locked, held.state) == (False, None)
        held.keep({"step": 1}, ttl_s=60)
    store.delete(CLINIC, PATIENT)
    assert time.monotonic() - started < 1.0
    messages = [record.getMessage() for record in caplog.records]
    assert [message.split()[2] for message in messages] == ["lock", "save", "delete"]
    assert all("+1514555****" in message and "(ConnectionError)" in message for message in messages)
    assert not any(CLINIC in message or PATIENT in message for message in messages)
    client.close()
