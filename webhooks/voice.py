"""POST /twilio/voice, /twilio/voice/gather and /twilio/voice/status: a call in, TwiML out. Verify, parse, call the
assistant, render; nothing else.

Each gather's action URL carries the turn's number (so that a retried webhook is recognised by "CallSid:turn"), what
the question expects (so that the keypad's 1 and 2 mean yes and no where they should) and its language.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, request
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.voice_response import VoiceResponse

from bot.assistant import Inbound
from bot.channels.voice import LANGUAGE_CODES, caller_words, prompt
from bot.clinics.config import ClinicConfig, to_e164
from bot.core.vocabulary import Channel
from bot.db.calls import record_call_status
from bot.db.session import DatabaseUnavailable
from bot.engine.replies import BotTurn, Expect, Handoff
from bot.sms.numbers import sender_e164
from webhooks.services import assistant, services
from webhooks.twilio_form import field
from webhooks.twilio_signature import refuse_unsigned

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/twilio/voice")
bp.before_request(refuse_unsigned)

#: Said when something inside failed: Twilio must never get a 5xx, and the caller must get a way out.
TROUBLE = "Service momentanément indisponible. Appelez votre clinique. Urgence: 911. Santé: 811."
#: Seconds of silence before the gather gives up, and of pause that ends a spoken answer ("auto": Twilio decides).
GATHER_TIMEOUT_S, SPEECH_TIMEOUT = 6, "auto"
#: The keys a one-time code takes (its digits; the caller may end sooner with #).
CODE_KEYS = 6


def twiml(answer: VoiceResponse) -> Response:
    """A TwiML document."""
    return Response(str(answer), mimetype="text/xml")


def _trouble() -> Response:
    answer = VoiceResponse()
    answer.say(TROUBLE, language=LANGUAGE_CODES["fr"])
    answer.hangup()
    return twiml(answer)


def render(turn: BotTurn, clinic: ClinicConfig, next_turn: int) -> VoiceResponse:
    """Say the turn; then put the caller through, hang up, or listen for the next answer."""
    said = prompt(turn, clinic)
    answer = VoiceResponse()
    if turn.handoff is not Handoff.NONE:
        answer.say(said.text, language=said.language_code, voice=said.voice)
        if turn.handoff is Handoff.TRANSFER:
            answer.dial(clinic.phone)
        else:
            answer.hangup()
        return answer
    action = "/twilio/voice/gather?" + urlencode(
        {"turn": next_turn, "expects": turn.expects.value, "language": turn.language}
    )
    gather = answer.gather(
        input="dtmf speech",
        action=action,
        method="POST",
        language=said.language_code,
        hints=said.hints,
        timeout=GATHER_TIMEOUT_S,
        speech_timeout=SPEECH_TIMEOUT,
        # A code is keyed whole (ended by # or the timeout); any other answer is one key.
        num_digits=CODE_KEYS if turn.expects is Expect.CODE else 1,
        finish_on_key="#",
        action_on_empty_result=True,
    )
    gather.say(said.text, language=said.language_code, voice=said.voice)
    return answer


#: Twilio's CallSid, and the statuses its status callback reports (anything else is kept as "unknown").
_CALL_SID = re.compile(r"CA[0-9a-f]{32}")
CALL_STATUSES = frozenset({"queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"})
#: A longer duration is no call's (Twilio ends calls at 4 hours): not kept.
LONGEST_CALL_S = 4 * 3600

#: Twilio's StirVerstat when the carrier attests that the caller may use the number they present (level A).
ATTESTED = "TN-Validation-Passed-A"
#: What Twilio puts in From when the caller hides their number.
_HIDDEN_CALLER = frozenset({"", "+266696687", "anonymous", "restricted", "unknown", "blocked", "private"})


class _Unusable(Exception):
    """A signed request without usable To/From numbers or CallSid."""


def _caller() -> tuple[str, str, str]:
    """(clinic number, caller, CallSid) of a Twilio request (`_Unusable` without them)."""
    try:
        clinic_number, call_sid = to_e164(field("To")), field("CallSid")
    except ValueError:
        raise _Unusable from None
    if not _CALL_SID.fullmatch(call_sid):
        raise _Unusable
    caller = field("From")
    # Any number that parses, valid or not; none for a hidden caller ID, which Twilio sends as a fixed number or word.
    return clinic_number, "" if caller.strip().lower() in _HIDDEN_CALLER else sender_e164(caller) or "", call_sid


@bp.errorhandler(_Unusable)
def unusable(_: _Unusable) -> Response:
    """The caller still hears a way out; a status callback is refused (nothing to record it under)."""
    log.warning("voice webhook without a usable To number, or with a malformed CallSid")
    return Response(status=400) if request.path.endswith("/status") else _trouble()


def _answer(inbound: Inbound, next_turn: int) -> Response:
    clinic = services().clinics.by_number(inbound.clinic_number)
    if clinic is None:
        return _trouble()
    try:
        # A hidden caller ID: nobody's appointments can be told, so the clinic's guidance (put through while open)
        turn = assistant().answer(inbound) if inbound.patient_number else assistant().guidance(inbound)
    except Exception:
        log.exception("could not answer a call")
        return _trouble()
    return twiml(render(turn, clinic, next_turn))


@bp.post("")
def incoming_call() -> Response:
    """Answer a call: the clinic's greeting in French (9 for English), then listen."""
    clinic_number, patient, call_sid = _caller()
    attested = field("StirVerstat") == ATTESTED
    return _answer(Inbound(clinic_number, patient, "", Channel.VOICE, call_sid, True, attested), 1)


@bp.post("/gather")
def gathered() -> Response:
    """What the caller said or pressed (or their silence) goes through the same flows as a text."""
    clinic_number, patient, call_sid = _caller()
    turn_number = request.args.get("turn", type=int) or 1
    asked = request.args.get("expects", "")
    expects = Expect(asked) if asked in Expect.__members__.values() else Expect.NOTHING
    language = request.args.get("language", "")
    language = language if language in LANGUAGE_CODES else "fr"
    words = caller_words(field("Digits"), field("SpeechResult"), expects, language)
    inbound = Inbound(clinic_number, patient, words, Channel.VOICE, f"{call_sid}:{turn_number}")
    return _answer(inbound, turn_number + 1)


@bp.post("/status")
def call_status() -> Response:
    """Record how the call ended (Twilio's status callback); odd values are logged and answered, never a 5xx."""
    clinic_number, patient, call_sid = _caller()
    status = field("CallStatus")
    duration = request.form.get("CallDuration", type=int)
    try:
        record_call_status(
            services().database,
            call_sid,
            clinic_number,
            patient,
            status if status in CALL_STATUSES else "unknown",
            duration if duration is not None and 0 <= duration <= LONGEST_CALL_S else None,
        )
    except (SQLAlchemyError, DatabaseUnavailable):
        log.exception("could not record a call's status")  # Twilio does not retry it; the call is over anyway
    return Response(status=204)


def init_app(app: Flask) -> None:
    """Register the voice webhooks."""
    app.register_blueprint(bp)
