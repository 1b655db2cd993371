"""The embedded state store: one process, many threads, bounded memory."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.state.codec import decode_state
from bot.state.store import HeldConversation

#: How often a save also drops every expired conversation: memory stays flat even for keys never read again.
SWEEP_INTERVAL_S = 60.0

Key = tuple[str, str]


@dataclass
class _Entry:
    expires_at: float
    payload: str  # encoded, like Redis keeps it: the caller's dict may change after save without changing this


@dataclass
class _KeyLock:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0  # holders and waiters: the lock is dropped when the last one leaves


class InProcessStore:
    """Conversation states in this process's memory, least recently used evicted first when full; thread-safe."""

    def __init__(self, max_conversations: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        if max_conversations < 1:
            raise ValueError("max_conversations must be at least 1")
        self._max_conversations = max_conversations
        self._clock = clock
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()  # least recently used first
        self._locks: dict[Key, _KeyLock] = {}
        self._guard = threading.Lock()
        self._next_sweep = clock() + SWEEP_INTERVAL_S

    def __len__(self) -> int:
        """Conversations held, expired ones included until they are read or swept."""
        with self._guard:
            return len(self._entries)

    @contextmanager
    def open(self, clinic: str, patient: str, timeout_s: float = 5.0) -> Iterator[HeldConversation]:
        """Hold this conversation's lock and load its state; what the turn keeps is saved when it ends normally."""
        with self._lock((clinic, patient), timeout_s) as locked:
            held = HeldConversation(locked, self._load((clinic, patient)))
            yield held
            if held.payload is not None:
                self._save((clinic, patient), held.payload, held.ttl_s)

    def _load(self, key: Key) -> dict[str, Any] | None:
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires_at <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            payload = entry.payload
        return decode_state(payload)

    def _save(self, key: Key, payload: str, ttl_s: int) -> None:
        """Keep `payload` for `ttl_s` seconds, evicting the least recently used conversation when full."""
        with self._guard:
            now = self._clock()
            if now >= self._next_sweep:
                self._sweep(now)
            self._entries[key] = _Entry(now + ttl_s, payload)
            self._entries.move_to_end(key)
            if len(self._entries) > self._max_conversations:
                self._entries.popitem(last=False)

    def delete(self, clinic: str, patient: str) -> None:
        """Forget the conversation."""
        with self._guard:
            self._entries.pop((clinic, patient), None)

    @contextmanager
    def _lock(self, key: Key, timeout_s: float) -> Iterator[bool]:
        """Hold this conversation's lock: yields True when held, False when not taken within `timeout_s`."""
        with self._guard:
            key_lock = self._locks.get(key)
            if key_lock is None:
                key_lock = self._locks[key] = _KeyLock()
            key_lock.users += 1
        # A spent budget (≤ 0) means one try, as with Redis; threading would read -1 as "wait forever".
        held = key_lock.lock.acquire(timeout=max(timeout_s, 0.0))
        try:
            yield held
        finally:
            if held:
                key_lock.lock.release()
            with self._guard:
                key_lock.users -= 1
                if key_lock.users == 0:
                    del self._locks[key]

    def _sweep(self, now: float) -> None:
        """Drop every expired conversation (the caller holds the guard)."""
        for key in [key for key, entry in self._entries.items() if entry.expires_at <= now]:
            del self._entries[key]
        self._next_sweep = now + SWEEP_INTERVAL_S
