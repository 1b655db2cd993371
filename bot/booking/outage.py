"""The staff outage switch: online booking off for a clinic, with the clinic's own message, in every process.

The switch is a row in the database (shared by every process and host, kept across restarts); each process
reads it at most once a second per clinic, so switching is effective everywhere within a second.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select

from bot.core.clock import Monotonic, utcnow
from bot.db.inserts import upsert_into
from bot.db.models import OUTAGE_MESSAGE_MAX, OutageSwitch
from bot.db.session import Database

#: How long a process trusts what it last read of a clinic's switch.
SWITCH_CACHE_S = 1.0

_OUTAGE = select(OutageSwitch.message_fr, OutageSwitch.message_en, OutageSwitch.switched_off_at).where(
    OutageSwitch.clinic_id == bindparam("clinic")
)


@dataclass(frozen=True)
class Outage:
    """A clinic's online booking switched off: its message in each language, and since when."""

    message_fr: str
    message_en: str
    since: datetime

    def messages(self) -> dict[str, str]:
        """The message by language code."""
        return {"fr": self.message_fr, "en": self.message_en}


def outage_of(database: Database, clinic_id: str) -> Outage | None:
    """The clinic's outage as stored now, or None while its online booking is on."""
    with database.autocommit.connect() as connection:
        row = connection.execute(_OUTAGE, {"clinic": clinic_id}).first()
    return Outage(row.message_fr, row.message_en, row.switched_off_at) if row else None


def start_outage(database: Database, clinic_id: str, message_fr: str, message_en: str) -> None:
    """Turn online booking off for the clinic with its own message (replacing an earlier one)."""
    for message in (message_fr, message_en):
        if not message.strip() or len(message) > OUTAGE_MESSAGE_MAX:
            raise ValueError(f"an outage message must have 1 to {OUTAGE_MESSAGE_MAX} characters")
        if any(not character.isprintable() for character in message):
            raise ValueError("an outage message is one line of text: no line breaks or control characters")
    values = {"message_fr": message_fr.strip(), "message_en": message_en.strip(), "switched_off_at": utcnow()}
    with database.engine.begin() as connection:
        insert = upsert_into(connection, OutageSwitch).values(clinic_id=clinic_id, **values)
        connection.execute(insert.on_conflict_do_update(index_elements=[OutageSwitch.clinic_id], set_=values))


def end_outage(database: Database, clinic_id: str) -> bool:
    """Turn online booking back on; False when it was not off."""
    with database.engine.begin() as connection:
        return connection.execute(delete(OutageSwitch).where(OutageSwitch.clinic_id == clinic_id)).rowcount > 0


class OutageSwitches:
    """Which clinics have online booking switched off, read through a one-second per-process cache."""

    def __init__(self, database: Database, *, monotonic: Monotonic = time.monotonic) -> None:
        """`monotonic`: the clock that ages what was read (tests pass one that they move)."""
        self._database = database
        self._monotonic = monotonic
        self._known: dict[str, tuple[float, dict[str, str] | None]] = {}
        self._guard = threading.Lock()

    def messages(self, clinic_id: str) -> dict[str, str] | None:
        """The clinic's outage message by language while booking is switched off, else None."""
        now = self._monotonic()
        with self._guard:
            known = self._known.get(clinic_id)
        if known is not None and now - known[0] < SWITCH_CACHE_S:
            return known[1]
        outage = outage_of(self._database, clinic_id)
        messages = outage.messages() if outage else None
        with self._guard:
            self._known[clinic_id] = (now, messages)
        return messages
