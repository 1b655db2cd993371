"""Sending due reminders (`rdvbot remind send-due`, and the worker): each claimed by one sender before its text goes,
paced per clinic number at its segments per second, within texting hours, never to a number that opted out, and
never late when the visit is near."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.channels.sms import sms_text
from bot.channels.sms_sender import SendFailed, SmsSender
from bot.clinics.config import ClinicConfig, ClinicsFile
from bot.clinics.texting import may_text_at, next_texting_start
from bot.core.clock import Clock, utcnow
from bot.core.vocabulary import Channel
from bot.db.models import ReminderStatus
from bot.db.patients import is_opted_out
from bot.db.reminders import LATE_REMINDER_MARGIN, DueReminder, claim_due_reminder, has_due_reminder, settle_reminder
from bot.db.session import Database
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine, TurnContext
from bot.engine.flows import CodeNames
from bot.engine.replies import BotTurn
from bot.outbox.pace import Pace, wait_for_token
from bot.outbox.replay import default_worker_name
from bot.sms.segments import segment_count
from bot.state.masking import mask_number

log = logging.getLogger(__name__)

NAMES_USED = CodeNames(__name__, responses=("utter_reminder",))
#: A reminder this much past its moment counts as late (the sender was not running).
LATE_AFTER = timedelta(minutes=15)


@dataclass
class ReminderSender:
    """Sends the reminders that are due."""

    clinics: ClinicsFile
    database: Database
    engine: Engine
    sender: SmsSender | None  # None without Twilio credentials: reminders wait until a sender can send them
    pace_at: Callable[[float], Pace]  # a token bucket for a rate in segments per second
    clock: Clock = utcnow
    #: Where Twilio reports how each text went (PUBLIC_BASE_URL + /twilio/sms/status); None: not asked.
    status_callback: str | None = None
    #: The pause while a number's rate makes a text wait (tests pass one that moves their clock instead).
    sleep: Callable[[float], object] | None = None
    worker: str = field(default_factory=default_worker_name)
    _paces: dict[float, Pace] = field(default_factory=dict)
    _warned_no_sender: bool = False

    def send_due(self, limit: int = 1000, stop: threading.Event | None = None) -> int:
        """Handle up to `limit` due reminders (sent, put off to texting hours, or skipped); how many."""
        if self.sender is None:
            if not self._warned_no_sender and has_due_reminder(self.database, self.clock()):
                log.warning("reminders: some are due, but there are no Twilio credentials to send them")
                self._warned_no_sender = True
            return 0
        handled = 0
        while handled < limit and not (stop and stop.is_set()):
            due = claim_due_reminder(self.database, self.worker, self.clock())
            if due is None:
                break
            clinic = self.clinics.by_id(due.clinic_id)
            if clinic is None:
                self._settle(due, ReminderStatus.FAILED)  # the clinic left the clinics file
            elif not self._send(clinic, due, stop):
                break
            handled += 1
        return handled

    def _send(self, clinic: ClinicConfig, due: DueReminder, stop: threading.Event | None) -> bool:
        """Text one claimed reminder, or put it off, or skip it; False when stopped while waiting to send."""
        now = self.clock()
        too_close = due.visit_at - now <= LATE_REMINDER_MARGIN
        if (now - due.due_at > LATE_AFTER and too_close) or self._opted_out(due.patient_phone):
            self._settle(due, ReminderStatus.SKIPPED)
            return True
        if not may_text_at(clinic, now):
            opens = next_texting_start(clinic, now)
            if due.visit_at - opens <= LATE_REMINDER_MARGIN:
                self._settle(due, ReminderStatus.SKIPPED)
            else:
                self._settle(due, ReminderStatus.PLANNED, due_at=opens)
            return True
        text = self._text(clinic, due)
        rate = clinic.reminders.sender_mps
        pace = self._paces.setdefault(rate, self.pace_at(rate))
        for _ in range(segment_count(text)):  # each segment is a token of the number's rate
            if not wait_for_token(pace, clinic.sms_number, stop=stop, sleep=self.sleep):
                self._settle(due, ReminderStatus.PLANNED)
                return False
        assert self.sender is not None
        try:
            sid = self.sender.send(clinic.sms_number, due.patient_phone, text, self.status_callback)
        except SendFailed as failed:
            log.warning("reminders: reminder %s to %s not sent (%s)", due.id, mask_number(due.patient_phone), failed)
            self._settle(due, ReminderStatus.FAILED, error_code=failed.code)
            return True
        self._settle(due, ReminderStatus.SENT, message_sid=sid)
        return True

    def _text(self, clinic: ClinicConfig, due: DueReminder) -> str:
        appointment = {"id": str(due.id), "start": due.visit_at.isoformat(), "practitioner": due.practitioner}
        slots = {"appointments": [appointment], "chosen_appointment": str(due.id)}
        context = TurnContext(clinic, due.patient_phone, str(Channel.SMS), self.clock())
        reply = self.engine.say(Conversation(language=due.language, slots=slots), context, "utter_reminder")
        return sms_text(BotTurn(replies=[reply]))

    def _opted_out(self, phone: str) -> bool:
        with self.database.autocommit.connect() as connection:
            return is_opted_out(connection, phone)

    def _settle(
        self,
        due: DueReminder,
        status: ReminderStatus,
        *,
        message_sid: str | None = None,
        error_code: int | None = None,
        due_at: datetime | None = None,
    ) -> None:
        settle_reminder(
            self.database,
            due.id,
            self.worker,
            status,
            message_sid=message_sid,
            error_code=error_code,
            due_at=due_at,
            now=self.clock(),
        )
