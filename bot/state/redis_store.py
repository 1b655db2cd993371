"""The production state store: Redis, shared by every worker and host, degrading quietly when Redis is down."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.state.codec import decode_state, encode_state
from bot.state.masking import mask_number

logger = logging.getLogger(__name__)

#: How long a lock outlives a holder that died: Twilio gives up on a webhook after 15 s, and so does a turn.
LOCK_TTL_S = 15.0

#: Redis answers a healthy local network in about a millisecond; beyond this, the turn goes on without it.
SOCKET_TIMEOUT_S = 0.5


def redis_client(url: str) -> redis.Redis:
    """A client for the state store that gives up fast when Redis is down.

    redis-py's default retries ten times with backoff, which costs about 3.5 s per command against a down
    Redis, several times per turn; one immediate retry still covers a pooled connection that Redis closed.
    """
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
        retry=Retry(NoBackoff(), retries=1),
    )


class RedisStore:
    """Conversation states in Redis as compact JSON, each key with a TTL (SPEC §5); never raises on a Redis error."""

    def __init__(self, client: redis.Redis, prefix: str = "rdvbot:") -> None:
        self._client = client
        self._prefix = prefix

    def load(self, clinic: str, patient: str) -> dict[str, Any] | None:
        """The saved state, or None when unknown, expired or Redis is unavailable."""
        try:
            raw = self._client.get(self._key("conv", clinic, patient))
        except redis.RedisError as error:
            self._warn("load", clinic, patient, error)
            return None
        return None if raw is None else decode_state(raw)

    def save(self, clinic: str, patient: str, state: dict[str, Any], ttl_s: int) -> None:
        """Keep `state` for `ttl_s` seconds (a no-op when Redis is unavailable)."""
        payload = encode_state(state)
        try:
            self._client.set(self._key("conv", clinic, patient), payload, ex=ttl_s)
        except redis.RedisError as error:
            self._warn("save", clinic, patient, error)

    def delete(self, clinic: str, patient: str) -> None:
        """Forget the conversation (a no-op when Redis is unavailable)."""
        try:
            self._client.delete(self._key("conv", clinic, patient))
        except redis.RedisError as error:
            self._warn("delete", clinic, patient, error)

    @contextmanager
    def lock(self, clinic: str, patient: str, timeout_s: float = 5.0) -> Iterator[bool]:
        """Hold this conversation's lock across workers: yields True when held, False when not taken within
        `timeout_s` or Redis is unavailable.
        """
        lock = self._client.lock(self._key("lock", clinic, patient), timeout=LOCK_TTL_S, blocking_timeout=timeout_s)
        try:
            held = bool(lock.acquire())
        except redis.RedisError as error:
            self._warn("lock", clinic, patient, error)
            held = False
        try:
            yield held
        finally:
            if held:
                try:
                    lock.release()
                except redis.RedisError as error:  # Redis went down, or the lock expired and is someone else's
                    self._warn("unlock", clinic, patient, error)

    def _key(self, kind: str, clinic: str, patient: str) -> str:
        return f"{self._prefix}{kind}:{clinic}:{patient}"

    def _warn(self, operation: str, clinic: str, patient: str, error: redis.RedisError) -> None:
        # Only the error's class: its text is not ours to vouch for in a log without phone numbers.
        logger.warning(
            "Redis state %s failed for clinic %s patient %s (%s); the conversation goes on without it",
            operation,
            mask_number(clinic),
            mask_number(patient),
            type(error).__name__,
        )
