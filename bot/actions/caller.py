"""Proof that a caller holds the number they call from, before their appointments are read or changed by phone.

Caller ID is easy to fake; a text is not (the carrier delivers it to the number). So a call counts as the number's
when Twilio reports the carrier's A-level STIR/SHAKEN attestation, or when the caller keys in a one-time code just
texted to that number. A text conversation needs neither.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.base import BotAction, channel_of, patient_of
from bot.core.vocabulary import Channel
from bot.engine.conversation import CALLER_VERIFIED_SLOT
from bot.engine.flows import CodeNames
from bot.sms.numbers import can_receive_texts, country_of

NAMES_USED = CodeNames(__name__, responses=("utter_caller_code_wrong",))

CHECK_SLOT, CODE_SLOT, PROOF_SLOT = "caller_check", "caller_code", "caller_code_proof"
CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=5)
#: Wrong codes a caller may key before being sent to the clinic.
CODE_TRIES = 3
#: The text that carries the code: out of band, so not a reply of the conversation.
_CODE_TEXT = {
    "fr": "{clinic}: votre code est {code}. Ne le donnez à personne.",
    "en": "{clinic}: your code is {code}. Do not share it with anyone.",
}


def _digest(code: str, salt: str) -> str:
    return hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()


class ActionCheckCaller(BotAction):
    """Sets `caller_check`: verified (a text, an attested call, or a code keyed earlier in the call), code_sent (a
    code was just texted to the number), or unreachable (the number cannot get a text: the clinic is the way)."""

    action_name = "action_check_caller"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if channel_of(tracker) is not Channel.VOICE or tracker.get_slot(CALLER_VERIFIED_SLOT):
            return [SlotSet(CHECK_SLOT, "verified")]
        clinic, number = self.clinic_of(tracker), patient_of(tracker)
        send = self.dependencies.send_text
        if send is None or not can_receive_texts(number) or country_of(number) not in clinic.allowed_countries:
            return [SlotSet(CHECK_SLOT, "unreachable")]
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        language = str(tracker.get_slot("language") or "fr")
        text = _CODE_TEXT[language].format(clinic=clinic.name.in_language(language), code=code)
        if not send(clinic.sms_number, number, text):
            return [SlotSet(CHECK_SLOT, "unreachable")]
        salt = secrets.token_hex(8)
        expires = (self.now_of(tracker) + CODE_LIFETIME).isoformat()
        proof = {"digest": _digest(code, salt), "salt": salt, "expires": expires, "tries": 0}
        return [SlotSet(CHECK_SLOT, "code_sent"), SlotSet(PROOF_SLOT, proof), SlotSet(CODE_SLOT, None)]


class ActionCheckCallerCode(BotAction):
    """Compares the keyed code with the one texted: verified; code_sent again (wrong, tries left: keyed anew); or
    failed (expired, or too many wrong codes)."""

    action_name = "action_check_caller_code"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        proof = tracker.get_slot(PROOF_SLOT) or {}
        keyed = str(tracker.get_slot(CODE_SLOT) or "")
        if not proof or self.now_of(tracker) > datetime.fromisoformat(proof["expires"]):
            return [SlotSet(CHECK_SLOT, "failed"), SlotSet(PROOF_SLOT, None)]
        if hmac.compare_digest(_digest(keyed, proof["salt"]), proof["digest"]):
            return [SlotSet(CHECK_SLOT, "verified"), SlotSet(CALLER_VERIFIED_SLOT, True), SlotSet(PROOF_SLOT, None)]
        tries = int(proof["tries"]) + 1
        if tries >= CODE_TRIES:
            return [SlotSet(CHECK_SLOT, "failed"), SlotSet(PROOF_SLOT, None)]
        dispatcher.utter_message(response="utter_caller_code_wrong")
        return [
            SlotSet(CHECK_SLOT, "code_sent"),
            SlotSet(PROOF_SLOT, proof | {"tries": tries}),
            SlotSet(CODE_SLOT, None),
        ]
