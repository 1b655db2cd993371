"""The assistant's use case: one inbound message in, the bot's answer out, every rule of SPEC §4 applied.

Order matters and is the product: a retried webhook is answered from its first answer; safety comes before
anything else; carrier keywords are obeyed; then the conversation goes on through the flows.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from bot.actions.base import appointment_option
from bot.actions.clinic import UNAVAILABLE_RESPONSES, unavailable_response
from bot.clinics.calendar import ClinicCalendar
from bot.clinics.config import ClinicConfig, ClinicsFile
from bot.core.clock import Clock, Monotonic, utcnow
from bot.core.deadline import turn_deadline
from bot.core.vocabulary import Channel
from bot.db.patients import patient_language, remember_language, set_opted_out
from bot.db.reminders import AwaitedAnswer
from bot.db.session import Database, DatabaseUnavailable
from bot.db.webhooks import claim, record_answer
from bot.engine.conversation import CALLER_VERIFIED_SLOT, Conversation
from bot.engine.engine import CONVERSATION_TIMEOUT_S, AskedAside, Engine, FlowRuntimeError, TurnContext
from bot.engine.flows import CodeNames
from bot.engine.replies import BotTurn, Handoff, Reply
from bot.nlu import Intent, Keyword, Understanding, Urgency, detect_language, understand
from bot.sms.numbers import country_of
from bot.spool import SpooledMessage, SpoolReplay
from bot.state.limits import Allowance, RateLimits
from bot.state.masking import mask_number
from bot.state.store import HeldConversation, StateStore

log = logging.getLogger(__name__)

#: How long a conversation's state (language, last request) is kept at all.
STATE_TTL_S = 24 * 3600
#: A turn's budget: past it the patient gets the fallback guidance, well within SPEC §5's 2 s.
TURN_BUDGET_S = 1.5
#: A spooled message's turn: nobody waits on a webhook for it.
REPLAY_BUDGET_S = 10.0
#: Turns running at once per process. Past that (a hung database holding them, or a surge) a message is
#: answered with the guidance at once instead of queueing: shed, never a 5xx (SPEC §5).
TURN_WORKERS = 32
UNKNOWN_CLINIC = Reply(
    "Ce numéro n'est relié à aucune clinique. / This number is not linked to a clinic. Urgence/Emergency: 911."
)
_KEYWORD_RESPONSES = {
    Keyword.OPT_OUT: "utter_opted_out",
    Keyword.OPT_IN: "utter_opted_in",
    Keyword.HELP_FR: "utter_keyword_help",
    Keyword.HELP_EN: "utter_keyword_help",
    Keyword.INFO: "utter_keyword_info",
}
#: The same, said before the answer to the task the message also asks for.
_WITH_A_TASK_RESPONSES = {Keyword.OPT_OUT: "utter_opted_out_after_this", Keyword.OPT_IN: "utter_opted_in"}
NAMES_USED = CodeNames(
    __name__,
    responses=(
        *_KEYWORD_RESPONSES.values(),
        *_WITH_A_TASK_RESPONSES.values(),
        *UNAVAILABLE_RESPONSES,
        "utter_unavailable_transferring",
        "utter_greet",
        "utter_crisis",
        "utter_emergency",
        "utter_cannot_handle",
        "utter_safety_reminder",
        "utter_crisis_reminder",
        "utter_number_not_served",
        "utter_number_unknown",
        "utter_number_unknown_transferring",
        "utter_slow_down",
    ),
    flows=("answer_reminder",),
)


class RemindedAppointments(Protocol):
    """Which of a patient's appointments have a reminder awaiting their answer (the built-in scheduler's)."""

    def awaiting_answer(self, clinic_id: str, patient_phone: str, *, now: datetime) -> AwaitedAnswer | None:
        """The appointments whose texted reminder awaits an answer, the latest reminded first; None if none."""
        ...


@dataclass(frozen=True)
class Inbound:
    """A message from a patient: who (E.164), to which clinic number (E.164), what, and Twilio's id for it."""

    clinic_number: str
    patient_number: str
    text: str
    channel: Channel = Channel.SMS
    sid: str | None = None
    #: A call being answered: the caller is greeted, and what an earlier call left pending is dropped.
    starts_call: bool = False
    #: The carrier vouched for the caller's number (STIR/SHAKEN attestation A): no code is needed in this call.
    caller_attested: bool = False


class Assistant:
    """Answers patients' messages; channels (the SMS webhook, and through it the terminal chat) call `answer`."""

    def __init__(
        self,
        clinics: ClinicsFile,
        database: Database,
        engine: Engine,
        store: StateStore,
        clock: Clock = utcnow,
        max_turns: int = TURN_WORKERS,
        spool: SpoolReplay | None = None,
        monotonic: Monotonic = time.monotonic,
        limits: RateLimits | None = None,
        reminded: RemindedAppointments | None = None,
    ) -> None:
        """`database` keeps webhook ids and answers, opt-outs and languages; `store` the conversations; `spool`:
        where messages go that our own database could not take, to be replayed once it can; `monotonic`: the clock
        of each turn's deadline (the webhook itself waits by the real one); `limits`: how many turns a sender and a
        clinic number get (counted in this process unless given); `reminded`: whose reminders await an answer (a text
        after one answers it), none unless given."""
        self.clinics = clinics
        self.database = database
        self.engine = engine
        self.monotonic = monotonic
        self.store = store
        self.clock = clock
        self.spool = spool
        self.limits = limits or RateLimits.in_process()
        self.reminded = reminded
        # Threads of their own: a turn stuck on a hung database keeps one; the webhook's thread stays free.
        self._turns = ThreadPoolExecutor(max_workers=max_turns, thread_name_prefix="rdvbot-turn")
        self._free_turns = threading.BoundedSemaphore(max_turns)

    def answer(self, inbound: Inbound, budget_s: float = TURN_BUDGET_S) -> BotTurn:
        """The answer to one message within `budget_s` seconds; past it, or when the turn fails, the clinic's
        fallback guidance; a message whose sid was already handled gets the recorded answer.

        The turn runs in a worker thread so that a database or Redis that hangs cannot hold the webhook: the
        patient gets the clinic's phone, whether it is open, 811 and 911 in time (SPEC §4, §5).
        """
        clinic = self.clinics.by_number(inbound.clinic_number)
        if clinic is None:
            return BotTurn(replies=[UNKNOWN_CLINIC])
        if not self._free_turns.acquire(blocking=False):
            log.warning("every turn worker is busy; %s answered with the guidance", mask_number(inbound.patient_number))
            return self._spooled_fallback(clinic, inbound)
        turn = self._turns.submit(self._respond_within, clinic, inbound, budget_s)
        try:
            answered = turn.result(timeout=budget_s)
        except TimeoutError:
            if turn.cancel():  # never started, so it will not release its worker itself
                self._free_turns.release()
            log.warning(
                "turn for %s ran past %.1f s; answered with the fallback", mask_number(inbound.patient_number), budget_s
            )
            return self._spooled_fallback(clinic, inbound)
        except (DataError, IntegrityError):
            # The database is up but refuses what this message holds: keeping it to replay would fail again.
            log.exception(
                "database refused the turn for %s; answered with the fallback", mask_number(inbound.patient_number)
            )
            return self.fallback(clinic, inbound)
        except (SQLAlchemyError, DatabaseUnavailable):
            log.exception(
                "database failed in the turn for %s; answered with the fallback", mask_number(inbound.patient_number)
            )
            return self._spooled_fallback(clinic, inbound)
        except Exception:
            log.exception("turn for %s failed; answered with the fallback", mask_number(inbound.patient_number))
            return self.fallback(clinic, inbound)
        if self.spool is not None and self.spool.spool.has_pending():
            self.spool.kick()  # the database answers again: what it missed is replayed, in the background
        return answered

    def replay(self, message: SpooledMessage) -> BotTurn | None:
        """Handle a message kept while the database was down, as if it had just arrived; None when it was handled
        already (a turn that finished late, or a retry). Raises while the database still cannot take it."""
        clinic = self.clinics.by_number(message.clinic_number)
        if clinic is None:
            return None
        inbound = Inbound(message.clinic_number, message.patient_number, message.text, message.channel, message.sid)
        with turn_deadline(REPLAY_BUDGET_S, self.monotonic):
            return self._respond(clinic, inbound, answer_retries=False, received_at=message.received_at)

    def _spooled_fallback(self, clinic: ClinicConfig, inbound: Inbound) -> BotTurn:
        """The guidance now, and the message kept to be handled once the database can take it. Not kept: a message
        without a sid (it could not be told from its retries), and what a caller said (the call is over by then)."""
        if self.spool is not None and inbound.sid and inbound.channel is not Channel.VOICE:
            try:
                self.spool.spool.keep(
                    SpooledMessage(
                        inbound.clinic_number,
                        inbound.patient_number,
                        inbound.text,
                        inbound.channel,
                        inbound.sid,
                        self.clock(),
                    )
                )
            except OSError:
                log.exception("could not spool the message of %s", mask_number(inbound.patient_number))
        return self.fallback(clinic, inbound)

    def guidance(self, inbound: Inbound) -> BotTurn:
        """The answer to a message from no usable number, a text without one or a call with its caller ID hidden
        (nothing can be kept or looked up for it): 911 or 9-8-8 for a red flag; else that nobody's appointments can
        be told, with the clinic's phone, 811 and 911 (a caller is put through while the clinic is open)."""
        clinic = self.clinics.by_number(inbound.clinic_number)
        if clinic is None:
            return BotTurn(replies=[UNKNOWN_CLINIC])
        now = self.clock()
        understanding = understand(inbound.text, today=now.astimezone(clinic.zone).date())
        language = understanding.language or "fr"
        context = TurnContext(clinic, inbound.patient_number, str(inbound.channel), now)
        speaking = Conversation(language=language)
        if understanding.urgency is not None:
            return self._safety_turn(speaking, understanding.urgency, context, language)
        if inbound.channel is not Channel.VOICE:
            return BotTurn([self._say(speaking, context, "utter_number_unknown", language)], language=language)
        if "closes_at" in ClinicCalendar(clinic).opening_status(now):
            reply = self._say(speaking, context, "utter_number_unknown_transferring", language)
            return BotTurn([reply], handoff=Handoff.TRANSFER, language=language)
        reply = self._say(speaking, context, "utter_number_unknown", language)
        return BotTurn([reply], handoff=Handoff.HANG_UP, language=language)

    def fallback(self, clinic: ClinicConfig, inbound: Inbound) -> BotTurn:
        """The guidance given when the turn cannot be handled: no database, Redis or back-end is needed. A caller
        is put through to the clinic while it is open; otherwise told its hours, 811 and 911, and the call ends."""
        now = self.clock()
        status = ClinicCalendar(clinic).opening_status(now)
        language = detect_language(inbound.text) or "fr"
        context = TurnContext(clinic, inbound.patient_number, str(inbound.channel), now)
        speaking = Conversation(language=language)
        if inbound.channel is not Channel.VOICE:
            return BotTurn(
                [self.engine.say(speaking, context, unavailable_response(status), status)], language=language
            )
        if "closes_at" in status:
            reply = self.engine.say(speaking, context, "utter_unavailable_transferring")
            return BotTurn([reply], handoff=Handoff.TRANSFER, language=language)
        reply = self.engine.say(speaking, context, unavailable_response(status), status)
        return BotTurn([reply], handoff=Handoff.HANG_UP, language=language)

    def _respond_within(self, clinic: ClinicConfig, inbound: Inbound, budget_s: float) -> BotTurn:
        try:
            with turn_deadline(budget_s, self.monotonic):
                return self._respond(clinic, inbound) or BotTurn()
        finally:
            self._free_turns.release()  # only now: a turn that overran its budget still holds its worker

    def _respond(
        self,
        clinic: ClinicConfig,
        inbound: Inbound,
        answer_retries: bool = True,
        received_at: datetime | None = None,
    ) -> BotTurn | None:
        """The answer to one message; a message whose sid was already handled gets the recorded answer (or None,
        unless `answer_retries`). `received_at`: when a replayed message really arrived."""
        with self.store.open(inbound.clinic_number, inbound.patient_number) as held:
            if inbound.sid:
                first, recorded = claim(self.database, inbound.sid, str(inbound.channel), serialised=held.locked)
                if not first:
                    # A retry: same answer, no second action. While the first is still running, say nothing twice.
                    if not answer_retries:
                        return None
                    return BotTurn.from_dict(recorded) if recorded else BotTurn()
            turn = self._converse(clinic, inbound, held, received_at)
            if inbound.sid:
                # Recorded before the lock is released, so that a retry waiting for it finds the answer.
                record_answer(self.database, inbound.sid, str(inbound.channel), turn.to_dict())
        return turn

    def _converse(
        self, clinic: ClinicConfig, inbound: Inbound, held: HeldConversation, received_at: datetime | None = None
    ) -> BotTurn:
        now = self.clock()
        understanding = understand(
            inbound.text,
            today=now.astimezone(clinic.zone).date(),
            practitioners={p.id: [p.name.fr, p.name.en] for p in clinic.practitioners},
        )
        moved_on = received_at is not None and (held.state or {}).get("updated_at", 0) > received_at.timestamp()
        if moved_on and understanding.keyword is None and understanding.urgency is None:
            # A replayed message the patient went past (they wrote again once we answered): answering it now would
            # only confuse them. STOP and the like are still obeyed, and safety still answered.
            return BotTurn()
        if held.state:
            conversation = Conversation.from_dict(held.state)
        else:
            conversation = self._new_conversation(inbound, understanding)
        language_before = conversation.language
        if now.timestamp() - conversation.updated_at > CONVERSATION_TIMEOUT_S:
            conversation.safety = None  # the safety line is repeated while the talk goes on, not the next day
        context = TurnContext(clinic, inbound.patient_number, str(inbound.channel), now)
        if conversation.first_words and inbound.text.strip():
            conversation.first_words = False
            if understanding.language == "en":  # a caller who answers the French greeting in English
                conversation.language = "en"
        if inbound.starts_call:
            conversation.forget_request()
            conversation.slots[CALLER_VERIFIED_SLOT] = inbound.caller_attested  # each call proves itself anew
            conversation.first_words = True
            turn = BotTurn(
                [self._say(conversation, context, "utter_greet", conversation.language)], language=conversation.language
            )
        elif inbound.channel is Channel.VOICE and not inbound.text.strip():
            turn = self.engine.handle_silence(conversation, understanding, context)
        else:
            turn = self._turn(conversation, understanding, context)
        conversation.updated_at = now.timestamp()
        held.keep(conversation.to_dict(), STATE_TTL_S)
        if conversation.language != language_before:
            with self.database.autocommit.begin() as connection:
                remember_language(connection, inbound.patient_number, conversation.language)
        return turn

    def _turn(self, conversation: Conversation, understanding: Understanding, context: TurnContext) -> BotTurn:
        if understanding.urgency is not None:
            # Safety first: nothing else happens in this turn; the request in progress is kept.
            conversation.safety = str(understanding.urgency)
            return self._safety_turn(
                conversation, understanding.urgency, context, understanding.language or conversation.language
            )
        if understanding.keyword is not None:
            return self._keyword(conversation, understanding.keyword, context)
        if understanding.intent in _PLAIN_WORD_KEYWORDS:  # "enlevez-moi de la liste", "put me back on the list"
            keyword = _PLAIN_WORD_KEYWORDS[understanding.intent]
            if understanding.also_task is None:
                return self._keyword(conversation, keyword, context)
            # "annulez mon rdv de jeudi pis arrêtez de m'écrire": recorded at once, and the task goes ahead.
            said = self._keyword(conversation, keyword, context, _WITH_A_TASK_RESPONSES[keyword])
            task = self._turn(conversation, replace(understanding, intent=understanding.also_task), context)
            return replace(task, replies=[*said.replies, *task.replies])
        if conversation.safety is not None:
            if not _moves_on(understanding):
                # "ok merci" after 911 or 9-8-8: the safety line again, nothing else, until they move on.
                response = "utter_crisis_reminder" if conversation.safety == Urgency.CRISIS else "utter_safety_reminder"
                return BotTurn([self._say(conversation, context, response, conversation.language)])
            conversation.safety = None
        # Only now: safety answers, STOP and START are never limited.
        limited = self._limited(conversation, context)
        if limited is not None:
            return limited
        if country_of(context.patient) not in context.clinic.allowed_countries:
            # Safety, STOP and START were answered above; appointments are for the clinic's own countries' numbers.
            return BotTurn([self._say(conversation, context, "utter_number_not_served", conversation.language)])
        if understanding.language_switch is not None and understanding.intent is not Intent.CHANGE_LANGUAGE:
            conversation.language = understanding.language_switch  # "english please, when is my appointment?"
        try:
            return self.engine.handle(
                conversation, understanding, replace(context, asked_aside=self._reminder(context))
            )
        except FlowRuntimeError:
            log.exception("flow error for %s", mask_number(context.patient))
            conversation.forget_request()
            reply = self._say(conversation, context, "utter_cannot_handle", conversation.language)
            return BotTurn([reply], language=conversation.language)

    def _reminder(self, context: TurnContext) -> AskedAside | None:
        """The reminder a text answers: the latest one texted to this patient for an appointment here that awaits
        an answer (all of them when several do: the flow asks which). Only where rdvbot's own database is the
        clinic's system of record: an answer changes the appointment there."""
        if self.reminded is None or context.channel != Channel.SMS or context.clinic.backends[0].kind != "sql":
            return None
        awaited = self.reminded.awaiting_answer(context.clinic.id, context.patient, now=context.now)
        if awaited is None:
            return None
        options = [appointment_option(appointment) for appointment in awaited.appointments]
        chosen = {"chosen_appointment": options[0]["id"]} if len(options) == 1 else {}
        slots = {"appointments": options, **chosen}
        return AskedAside("answer_reminder", slots, awaited.asked_at, awaited.language)

    def _limited(self, conversation: Conversation, context: TurnContext) -> BotTurn | None:
        """The answer to a texter past their limit (one notice, then nothing) or to anyone while the clinic's number
        is flooded with texts (its phone, 811 and 911); None within both. Calls are not counted: each costs its
        caller, and a call's many turns are one conversation."""
        if context.channel != Channel.SMS:
            return None
        allowance = self.limits.for_sender(context.clinic, context.patient)
        if allowance is Allowance.SILENT:
            return BotTurn()
        if allowance is Allowance.NOTICE:
            log.warning("%s is past the per-sender limit: one notice, then silence", mask_number(context.patient))
            return BotTurn([self._say(conversation, context, "utter_slow_down", conversation.language)])
        if not self.limits.for_clinic_number(context.clinic):
            log.warning("clinic %s is past its per-number limit: answered with the guidance", context.clinic.id)
            status = ClinicCalendar(context.clinic).opening_status(context.now)
            return BotTurn([self.engine.say(conversation, context, unavailable_response(status), status)])
        return None

    def _keyword(
        self, conversation: Conversation, keyword: Keyword, context: TurnContext, response: str | None = None
    ) -> BotTurn:
        if keyword in (Keyword.OPT_OUT, Keyword.OPT_IN):
            with self.database.autocommit.begin() as connection:
                set_opted_out(connection, context.patient, keyword is Keyword.OPT_OUT)
        language = {Keyword.HELP_FR: "fr", Keyword.HELP_EN: "en"}.get(keyword, conversation.language)
        said = self._say(conversation, context, response or _KEYWORD_RESPONSES[keyword], language)
        return BotTurn([said], language=language)

    def _safety_turn(
        self, conversation: Conversation, urgency: Urgency, context: TurnContext, language: str
    ) -> BotTurn:
        """911, or 9-8-8 with it for crisis wording. On the phone the call ends: the caller must be free to dial at
        once."""
        response = "utter_crisis" if urgency is Urgency.CRISIS else "utter_emergency"
        return BotTurn(
            [self._say(conversation, context, response, language)], handoff=Handoff.HANG_UP, language=language
        )

    def _say(self, conversation: Conversation, context: TurnContext, response: str, language: str) -> Reply:
        speaking = Conversation(language=language, slots=conversation.slots)
        return self.engine.say(speaking, context, response)

    def _new_conversation(self, inbound: Inbound, understanding: Understanding) -> Conversation:
        """French, unless this number chose English before or its first message is clearly English.

        French is the default every patient starts with, so only English can have been a choice.
        """
        with self.database.autocommit.connect() as connection:
            remembered = patient_language(connection, inbound.patient_number)
        return Conversation(language="en" if "en" in (remembered, understanding.language) else "fr")


#: Opting out or back in, said in plain words, is obeyed like the carrier keywords.
_PLAIN_WORD_KEYWORDS = {Intent.STOP: Keyword.OPT_OUT, Intent.START: Keyword.OPT_IN}
#: What a patient may answer to the safety line without moving on from it.
_ACKNOWLEDGEMENTS = frozenset({Intent.THANKS, Intent.YES, Intent.NO, Intent.NONE, Intent.GREETING, Intent.OUT_OF_SCOPE})


def _moves_on(understanding: Understanding) -> bool:
    """Whether a message after the safety line asks for something else (a task, a day, a pick), not just "ok"."""
    return understanding.intent not in _ACKNOWLEDGEMENTS or understanding.when is not None or bool(understanding.pick)
