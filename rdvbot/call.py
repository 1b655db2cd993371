"""`rdvbot call`: call the bot from a terminal through the real, signed voice webhooks (over HTTP or in this process,
through the transports of `rdvbot.chat`).

What the phone would say is printed; the caller answers with keys (digits), with words standing for speech, or with
a lone "." for silence.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from xml.etree import ElementTree

from flask.testing import FlaskClient

from rdvbot.chat import Answer, SignedWebhooks, Transport
from webhooks.voice import ATTESTED

CALL_PATH = "/twilio/voice"
#: What the caller types to say nothing until the gather gives up.
SILENCE = "."


@dataclass(frozen=True)
class CallStep:
    """What the app answered to one step of a call, read from its TwiML."""

    said: list[str]
    gather: dict[str, str] | None  # the <Gather> attributes while the call waits for an answer
    dialled: str | None  # the number the call is put through to
    hung_up: bool

    @property
    def ended(self) -> bool:
        """The bot has nothing more to say: the call was put through or hung up."""
        return self.gather is None

    @classmethod
    def parse(cls, twiml: bytes) -> CallStep:
        """Read a TwiML answer."""
        root = ElementTree.fromstring(twiml)
        gather = root.find("Gather")
        dial = root.find("Dial")
        return cls(
            said=[say.text or "" for say in root.iter("Say")],
            gather=dict(gather.attrib) if gather is not None else None,
            dialled=(dial.text or "").strip() if dial is not None else None,
            hung_up=root.find("Hangup") is not None,
        )


class SignedCallClient:
    """Posts Twilio-shaped, correctly signed voice webhooks for one call and follows its gathers."""

    def __init__(
        self,
        transport: Transport | FlaskClient,
        token: str,
        base_url: str,
        clinic_number: str,
        caller: str,
        attestation: str | None = ATTESTED,
    ) -> None:
        """`attestation`: the StirVerstat Twilio reports for the caller's number (A: the carrier vouches for it;
        None: a caller whose number nobody vouched for, who is asked for a texted code)."""
        self.webhooks = SignedWebhooks(transport, token, base_url)
        self.clinic_number = clinic_number
        self.caller = caller
        self.attestation = attestation
        self.call_sid = f"CA{uuid.uuid4().hex}"
        self.last: CallStep | None = None

    def dial(self) -> CallStep:
        """Place the call: the greeting."""
        return self._post(CALL_PATH, {"StirVerstat": self.attestation} if self.attestation else {})

    def press(self, digits: str) -> CallStep:
        """Answer the current question with the keypad."""
        return self._answer({"Digits": digits})

    def say(self, words: str) -> CallStep:
        """Answer with speech (what Twilio's recogniser would have heard)."""
        return self._answer({"SpeechResult": words, "Confidence": "0.9"})

    def silence(self) -> CallStep:
        """Say nothing until the gather gives up."""
        return self._answer({})

    def status(self, status: str, duration_s: int) -> int:
        """Twilio's status callback at the end of the call; the HTTP status answered."""
        form = self._form({"CallStatus": status, "CallDuration": str(duration_s)})
        return self._send(CALL_PATH + "/status", form).status

    def _answer(self, fields: dict[str, str]) -> CallStep:
        if self.last is None or self.last.gather is None:
            raise RuntimeError("the call is not waiting for an answer")
        return self._post(self.last.gather["action"], fields)

    def _form(self, fields: dict[str, str]) -> dict[str, str]:
        return {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.caller,
            "To": self.clinic_number,
            "Direction": "inbound",
            **fields,
        }

    def _post(self, path: str, fields: dict[str, str]) -> CallStep:
        self.last = CallStep.parse(self.webhooks.twiml(path, self._form(fields)))
        return self.last

    def _send(self, path: str, form: dict[str, str]) -> Answer:
        return self.webhooks.post(path, form)


def run_call(call: SignedCallClient, answers: Iterable[str], show: Callable[[str], None]) -> None:
    """Dial, show what is said, and answer each gather: digits are keys, a lone "." is silence, other words speech;
    the call hangs up when the answers run out."""
    step = call.dial()
    answers = iter(answers)
    while True:
        for text in step.said:
            show(f"🔊 {text}")
        if step.dialled:
            show(f"📞 transfer to {step.dialled}")
        if step.ended:
            show("(call ended)")
            return
        answer = next(answers, None)
        if answer is None:
            return
        answer = answer.strip()
        step = call.silence() if answer == SILENCE else call.press(answer) if answer.isdigit() else call.say(answer)
