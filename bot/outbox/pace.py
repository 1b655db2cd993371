"""Token buckets that pace the replay of kept requests, so that a back-end coming back up is not flooded.

A bucket holds at most `burst` tokens and refills at `rate_per_s`; each replayed request takes one. The Redis
bucket is shared by every worker process and host: together they never go faster than the rate (plus the burst).
The local bucket does the same for a single process running without Redis.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

from bot.core.clock import Monotonic

#: Floating-point refills can land a hair below a whole token (0.9999999999) after exactly the wait we announced;
#: counting that as a token gives away a billionth of one instead of making the caller sleep again for nothing.
#: The Lua script below uses the same value.
_EPSILON = 1e-9

#: A Redis bucket outlives its last take by a few times the time to fill it, and never less than this: once it
#: expires the next take starts from a full bucket, which is right only if the bucket would have been full anyway.
MIN_TTL_S = 5.0
TTL_REFILLS = 3.0

#: Refill from the elapsed time on Redis's own clock, then take one token or say how long until there is one, in
#: one atomic step: the clocks of worker hosts never matter and concurrent takers cannot both spend the last token.
#: KEYS: the bucket's hash; ARGV: rate per second, burst, TTL in ms. Returns 0 when taken, else the wait in µs.
#: `at` is kept with '%.0f' because Lua's tostring keeps only 14 digits, too few for microseconds since 1970.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(saved[1])
local at = tonumber(saved[2])
if tokens == nil or at == nil then
  tokens = burst
elseif now > at then
  tokens = math.min(burst, tokens + (now - at) * rate / 1000000)
end
local wait = 0
if tokens >= 1 - 1e-9 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return wait
"""


class Pace(Protocol):
    """Something that hands out the right to send one request to a back-end, at a steady pace."""

    def take(self, key: str) -> float:
        """Take one token for `key`: 0.0 when taken, else the seconds until one will be there (nothing taken)."""
        ...


def _check(rate_per_s: float, burst: int) -> None:
    if not (math.isfinite(rate_per_s) and rate_per_s > 0):  # NaN fails `> 0` too
        raise ValueError(f"rate_per_s must be a positive finite number, not {rate_per_s!r}")
    if burst < 1:
        raise ValueError(f"burst must be at least 1, not {burst!r}")


class RedisTokenBucket:
    """A token bucket per key in one Redis hash, shared by every process that uses the same Redis and prefix.

    Redis errors propagate: falling back to a bucket per process would multiply the rate by the number of workers,
    which is the flood this bucket exists to prevent; the replayer should rather stop and try again later.
    """

    def __init__(self, client: redis.Redis, rate_per_s: float, burst: int = 1, prefix: str = "rdvbot:") -> None:
        _check(rate_per_s, burst)
        self._client = client
        self._prefix = prefix
        # repr() is the shortest text that Lua's tonumber reads back as the same double.
        self._rate = repr(float(rate_per_s))
        self._burst = burst
        self._ttl_ms = math.ceil(max(MIN_TTL_S, TTL_REFILLS * burst / rate_per_s) * 1000)
        self._take = client.register_script(_TAKE)

    def take(self, key: str) -> float:
        """Take one token for `key`: 0.0 when taken, else the seconds until one will be there (nothing taken)."""
        wait_us = self._take(keys=[self.key(key)], args=[self._rate, self._burst, self._ttl_ms])
        return int(wait_us) / 1_000_000

    def key(self, key: str) -> str:
        """The Redis key of the bucket of `key`."""
        return f"{self._prefix}pace:{key}"


class LocalTokenBucket:
    """The same token buckets in this process's memory, for a single process running without Redis."""

    def __init__(self, rate_per_s: float, burst: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        _check(rate_per_s, burst)
        self._rate = float(rate_per_s)
        self._burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        # key -> (tokens, time of the last refill). The keys are the clinics' back-ends: few, so never pruned.
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """Take one token for `key`: 0.0 when taken, else the seconds until one will be there (nothing taken)."""
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(key, (float(self._burst), now))
            # A clock that went back refills nothing rather than a negative amount.
            tokens = min(float(self._burst), tokens + max(0.0, now - at) * self._rate)
            if tokens >= 1 - _EPSILON:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self._rate


def wait_for_token(
    pace: Pace,
    key: str,
    *,
    stop: threading.Event | None = None,
    max_wait_s: float | None = None,
    monotonic: Monotonic = time.monotonic,
    sleep: Callable[[float], object] | None = None,
) -> bool:
    """Take a token for `key`, sleeping as long as `pace` says: True once taken.

    False as soon as `stop` is set, or when no token can be had within `max_wait_s`: since tokens only refill at
    the rate, a wait longer than the time left means none will come in time, so it gives up at once then.
    `monotonic` and `sleep` are the clock and the pause (tests pass ones that they move); by default the pause is
    `stop.wait`, which wakes up as soon as `stop` is set, so that a shutdown does not wait out a long pause.
    """
    pause = sleep or (stop.wait if stop is not None else time.sleep)
    deadline = None if max_wait_s is None else monotonic() + max_wait_s
    while True:
        if stop is not None and stop.is_set():
            return False
        wait = pace.take(key)
        if wait <= 0:
            return True
        if deadline is not None and wait > deadline - monotonic():
            return False
        pause(wait)
