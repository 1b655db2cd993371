"""The contract every state store keeps, checked on the in-process store and on Redis alike."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.state.store import StateStore
from tests.state.support import CLINIC, OTHER_CLINIC, OTHER_PATIENT, PATIENT, StoreCase, load, save


def test_round_trip(case: StoreCase, conversation: dict[str, Any]) -> None:
    save(case.store, CLINIC, PATIENT, conversation, ttl_s=60)
    assert load(case.store, CLINIC, PATIENT) == conversation


def test_unknown_conversation_is_none(case: StoreCase) -> None:
    assert load(case.store, CLINIC, PATIENT) is None


def test_saving_again_replaces_the_state(case: StoreCase) -> None:
    save(case.store, CLINIC, PATIENT, {"step": 1}, ttl_s=60)
    save(case.store, CLINIC, PATIENT, {"step": 2}, ttl_s=60)
    assert load(case.store, CLINIC, PATIENT) == {"step": 2}


def test_the_saved_state_is_a_snapshot(case: StoreCase) -> None:
    state: dict[str, Any] = {"slots": {"day": "2026-03-12"}}
    save(case.store, CLINIC, PATIENT, state, ttl_s=60)
    state["slots"]["day"] = "2026-03-13"
    loaded = load(case.store, CLINIC, PATIENT)
    assert loaded == {"slots": {"day": "2026-03-12"}}


def test_state_expires_after_its_ttl(case: StoreCase) -> None:
    save(case.store, CLINIC, PATIENT, {"step": 1}, ttl_s=1)
    save(case.store, CLINIC, OTHER_PATIENT, {"step": 1}, ttl_s=60)
    case.wait(1.2)
    assert load(case.store, CLINIC, PATIENT) is None
    assert load(case.store, CLINIC, OTHER_PATIENT) == {"step": 1}


def test_delete(case: StoreCase) -> None:
    save(case.store, CLINIC, PATIENT, {"step": 1}, ttl_s=60)
    case.store.delete(CLINIC, PATIENT)
    assert load(case.store, CLINIC, PATIENT) is None
    case.store.delete(CLINIC, PATIENT)  # forgetting an unknown conversation is fine


def test_each_clinic_and_patient_pair_is_its_own_conversation(case: StoreCase) -> None:
    pairs = [(CLINIC, PATIENT), (CLINIC, OTHER_PATIENT), (OTHER_CLINIC, PATIENT), (OTHER_CLINIC, OTHER_PATIENT)]
    for index, (clinic, patient) in enumerate(pairs):
        save(case.store, clinic, patient, {"index": index}, ttl_s=60)
    case.store.delete(CLINIC, PATIENT)
    assert [load(case.store, clinic, patient) for clinic, patient in pairs] == [
        None,
        {"index": 1},
        {"index": 2},
        {"index": 3},
    ]


def take_lock(
    store: StateStore, patient: str, timeout_s: float, asking: threading.Event | None = None
) -> tuple[bool, float, float]:
    """Whether the lock was held, when it was asked for and when the answer came; `asking` is set as it is asked."""
    asked_at = time.monotonic()
    if asking is not None:
        asking.set()
    with store.open(CLINIC, patient, timeout_s=timeout_s) as held:
        return held.locked, asked_at, time.monotonic()


def test_lock_excludes_another_thread_until_released(case: StoreCase) -> None:
    with ThreadPoolExecutor(max_workers=1) as other_thread:
        with case.store.open(CLINIC, PATIENT) as held:
            assert held.locked
            refused, asked_at, answered_at = other_thread.submit(take_lock, case.store, PATIENT, 0.3).result()
            assert not refused
            # Redis polls every 0.1 s and gives up when the next poll would fall after the timeout.
            assert 0.2 <= answered_at - asked_at < 1.0
            asking = threading.Event()
            waiter = other_thread.submit(take_lock, case.store, PATIENT, 5.0, asking)
            assert asking.wait(5)
            assert not waiter.done()
            released_at = time.monotonic()
        held_by_waiter, waiter_asked_at, acquired_at = waiter.result(timeout=5)
    assert held_by_waiter
    assert waiter_asked_at < released_at <= acquired_at, "asked while held, and got the lock only once released"


def test_locks_of_other_conversations_are_independent(case: StoreCase) -> None:
    with ThreadPoolExecutor(max_workers=1) as other_thread, case.store.open(CLINIC, PATIENT) as held:
        assert held.locked
        other_held, _, _ = other_thread.submit(take_lock, case.store, OTHER_PATIENT, 0.0).result()
        assert other_held


def test_a_failed_turn_releases_the_lock_and_keeps_nothing(case: StoreCase) -> None:
    save(case.store, CLINIC, PATIENT, {"step": 1}, ttl_s=60)
    with pytest.raises(RuntimeError), case.store.open(CLINIC, PATIENT) as held:
        held.keep({"step": 2}, ttl_s=60)
        raise RuntimeError("the turn failed")
    with case.store.open(CLINIC, PATIENT, timeout_s=0.0) as held:
        assert held.locked
        assert held.state == {"step": 1}


def test_a_turn_that_keeps_nothing_leaves_the_state_as_it_was(case: StoreCase) -> None:
    save(case.store, CLINIC, PATIENT, {"step": 1}, ttl_s=60)
    assert load(case.store, CLINIC, PATIENT) == {"step": 1}
    assert load(case.store, CLINIC, PATIENT) == {"step": 1}


def test_a_turn_that_waited_in_vain_still_reads_and_keeps_the_state(case: StoreCase) -> None:
    save(case.store, CLINIC, PATIENT, {"step": 1}, ttl_s=60)

    def late_turn() -> tuple[bool, dict[str, Any] | None]:
        with case.store.open(CLINIC, PATIENT, timeout_s=0.0) as late:
            late.keep({"step": 3}, ttl_s=60)
            return late.locked, late.state

    with ThreadPoolExecutor(max_workers=1) as other_thread, case.store.open(CLINIC, PATIENT) as held:
        assert other_thread.submit(late_turn).result() == (False, {"step": 1})
    # The holder kept nothing, so the late turn's state stands: a reply matters more than strict order.
    assert load(case.store, CLINIC, PATIENT) == {"step": 3}
    assert held.locked
