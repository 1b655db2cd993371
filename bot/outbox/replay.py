"""Replaying kept requests once the clinic's system of record answers again, and texting the patient the result.

Each request is done exactly once whatever the number of drain workers: one worker holds it at a time (a lease in
SQL), a booking first looks for the appointment an earlier attempt may have made before its answer was lost, and
only the worker still holding the request records what happened. Requests go at each back-end's configured pace
(a token bucket shared through Redis), so a back-end that just came back is not flattened by the queue.

The text waits for the clinic's texting hours; when slots are offered, the patient's conversation is set to the
choice, so that answering "2" books the second one.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.actions.base import slot_option
from bot.booking.finder import find_slots
from bot.booking.port import BookingBackend
from bot.channels.sms import sms_text
from bot.channels.sms_sender import SendFailed, SmsSender
from bot.clinics.config import ClinicConfig, ClinicsFile
from bot.clinics.texting import may_text_at, next_texting_start
from bot.core.booking import (
    AppointmentNotFound,
    BookingError,
    BookingRequest,
    BookingUnavailable,
    OfferedSlot,
    SlotSearch,
    SlotTaken,
)
from bot.core.clock import Clock, utcnow
from bot.core.vocabulary import Channel
from bot.core.wish import Wish
from bot.db.patients import is_opted_out
from bot.db.session import Database
from bot.engine.conversation import WISH_SLOT, Conversation, Frame
from bot.engine.engine import Engine, TurnContext
from bot.engine.flows import CodeNames
from bot.engine.replies import BotTurn
from bot.outbox import store
from bot.outbox.pace import Pace, wait_for_token
from bot.outbox.store import KeptRequest
from bot.state.masking import mask_number
from bot.state.store import StateStore

log = logging.getLogger(__name__)

#: How long a worker holds a request; past it (a dead worker) another takes it over.
LEASE = timedelta(minutes=2)
#: A text that could not be sent is tried again after this long.
SEND_RETRY = timedelta(minutes=1)
#: How many (request, trouble) pairs a replayer remembers having warned about: one warning each, not one per retry.
WARNED_MAX = 10_000
#: How long a conversation set to a choice of slots is kept (the same as any conversation's state).
STATE_TTL_S = 24 * 3600
#: The flow and its `find_slot` call that a patient's conversation is set to when slots are offered by text.
_PICK_FLOWS = {"book": "book_appointment", "reschedule": "reschedule_appointment"}
NAMES_USED = CodeNames(
    __name__,
    responses=(
        "utter_booked_by_phone",
        "utter_cancelled_by_phone",
        "utter_outbox_cancelled",
        "utter_outbox_cancel_failed",
        "utter_outbox_booked",
        "utter_outbox_moved",
        "utter_outbox_nothing_free",
        "utter_outbox_offer",
        "utter_outbox_offer_move",
    ),
    steps=(("find_slot", "pick"),),
    calls=tuple((flow, "find_slot") for flow in _PICK_FLOWS.values()),
)


@dataclass(frozen=True)
class Notice:
    """What the patient is texted about a handled request, and the conversation to set first (a choice of slots)."""

    text: str
    conversation: dict[str, Any] | None = None

    def to_json(self) -> str:
        return json.dumps({"text": self.text, "conversation": self.conversation})

    @classmethod
    def from_json(cls, raw: str) -> Notice:
        data = json.loads(raw)
        return cls(data["text"], data.get("conversation"))


class FirstTimes:
    """The last `limit` keys seen, so that what happens again at every retry is logged the first time only."""

    def __init__(self, limit: int = WARNED_MAX) -> None:
        self.limit = limit
        self._seen: OrderedDict[Hashable, None] = OrderedDict()

    def first(self, key: Hashable) -> bool:
        """True when `key` was not seen before (or so long ago that it was forgotten)."""
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self.limit:
            self._seen.popitem(last=False)
        return True


def default_worker_name() -> str:
    """host:pid, so that an operator can tell which worker holds a request."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


@dataclass
class Replayer:
    """Drains the outbox: replays kept requests on each clinic's system of record and texts the patients."""

    clinics: ClinicsFile
    database: Database
    #: Each clinic's booking back-ends (its chain behind circuit breakers), by clinic id.
    booking: Mapping[str, BookingBackend]
    #: The clinic staff's own message while they have online booking switched off; None while it is on.
    booking_switched_off: Callable[[str], Mapping[str, str] | None]
    engine: Engine
    state: StateStore
    sender: SmsSender | None  # None without Twilio credentials: texts wait until a worker can send them
    pace_at: Callable[[float], Pace]  # a token bucket for a rate in requests per second
    clock: Clock = utcnow
    worker: str = field(default_factory=default_worker_name)
    _paces: dict[float, Pace] = field(default_factory=dict)
    #: Requests already warned about, and clinics already reported unavailable (until they answer again): a drain
    #: every 10 s repeats neither.
    _warned: FirstTimes = field(default_factory=FirstTimes)
    _unavailable: set[str] = field(default_factory=set)

    def drain(self, limit: int = 1000, stop: threading.Event | None = None) -> int:
        """Move up to `limit` waiting requests on; how many were (handled on the back-end, told, or put off until
        texting hours or a retry). A clinic whose back-end is still down is left for a later drain."""
        waiting_on = {clinic.id for clinic in self.clinics.clinics}
        done = 0
        while done < limit and waiting_on and not (stop and stop.is_set()):
            kept = store.claim(self.database, self.worker, waiting_on, LEASE, self.clock())
            if kept is None:
                break
            if self._advance(kept, stop):
                done += 1
            else:
                waiting_on.discard(kept.clinic_id)  # its back-end cannot take requests now
        return done

    # --- one request ---

    def _advance(self, kept: KeptRequest, stop: threading.Event | None) -> bool:
        """Move one claimed request on (handle it, then tell the patient); False when its clinic's back-end cannot
        take it now."""
        database = self.database
        clinic = self.clinics.by_id(kept.clinic_id)
        assert clinic is not None  # only requests of the configured clinics are claimed
        notice_json = kept.notice
        if notice_json is None:
            handled = self._handle(clinic, kept, stop)
            if handled is None:
                store.release(database, kept.id, self.worker)
                return False
            outcome, notice = handled
            notice_json = notice.to_json()
            if not store.handled(database, kept.id, self.worker, outcome, notice_json):
                return True  # another worker took it over after our lease ran out: it reports, not us
        self._notify(clinic, kept, Notice.from_json(notice_json))
        return True

    def _handle(
        self, clinic: ClinicConfig, kept: KeptRequest, stop: threading.Event | None
    ) -> tuple[str, Notice] | None:
        """Replay on the system of record: (outcome, notice), or None when it cannot be done now."""
        if kept.kind == "confirm":  # a booking made by phone: only the text is left to send
            slots = {"offered": [kept.request["slot"]], "chosen_slot": kept.request["slot"]["id"]}
            return "told", self._notice(clinic, kept, "utter_booked_by_phone", slots)
        if kept.kind == "confirm_cancel":  # a cancellation made by phone, likewise
            appointment = kept.request["appointment"]
            slots = {"appointments": [appointment], "chosen_appointment": appointment["id"]}
            return "told", self._notice(clinic, kept, "utter_cancelled_by_phone", slots)
        if self.booking_switched_off(clinic.id) is not None:
            return None  # staff still has online booking switched off
        chain = self.booking[clinic.id]
        config = clinic.backends[0]
        pace = self._paces.setdefault(config.replay_per_minute, self.pace_at(config.replay_per_minute / 60))
        if not wait_for_token(pace, config.key, stop=stop):
            return None
        try:
            if kept.kind == "cancel":
                replayed = self._cancel(clinic, chain, kept)
            else:
                replayed = self._book_or_move(clinic, chain, kept)
        except BookingUnavailable as unavailable:
            if clinic.id not in self._unavailable:
                self._unavailable.add(clinic.id)
                log.info("outbox: %s unavailable (%s); its requests wait until it answers", clinic.id, unavailable)
            return None
        if clinic.id in self._unavailable:
            self._unavailable.discard(clinic.id)
            log.info("outbox: %s answers again", clinic.id)
        return replayed

    def _cancel(self, clinic: ClinicConfig, chain: BookingBackend, kept: KeptRequest) -> tuple[str, Notice]:
        appointment = kept.request["appointment"]
        slots = {"appointments": [appointment], "chosen_appointment": appointment["id"]}
        try:
            chain.cancel(appointment["id"], channel=Channel.SMS, patient_phone=kept.patient_phone)
        except BookingError:
            return "failed", self._notice(clinic, kept, "utter_outbox_cancel_failed", slots)
        return "cancelled", self._notice(clinic, kept, "utter_outbox_cancelled", slots)

    def _book_or_move(self, clinic: ClinicConfig, chain: BookingBackend, kept: KeptRequest) -> tuple[str, Notice]:
        request = kept.request
        moving = request.get("appointment")
        wanted = request.get("slot")
        if wanted is not None:
            made = self._already_made(chain, clinic, kept, wanted) or self._take_exactly(chain, clinic, kept, wanted)
            if made is not None:
                slots = {"offered": [slot_option(made)], "chosen_slot": made.slot_id}
                response = "utter_outbox_moved" if moving else "utter_outbox_booked"
                return ("moved" if moving else "booked"), self._notice(clinic, kept, response, slots)
        return self._offer(clinic, chain, kept, wanted)

    def _already_made(
        self, chain: BookingBackend, clinic: ClinicConfig, kept: KeptRequest, wanted: dict[str, Any]
    ) -> OfferedSlot | None:
        """The appointment at the wanted time an earlier attempt made before its answer was lost, if any."""
        start = datetime.fromisoformat(wanted["start"])
        for appointment in chain.appointments_for(clinic.id, kept.patient_phone, after=start - timedelta(seconds=1)):
            moving = kept.request.get("appointment") or {}
            if appointment.start == start and appointment.appointment_id != moving.get("id"):
                slot_id = appointment.slot_id or appointment.appointment_id
                return OfferedSlot(slot_id, clinic.id, appointment.practitioner_id, appointment.start, appointment.end)
        return None

    def _take_exactly(
        self, chain: BookingBackend, clinic: ClinicConfig, kept: KeptRequest, wanted: dict[str, Any]
    ) -> OfferedSlot | None:
        """Book (or move to) the wanted time on the system of record when it is free there; None otherwise.

        A slot offered by a secondary has another id on the system of record: it is found again by its time.
        """
        start = datetime.fromisoformat(wanted["start"])
        if start <= self.clock():
            return None
        day = start.astimezone(clinic.zone).date()
        search = SlotSearch(clinic.id, day, day, practitioner_id=wanted.get("practitioner"), limit=400)
        same_time = [slot for slot in chain.search(search) if slot.start == start and not slot.to_confirm]
        for slot in same_time:
            try:
                moving = kept.request.get("appointment")
                if moving:
                    chain.reschedule(moving["id"], slot.slot_id, channel=Channel.SMS, patient_phone=kept.patient_phone)
                else:
                    chain.book(BookingRequest(slot.slot_id, kept.patient_phone, Channel.SMS))
            except (SlotTaken, AppointmentNotFound):
                continue
            return slot
        return None

    def _offer(
        self, clinic: ClinicConfig, chain: BookingBackend, kept: KeptRequest, wanted: dict[str, Any] | None
    ) -> tuple[str, Notice]:
        """Free slots for what the patient asked, with their conversation set to pick one; or say none is free."""
        request = kept.request
        # Requests kept before the wish held the practitioner named it beside it.
        wish = Wish.from_json(request.get("when")).amended(Wish(practitioner=request.get("practitioner")))
        if wanted is not None and not wish.says_when:  # they had picked a time: look around it
            start = datetime.fromisoformat(wanted["start"]).astimezone(clinic.zone)
            wish = wish.amended(Wish(first_day=start.date(), last_day=start.date(), at=start.time()))
        offer = find_slots(chain, clinic, wish, self.clock())
        found = [slot for slot in offer.slots if not slot.to_confirm]
        slots: dict[str, Any] = {WISH_SLOT: wish}
        if request.get("appointment"):
            slots |= {"appointments": [request["appointment"]], "chosen_appointment": request["appointment"]["id"]}
        if not found:
            return "none", self._notice(clinic, kept, "utter_outbox_nothing_free", slots)
        slots |= {"offered": [slot_option(slot) for slot in found], "search_outcome": offer.outcome}
        picking = _picking(self.engine, _PICK_FLOWS[kept.kind], kept.language, slots, self.clock())
        response = "utter_outbox_offer_move" if request.get("appointment") else "utter_outbox_offer"
        return "offered", self._notice(clinic, kept, response, slots, picking)

    def _notice(
        self,
        clinic: ClinicConfig,
        kept: KeptRequest,
        response: str,
        slots: dict[str, Any],
        conversation: dict[str, Any] | None = None,
    ) -> Notice:
        context = TurnContext(clinic, kept.patient_phone, str(Channel.SMS), self.clock())
        reply = self.engine.say(Conversation(language=kept.language, slots=slots), context, response)
        return Notice(sms_text(BotTurn(replies=[reply])), conversation)

    # --- telling the patient ---

    def _notify(self, clinic: ClinicConfig, kept: KeptRequest, notice: Notice) -> None:
        """Text the patient, unless they opted out; a text that cannot go now is put off (texting hours, Twilio
        refusing it) and its request stays waiting until then."""
        database = self.database
        if self._opted_out(kept.patient_phone):
            store.notified(database, kept.id, self.worker)
            return
        now = self.clock()
        if not may_text_at(clinic, now):
            store.release(database, kept.id, self.worker, until=next_texting_start(clinic, now))
            return
        if self.sender is None:
            if self._warned.first((kept.id, "no sender")):
                log.warning("outbox: request %s handled, but no Twilio credentials to text the patient", kept.id)
            store.release(database, kept.id, self.worker, until=now + SEND_RETRY)
            return
        if notice.conversation is not None:
            with self.state.open(clinic.sms_number, kept.patient_phone) as held:
                held.keep(notice.conversation, STATE_TTL_S)
        try:
            self.sender.send(clinic.sms_number, kept.patient_phone, notice.text)
        except SendFailed as failed:
            if self._warned.first((kept.id, "not sent")):
                log.warning("outbox: text about request %s not sent (%s); it will be tried again", kept.id, failed)
            store.release(database, kept.id, self.worker, until=now + SEND_RETRY)
            return
        log.info("outbox: request %s of %s handled and told", kept.id, mask_number(kept.patient_phone))
        store.notified(database, kept.id, self.worker)

    def _opted_out(self, phone: str) -> bool:
        with self.database.autocommit.connect() as connection:
            return is_opted_out(connection, phone)


def _picking(engine: Engine, flow: str, language: str, slots: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A conversation waiting for the patient to pick one of the offered slots in `flow`, as the engine leaves
    it after offering them itself."""
    steps = engine.book.flows[flow].steps
    call = next(index for index, step in enumerate(steps) if step.call == "find_slot")
    pick = next(index for index, step in enumerate(engine.book.flows["find_slot"].steps) if step.id == "pick")
    conversation = Conversation(
        language=language,
        stack=[Frame(flow, call), Frame("find_slot", pick, called=True)],
        slots=dict(slots),
        updated_at=now.timestamp(),
    )
    return conversation.to_dict()
