"""Messages that arrived while our own database could not take them, kept on local disk and replayed once it can.

The database is what is down, so the spool cannot be in it, nor in Redis (which may be down too): each message is
one JSON file, written to a temporary name and renamed, so a file is either whole or absent. A process replays a
file only after renaming it to a name of its own, so two processes never replay the same message; the message's
Twilio sid, recorded durably once it is handled, makes a replay of a message already handled do nothing.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from bot.channels.sms import sms_text
from bot.channels.sms_sender import SendFailed, SmsSender
from bot.core.vocabulary import Channel
from bot.db.session import DatabaseUnavailable
from bot.engine.replies import BotTurn
from bot.state.masking import mask_number

log = logging.getLogger(__name__)

#: A file claimed this long ago belongs to a process that died while replaying it: it is taken back.
STALE_CLAIM_S = 600.0
_PENDING, _CLAIMED = ".json", ".replaying"
#: Where messages that fail for another reason than the database are set aside.
FAILED_DIR = "failed"


@dataclass(frozen=True)
class SpooledMessage:
    """An inbound message as it arrived."""

    clinic_number: str
    patient_number: str
    text: str
    channel: Channel
    sid: str | None
    received_at: datetime


class InboundSpool:
    """A directory of spooled messages, oldest first."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def keep(self, message: SpooledMessage) -> Path:
        """Write the message durably, readable by this user only; its file."""
        _private_folder(self.directory)
        # Named by arrival time first, so that a listing sorts in the order the patient wrote.
        name = f"{message.received_at.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}"
        temporary = self.directory / f".{name}.tmp"
        data = {
            "clinic_number": message.clinic_number,
            "patient_number": message.patient_number,
            "text": message.text,
            "channel": message.channel.value,
            "sid": message.sid,
            "received_at": message.received_at.isoformat(),
        }
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as file:
            json.dump(data, file)
            file.flush()
            os.fsync(file.fileno())
        final = self.directory / f"{name}{_PENDING}"
        os.replace(temporary, final)
        return final

    def has_pending(self) -> bool:
        """Whether any message waits (cheap: called after turns)."""
        try:
            with os.scandir(self.directory) as entries:
                return any(entry.name.endswith(_PENDING) for entry in entries)
        except FileNotFoundError:
            return False

    def claim_each(self) -> Iterator[tuple[Path, SpooledMessage]]:
        """Each waiting message, oldest first, renamed to this process's own name first (skipped when another
        process renamed it before); stale claims of dead processes are taken back first."""
        self._take_back_stale()
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob(f"*{_PENDING}")):
            claimed = path.with_name(f"{path.stem}.{os.getpid()}{_CLAIMED}")
            try:
                os.rename(path, claimed)
            except FileNotFoundError:
                continue  # another process has it
            yield claimed, _read(claimed)

    def done(self, claimed: Path) -> None:
        """The message is handled: forget it."""
        claimed.unlink(missing_ok=True)

    def set_aside(self, claimed: Path) -> None:
        """A message that fails for another reason than the database: kept for a person to look at, out of the way."""
        aside = self.directory / FAILED_DIR
        _private_folder(aside)
        os.replace(claimed, aside / claimed.name)

    def purge_set_aside(self, older_than: timedelta, now: float | None = None) -> int:
        """Delete messages set aside longer ago than `older_than` (they hold what patients wrote); how many went."""
        cutoff = (time.time() if now is None else now) - older_than.total_seconds()
        purged = 0
        for path in (self.directory / FAILED_DIR).glob("*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    purged += 1
            except FileNotFoundError:
                continue
        return purged

    def give_back(self, claimed: Path) -> None:
        """The message could not be handled now: it waits again."""
        os.rename(claimed, claimed.with_name(claimed.name.split(".")[0] + _PENDING))

    def _take_back_stale(self) -> None:
        if not self.directory.is_dir():
            return
        for path in self.directory.glob(f"*{_CLAIMED}"):
            try:
                if time.time() - path.stat().st_mtime > STALE_CLAIM_S:
                    self.give_back(path)
            except FileNotFoundError:
                continue


def _private_folder(directory: Path) -> None:
    """`directory`, created if need be, open to this user only (what it holds is what patients wrote)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if directory.stat().st_mode & 0o077:
        directory.chmod(0o700)


def _read(path: Path) -> SpooledMessage:
    data = json.loads(path.read_text(encoding="utf-8"))
    return SpooledMessage(
        data["clinic_number"],
        data["patient_number"],
        data["text"],
        Channel(data["channel"]),
        data.get("sid"),
        datetime.fromisoformat(data["received_at"]),
    )


class SpoolReplay:
    """Replays the spool in a background thread, one run at a time per process, when `kick`ed: each message is
    answered as if it had just arrived, and the answer is texted (the webhook could only give the guidance)."""

    def __init__(
        self,
        spool: InboundSpool,
        answer: Callable[[SpooledMessage], BotTurn | None],
        sender: SmsSender | None,
    ) -> None:
        """`answer` handles a message (None: its sid was handled already, nothing to tell); it raises while the
        database still cannot take it. Without a `sender` (no Twilio credentials) answers are only logged."""
        self.spool = spool
        self.answer = answer
        self.sender = sender
        self._running = threading.Lock()

    def replay_one(self, message: SpooledMessage) -> None:
        """Handle one message and text its answer (a text that fails is not retried: the message is handled, and
        replaying it again would only find its sid)."""
        turn = self.answer(message)
        if turn is None or not turn.replies:
            return
        if self.sender is None:
            log.warning(
                "spooled message of %s handled; no Twilio credentials to text the answer",
                mask_number(message.patient_number),
            )
            return
        try:
            self.sender.send(message.clinic_number, message.patient_number, sms_text(turn))
        except SendFailed as failed:
            log.warning("the answer to a spooled message was not sent: %s", failed)

    def kick(self) -> None:
        """Start a run in the background unless one is going on."""
        if self._running.acquire(blocking=False):
            threading.Thread(target=self._run_then_release, name="rdvbot-spool-replay", daemon=True).start()

    def run(self) -> int:
        """Replay every waiting message now; how many were handled."""
        handled = 0
        for claimed, message in self.spool.claim_each():
            try:
                self.replay_one(message)
            except (DataError, IntegrityError):
                # The database answers but refuses this message for what it holds: it would every time.
                log.exception("the database refuses spooled message %s; set aside in %s", claimed.name, FAILED_DIR)
                self.spool.set_aside(claimed)
                continue
            except (SQLAlchemyError, DatabaseUnavailable):
                log.warning("the database still refuses spooled messages; %s waits", claimed.name)
                self.spool.give_back(claimed)
                break  # the rest waits too, in order
            except Exception:
                # Not the database: the same message would fail every time and hold up the others behind it.
                log.exception("spooled message %s failed; set aside in %s", claimed.name, FAILED_DIR)
                self.spool.set_aside(claimed)
                continue
            self.spool.done(claimed)
            handled += 1
        return handled

    def _run_then_release(self) -> None:
        try:
            self.run()
        finally:
            self._running.release()
