"""POST /twilio/sms: a patient's text in, TwiML out. Verify, parse, call the assistant, render; nothing else."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Flask, Response
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.messaging_response import MessagingResponse

from bot.assistant import Inbound
from bot.channels.sms import sms_text
from bot.clinics.config import to_e164
from bot.core.vocabulary import Channel
from bot.db.reminders import record_delivery
from bot.db.session import DatabaseUnavailable
from bot.sms.numbers import sender_e164
from webhooks.services import assistant, services
from webhooks.twilio_form import field
from webhooks.twilio_signature import refuse_unsigned

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__, url_prefix="/twilio")
bp.before_request(refuse_unsigned)

#: Said when something inside failed: Twilio must never get a 5xx (SPEC §5), the patient must get a way out.
TROUBLE = (
    "Service momentanément indisponible. Appelez votre clinique. Urgence: 911. Santé: 811. / "
    "Service temporarily unavailable. Call your clinic. Emergency: 911."
)


#: Twilio's id of a text (SM…) or a multimedia message (MM…).
_MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")


def twiml(text: str | None) -> Response:
    """A TwiML answer with one message, or none."""
    answer = MessagingResponse()
    if text:
        answer.message(text)
    return Response(str(answer), mimetype="text/xml")


@bp.post("/sms")
def inbound_sms() -> Response:
    """Answer a patient's text message."""
    try:
        clinic_number = to_e164(field("To"))
    except ValueError:
        log.warning("SMS webhook without a usable To number")
        return twiml(None)
    sid = field("MessageSid")
    if sid and not _MESSAGE_SID.fullmatch(sid):
        log.warning("SMS webhook with a malformed MessageSid: refused")
        return Response(status=400)
    inbound = Inbound(
        clinic_number=clinic_number,
        # Any number that parses, valid or not: every sender gets an answer (safety, STOP and START above all).
        patient_number=sender_e164(field("From")) or "",
        text=field("Body"),
        channel=Channel.SMS,
        sid=sid or None,
    )
    if not inbound.patient_number:
        log.warning("SMS webhook from no phone number: answered with the clinic's guidance")
        return twiml(sms_text(assistant().guidance(inbound)))
    try:
        turn = assistant().answer(inbound)
    except Exception:
        log.exception("could not answer an SMS")
        return twiml(TROUBLE)
    return twiml(sms_text(turn))


@bp.post("/sms/status")
def sms_status() -> Response:
    """How a reminder text went (Twilio's status callback): recorded, never moved backwards; odd values are logged."""
    sid = field("MessageSid")
    if not _MESSAGE_SID.fullmatch(sid):
        log.warning("SMS status callback with a malformed MessageSid: refused")
        return Response(status=400)
    code = field("ErrorCode")
    try:
        record_delivery(
            services().database,
            sid,
            field("MessageStatus"),
            int(code) if code.isdigit() and len(code) <= 6 else None,
            assistant().clock(),
        )
    except (SQLAlchemyError, DatabaseUnavailable):
        log.exception("could not record a text's delivery status")  # Twilio retries nothing; the next one may do
    return Response(status=204)


def init_app(app: Flask) -> None:
    """Register the SMS webhook."""
    app.register_blueprint(bp)
