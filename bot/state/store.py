"""The state store port: what the engine asks of wherever conversations are kept."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol


class StateStore(Protocol):
    """Conversation state per (clinic number, patient number), both E.164, each entry with a TTL.

    A store never raises because it is unavailable: it answers as if the conversation were unknown, so that a
    patient always gets a reply (SPEC §5).
    """

    def load(self, clinic: str, patient: str) -> dict[str, Any] | None:
        """The saved state, or None when unknown, expired or the store is unavailable."""
        ...

    def save(self, clinic: str, patient: str, state: dict[str, Any], ttl_s: int) -> None:
        """Keep a JSON-able `state` for `ttl_s` seconds (a no-op when the store is unavailable)."""
        ...

    def delete(self, clinic: str, patient: str) -> None:
        """Forget the conversation (a no-op when it is unknown or the store is unavailable)."""
        ...

    def lock(self, clinic: str, patient: str, timeout_s: float = 5.0) -> AbstractContextManager[bool]:
        """Serialise the turns of one conversation: yields True when held, False when not taken in time or the
        store is unavailable, in which case the caller proceeds anyway (a reply matters more than strict order).
        """
        ...
