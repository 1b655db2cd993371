"""The state store port: what the assistant asks of wherever conversations are kept."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from bot.state.codec import encode_state


@dataclass
class HeldConversation:
    """One turn's hold on a conversation: whether its lock is held, its state as found, and what to keep."""

    locked: bool
    state: dict[str, Any] | None
    payload: str | None = None
    ttl_s: int = 0

    def keep(self, state: dict[str, Any], ttl_s: int) -> None:
        """Save `state` for `ttl_s` seconds when the turn ends normally (raises TypeError when not JSON-able)."""
        # Encoded now: a snapshot, and a bad state fails in the turn that made it, in every store alike.
        self.payload = encode_state(state)
        self.ttl_s = ttl_s


class StateStore(Protocol):
    """Conversation state per (clinic number, patient number), both E.164, each entry with a TTL.

    A store never raises because it is unavailable: it answers as if the conversation were unknown, so that a
    patient always gets a reply (SPEC §5).
    """

    def open(self, clinic: str, patient: str, timeout_s: float = 5.0) -> AbstractContextManager[HeldConversation]:
        """Serialise the turns of one conversation and load its state; what the turn `keep`s is saved when the
        block ends normally, and nothing is saved when it raises.

        `locked` is False when the lock was not taken in time or the store is unavailable: the caller proceeds
        anyway (a reply matters more than strict order) and the state is then read and saved without it.
        """
        ...

    def delete(self, clinic: str, patient: str) -> None:
        """Forget the conversation (a no-op when it is unknown or the store is unavailable)."""
        ...
