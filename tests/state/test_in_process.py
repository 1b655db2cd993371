"""The in-process store: bounded memory (LRU, periodic sweep of expired conversations), locks cleaned up."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from bot.state.in_process import SWEEP_INTERVAL_S, InProcessStore
from tests.helpers import FakeClock
from tests.state.support import CLINIC, PATIENT, load, save


def patient(index: int) -> str:
    return f"+1514555{index:04d}"


def test_the_least_recently_used_conversation_is_evicted_when_full(clock: FakeClock) -> None:
    store = InProcessStore(max_conversations=3, clock=clock)
    for index in range(3):
        save(store, CLINIC, patient(index), {"index": index}, ttl_s=600)
    assert load(store, CLINIC, patient(0)) == {"index": 0}  # now the most recently used
    save(store, CLINIC, patient(3), {"index": 3}, ttl_s=600)
    assert len(store) == 3
    assert load(store, CLINIC, patient(1)) is None
    assert [load(store, CLINIC, patient(index)) for index in (0, 2, 3)] == [{"index": 0}, {"index": 2}, {"index": 3}]


def test_saving_a_known_conversation_when_full_evicts_nothing(clock: FakeClock) -> None:
    store = InProcessStore(max_conversations=2, clock=clock)
    save(store, CLINIC, patient(0), {"step": 1}, ttl_s=600)
    save(store, CLINIC, patient(1), {"step": 1}, ttl_s=600)
    save(store, CLINIC, patient(0), {"step": 2}, ttl_s=600)
    assert load(store, CLINIC, patient(0)) == {"step": 2}
    assert load(store, CLINIC, patient(1)) == {"step": 1}


def test_expired_conversations_are_swept_during_a_later_save(clock: FakeClock) -> None:
    store = InProcessStore(clock=clock)
    save(store, CLINIC, patient(0), {}, ttl_s=10)
    save(store, CLINIC, patient(1), {}, ttl_s=10)
    clock.advance(11)
    save(store, CLINIC, patient(2), {}, ttl_s=600)
    assert len(store) == 3  # expired, but the sweep is periodic so that most saves cost nothing extra
    clock.advance(SWEEP_INTERVAL_S)
    save(store, CLINIC, patient(3), {}, ttl_s=600)
    assert len(store) == 2  # without reading the expired ones


def test_memory_stays_flat_over_many_short_conversations(clock: FakeClock) -> None:
    store = InProcessStore(clock=clock)
    sizes = []
    for index in range(2_000):
        save(store, CLINIC, patient(index), {"index": index}, ttl_s=30)
        sizes.append(len(store))
        clock.advance(1)
    # A conversation lives at most its TTL plus one sweep interval, one new conversation a second.
    assert max(sizes) <= 30 + SWEEP_INTERVAL_S + 1


def test_per_conversation_locks_are_cleaned_up(clock: FakeClock) -> None:
    store = InProcessStore(clock=clock)
    for index in range(100):
        with store.open(CLINIC, patient(index)) as held:
            assert held.locked
    with ThreadPoolExecutor(max_workers=1) as other_thread, store.open(CLINIC, PATIENT):

        def refused() -> bool:
            with store.open(CLINIC, PATIENT, timeout_s=0.05) as held:
                return held.locked

        assert other_thread.submit(refused).result() is False
        assert len(store._locks) == 1  # the holder's lock survives the waiter that gave up
    assert store._locks == {}


def test_a_state_that_redis_could_not_hold_is_refused_here_too(clock: FakeClock) -> None:
    store = InProcessStore(clock=clock)
    with pytest.raises(TypeError):
        save(store, CLINIC, PATIENT, {"start": datetime(2026, 3, 12, 13, 20, tzinfo=UTC)}, ttl_s=60)


def test_at_least_one_conversation() -> None:
    with pytest.raises(ValueError, match="max_conversations"):
        InProcessStore(max_conversations=0)


def test_concurrent_turns_of_many_threads_keep_the_store_consistent(clock: FakeClock) -> None:
    store = InProcessStore(max_conversations=50, clock=clock)

    def turns(thread: int) -> None:
        for index in range(500):
            number = patient(thread * 1000 + index % 80)
            with store.open(CLINIC, number) as held:
                state = held.state or {"turns": 0}
                held.keep({"turns": state["turns"] + 1}, ttl_s=600)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(turns, range(8)))
    assert len(store) == 50
    assert store._locks == {}
