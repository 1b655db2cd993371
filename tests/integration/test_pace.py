"""Pacing the replay of kept requests: token buckets in memory and in Redis, shared by several processes."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from bot.outbox.pace import LocalTokenBucket, Pace, RedisTokenBucket, wait_for_token
from tests.helpers import FakeClock

REPO = Path(__file__).resolve().parents[2]
KEY = "clinic-backend-1"


@dataclass
class ScriptedPace:
    """A pace that answers the given waits in turn, then always hands out a token; counts the takes."""

    waits: list[float]
    takes: int = 0
    keys: list[str] = field(default_factory=list)

    def take(self, key: str) -> float:
        self.takes += 1
        self.keys.append(key)
        return self.waits.pop(0) if self.waits else 0.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def drain(pace: Pace, key: str = KEY, most: int = 1000) -> int:
    """Take tokens until the bucket says to wait; how many were taken."""
    for taken in range(most):
        if pace.take(key) > 0:
            return taken
    raise AssertionError(f"the bucket handed out {most} tokens without asking to wait")


# ----- the local bucket, on a fake clock: exact numbers -----


def test_local_burst_then_exact_waits(clock: FakeClock) -> None:
    bucket = LocalTokenBucket(rate_per_s=4, burst=3, clock=clock)
    assert [bucket.take(KEY) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(KEY) == pytest.approx(0.25)
    assert bucket.take(KEY) == pytest.approx(0.25)  # a refused take takes nothing: the wait does not grow
    clock.advance(0.1)
    assert bucket.take(KEY) == pytest.approx(0.15)
    clock.advance(0.15)
    assert bucket.take(KEY) == 0.0
    assert bucket.take(KEY) == pytest.approx(0.25)


def test_local_refills_with_time(clock: FakeClock) -> None:
    bucket = LocalTokenBucket(rate_per_s=4, burst=3, clock=clock)
    assert drain(bucket) == 3
    clock.advance(0.5)  # two tokens at 4 per second
    assert drain(bucket) == 2
    clock.advance(1 / 3)  # 4/3 of a token, not a round number in binary
    assert bucket.take(KEY) == 0.0
    assert bucket.take(KEY) == pytest.approx((1 - 1 / 3) / 4)  # the 1/3 of a token left was kept
    clock.advance(1.0)
    assert drain(bucket) == 3


def test_local_never_holds_more_than_burst_after_a_long_idle(clock: FakeClock) -> None:
    bucket = LocalTokenBucket(rate_per_s=4, burst=3, clock=clock)
    assert bucket.take(KEY) == 0.0
    clock.advance(3600)
    assert drain(bucket) == 3
    assert bucket.take(KEY) == pytest.approx(0.25)


def test_local_keys_have_their_own_buckets(clock: FakeClock) -> None:
    bucket = LocalTokenBucket(rate_per_s=1, burst=1, clock=clock)
    assert bucket.take("a") == 0.0
    assert bucket.take("a") == pytest.approx(1.0)
    assert bucket.take("b") == 0.0


def test_local_bucket_is_safe_across_threads() -> None:
    # Switching threads as often as possible makes a take without the lock lose its race within a few hundred.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        clock = FakeClock()  # frozen: exactly `burst` tokens exist, whatever the threads do
        bucket = LocalTokenBucket(rate_per_s=1, burst=2000, clock=clock)
        taken: list[int] = []

        def worker() -> None:
            taken.append(sum(1 for _ in range(1000) if bucket.take(KEY) == 0.0))

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert sum(taken) == 2000


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (math.nan, 1), (math.inf, 1), (1, 0), (1, -2)])
def test_rate_and_burst_are_checked(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        LocalTokenBucket(rate, burst)
    with pytest.raises(ValueError):
        RedisTokenBucket(redis.Redis(), rate, burst)  # checked before any round trip: no server needed


# ----- the Redis bucket: Redis's clock, moved on by moving the bucket's last take back -----


def let_pass(client: redis.Redis, bucket: RedisTokenBucket, seconds: float, key: str = KEY) -> None:
    """Let `seconds` pass for the bucket of `key`: it refills for the time since its last take by Redis's clock,
    which no client can move, so its last take (kept in its hash, in microseconds) moves back instead."""
    client.hincrby(bucket.key(key), "at", -round(seconds * 1_000_000))


@pytest.mark.redis
def test_redis_burst_then_wait_then_refill(client: redis.Redis, prefix: str) -> None:
    bucket = RedisTokenBucket(client, rate_per_s=10, burst=3, prefix=prefix)
    assert [bucket.take(KEY) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.take(KEY)
    assert 0 < wait <= 0.1
    assert wait == pytest.approx(0.1, abs=0.03)  # the three takes above may already have refilled a little
    assert bucket.take(KEY) > 0, "refused until refilled"
    let_pass(client, bucket, wait)
    assert bucket.take(KEY) == 0.0
    assert bucket.take(KEY) > 0  # that was the only token


@pytest.mark.redis
def test_redis_refused_take_takes_nothing(client: redis.Redis, prefix: str) -> None:
    bucket = RedisTokenBucket(client, rate_per_s=0.5, burst=1, prefix=prefix)
    assert bucket.take(KEY) == 0.0
    first = bucket.take(KEY)
    assert 1.9 < first <= 2.0
    for _ in range(5):
        assert bucket.take(KEY) > 0
    let_pass(client, bucket, 0.2)
    # The part of a token refilled meanwhile counts, and the refusals above did not push the wait further.
    assert first - 0.5 < bucket.take(KEY) <= first - 0.2


@pytest.mark.redis
def test_redis_bucket_is_one_hash_with_a_ttl(client: redis.Redis, prefix: str) -> None:
    bucket = RedisTokenBucket(client, rate_per_s=2, burst=4, prefix=prefix)
    bucket.take(KEY)
    assert [key.decode() for key in client.scan_iter(match=f"{prefix}*")] == [f"{prefix}pace:{KEY}"]
    assert client.type(f"{prefix}pace:{KEY}") == b"hash"
    ttl_ms = client.pttl(f"{prefix}pace:{KEY}")
    assert 0 < ttl_ms <= 6_000  # three times the 2 s to fill the bucket
    assert ttl_ms >= 5_000  # at least as long as the bucket takes to fill, or an expiry would hand out a burst


@pytest.mark.redis
def test_redis_never_holds_more_than_burst_and_keys_are_apart(client: redis.Redis, prefix: str) -> None:
    bucket = RedisTokenBucket(client, rate_per_s=100, burst=2, prefix=prefix)
    assert drain(bucket) == 2
    let_pass(client, bucket, 0.2)  # 20 tokens' worth of time
    assert drain(bucket) == 2
    assert bucket.take("other-backend") == 0.0


@pytest.mark.redis
def test_redis_buckets_of_two_objects_are_the_same_bucket(client: redis.Redis, prefix: str) -> None:
    first = RedisTokenBucket(client, rate_per_s=1, burst=2, prefix=prefix)
    second = RedisTokenBucket(client, rate_per_s=1, burst=2, prefix=prefix)
    assert first.take(KEY) == 0.0
    assert second.take(KEY) == 0.0
    assert first.take(KEY) > 0
    assert second.take(KEY) > 0


# ----- several processes sharing one Redis bucket -----

WORKER = textwrap.dedent(
    """
    import sys
    from bot.outbox.pace import RedisTokenBucket
    from bot.state.redis_store import redis_client

    url, prefix, key, rate, burst = sys.argv[1:6]
    client = redis_client(url)
    client.ping()
    bucket = RedisTokenBucket(client, float(rate), int(burst), prefix)
    print("ready", flush=True)
    sys.stdin.readline()  # go
    taken = 0
    while bucket.take(key) == 0.0:
        taken += 1
    print(taken, flush=True)
    """
)


@pytest.mark.redis
def test_processes_sharing_a_bucket_take_its_tokens_once_between_them(redis_url: str, prefix: str) -> None:
    # So slow a rate that not one token refills while the test runs: the burst is all the tokens there are. The
    # refill is the bucket's, tested above; a pace measured in real time is for bench/ (bench.outage's drain).
    rate, burst, count = 0.001, 300, 3
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    args = [redis_url, prefix, KEY, str(rate), str(burst)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, *args],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        # Start them together once all have imported and connected, so that they take from the bucket at once.
        for worker in workers:
            assert worker.stdout is not None
            line = worker.stdout.readline()
            assert line == "ready\n", worker.communicate(timeout=30)[1]
        for worker in workers:  # all of them first: communicate() would wait for each to end before the next
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=60) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert [worker.returncode for worker in workers] == [0] * count, [err for _, err in outputs]
    counts = [int(out) for out, _ in outputs]
    # One bucket between them, and no token spent twice: a bucket each would hand out `count` times as many.
    assert sum(counts) == burst, counts


# ----- wait_for_token -----


def test_wait_for_token_sleeps_as_told_then_takes(clock: FakeClock) -> None:
    pace = ScriptedPace([0.05, 0.05])
    assert wait_for_token(pace, KEY, monotonic=clock, sleep=clock.advance)
    assert clock.now == pytest.approx(1_000.1)
    assert pace.takes == 3
    assert pace.keys == [KEY] * 3


def test_wait_for_token_gets_a_token_within_max_wait(clock: FakeClock) -> None:
    bucket = LocalTokenBucket(rate_per_s=10, burst=1, clock=clock)
    assert bucket.take(KEY) == 0.0
    assert wait_for_token(bucket, KEY, max_wait_s=1.0, monotonic=clock, sleep=clock.advance)
    assert clock.now == pytest.approx(1_000.1), "slept until the next token, no longer"


def test_wait_for_token_gives_up_when_max_wait_passes(clock: FakeClock) -> None:
    bucket = LocalTokenBucket(rate_per_s=1, burst=1, clock=clock)
    assert bucket.take(KEY) == 0.0
    assert not wait_for_token(bucket, KEY, max_wait_s=0.3, monotonic=clock, sleep=clock.advance)
    assert clock.now == 1_000.0, "the next token is 1 s away: given up at once, without sleeping"
    # With waits shorter than the time left it sleeps, and still gives up by the deadline.
    pace = ScriptedPace([0.1] * 100)
    assert not wait_for_token(pace, KEY, max_wait_s=0.35, monotonic=clock, sleep=clock.advance)
    assert pace.takes == 4 and clock.now == pytest.approx(1_000.3)


def test_wait_for_token_returns_when_stop_is_set(clock: FakeClock) -> None:
    bucket = LocalTokenBucket(rate_per_s=0.1, burst=1, clock=clock)  # the next token is 10 s away
    assert bucket.take(KEY) == 0.0
    stop = threading.Event()
    pauses: list[float] = []

    def shutdown_during(seconds: float) -> None:
        pauses.append(seconds)
        stop.set()  # as the worker's shutdown would, while it waits

    assert not wait_for_token(bucket, KEY, stop=stop, sleep=shutdown_during)
    assert len(pauses) == 1 and pauses[0] == pytest.approx(10.0)


def test_a_shutdown_does_not_wait_out_a_long_pause() -> None:
    stop, results = threading.Event(), []

    class Paused(ScriptedPace):
        def take(self, key: str) -> float:
            wait = super().take(key)
            stop.set()  # the shutdown comes while the worker is about to pause for 100 s
            return wait

    waiting = threading.Thread(target=lambda: results.append(wait_for_token(Paused([100.0]), KEY, stop=stop)))
    waiting.start()
    waiting.join(30)
    assert not waiting.is_alive() and results == [False], "the pause is a wait on the stop event"


def test_wait_for_token_takes_nothing_once_stopped() -> None:
    pace = ScriptedPace([])
    stop = threading.Event()
    stop.set()
    assert not wait_for_token(pace, KEY, stop=stop, max_wait_s=10)
    assert pace.takes == 0


@pytest.mark.redis
def test_wait_for_token_on_redis(client: redis.Redis, prefix: str) -> None:
    bucket = RedisTokenBucket(client, rate_per_s=10, burst=1, prefix=prefix)
    assert bucket.take(KEY) == 0.0
    assert bucket.take(KEY) > 0, "no token left now"
    # Redis refills by its own clock, which a test cannot move: this waits the real ~0.1 s until the next token.
    assert wait_for_token(bucket, KEY, max_wait_s=2.0)
    assert not wait_for_token(bucket, KEY, max_wait_s=0.02)  # the next one is ~0.1 s away
