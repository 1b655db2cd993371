"""The production state store: Redis, shared by every worker and host, degrading quietly when Redis is down."""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.state.codec import decode_state
from bot.state.keys import UNCONFIGURED_SECRET, NumberKeys
from bot.state.masking import mask_number
from bot.state.store import HeldConversation

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


#: Take the lock and read the state in one round trip. KEYS: lock, conversation; ARGV: token, lock TTL in ms.
_TAKE = """
local taken = redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
return {taken, redis.call('get', KEYS[2])}
"""

#: Save the state and release the lock in one round trip, only while the lock is still ours: a turn slower than
#: the lock's TTL must not overwrite the state of a turn that took the lock after it.
#: KEYS: lock, conversation; ARGV: token, state ('' keeps the old one), its TTL in seconds. Returns 1 if ours.
_KEEP_AND_RELEASE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then redis.call('set', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
redis.call('del', KEYS[1])
return 1
"""

#: Lock tokens only need to differ between holders: a random id per import (per host), the process id (workers
#: forked after the import share it) and a counter per turn, without a system call per turn as uuid4 makes.
_HOLDER = secrets.token_hex(8)
_TURNS = itertools.count()

#: How often a turn asks again for a lock another turn holds (redis-py's Lock polls at the same pace).
LOCK_POLL_S = 0.1


class RedisStore:
    """Conversation states in Redis as compact JSON, each key with a TTL (SPEC §5); never raises on a Redis error.

    A turn costs two round trips: lock + load, then save + unlock, each one server-side script.
    """

    def __init__(self, client: redis.Redis, prefix: str = "rdvbot:", keys: NumberKeys | None = None) -> None:
        """`keys` names patients' numbers in key names (a keyed hash: Redis never holds a number in clear)."""
        self._client = client
        self._prefix = prefix
        self._keys = keys or NumberKeys(UNCONFIGURED_SECRET)
        self._take = client.register_script(_TAKE)
        self._keep_and_release = client.register_script(_KEEP_AND_RELEASE)

    @contextmanager
    def open(self, clinic: str, patient: str, timeout_s: float = 5.0) -> Iterator[HeldConversation]:
        """Hold this conversation's lock across workers and load its state; save what the turn keeps."""
        keys = [self._key("lock", clinic, patient), self._key("conv", clinic, patient)]
        token = f"{_HOLDER}:{os.getpid()}:{next(_TURNS)}"
        try:
            held = self._acquire(keys, token, timeout_s)
        except redis.RedisError as error:
            self._warn("lock", clinic, patient, error)
            held = HeldConversation(locked=False, state=None)
        try:
            yield held
        except BaseException:
            if held.locked:
                self._release(keys, token, "", 0, clinic, patient)  # a failed turn keeps nothing
            raise
        if held.locked:
            self._release(keys, token, held.payload or "", held.ttl_s, clinic, patient)
        elif held.payload is not None:
            self._save_unlocked(keys[1], held.payload, held.ttl_s, clinic, patient)

    def delete(self, clinic: str, patient: str) -> None:
        """Forget the conversation (a no-op when Redis is unavailable)."""
        try:
            self._client.delete(self._key("conv", clinic, patient))
        except redis.RedisError as error:
            self._warn("delete", clinic, patient, error)

    def _acquire(self, keys: list[str], token: str, timeout_s: float) -> HeldConversation:
        """Poll for the lock until `timeout_s` (one try when spent); the state comes with the last answer."""
        deadline = time.monotonic() + timeout_s
        while True:
            taken, raw = self._take(keys=keys, args=[token, int(LOCK_TTL_S * 1000)])
            state = None if raw is None else decode_state(raw)
            if taken or time.monotonic() + LOCK_POLL_S > deadline:
                return HeldConversation(locked=bool(taken), state=state)
            time.sleep(LOCK_POLL_S)

    def _release(self, keys: list[str], token: str, payload: str, ttl_s: int, clinic: str, patient: str) -> None:
        try:
            ours = self._keep_and_release(keys=keys, args=[token, payload, ttl_s])
        except redis.RedisError as error:
            self._warn("unlock", clinic, patient, error)
            return
        if not ours:
            logger.warning(
                "Redis lock of clinic %s patient %s expired during the turn; its state was not saved",
                mask_number(clinic),
                mask_number(patient),
            )

    def _save_unlocked(self, key: str, payload: str, ttl_s: int, clinic: str, patient: str) -> None:
        try:
            self._client.set(key, payload, ex=ttl_s)
        except redis.RedisError as error:
            self._warn("save", clinic, patient, error)

    def _key(self, kind: str, clinic: str, patient: str) -> str:
        return f"{self._prefix}{kind}:{clinic}:{self._keys.of(patient)}"

    def _warn(self, operation: str, clinic: str, patient: str, error: redis.RedisError) -> None:
        # Only the error's class: its text is not ours to vouch for in a log without phone numbers.
        logger.warning(
            "Redis state %s failed for clinic %s patient %s (%s); the conversation goes on without it",
            operation,
            mask_number(clinic),
            mask_number(patient),
            type(error).__name__,
        )
