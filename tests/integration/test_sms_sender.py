"""TwilioSender over real HTTP against TwilioRecorder: what reaches "Twilio", and every way a send fails."""

from __future__ import annotations

import socket
import time

import pytest

from bot.channels.sms_sender import SendFailed, SmsSender, TwilioSender
from fakes.twilio_recorder import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, TwilioRecorder

CLINIC_NUMBER = "+15145550100"
PATIENT_NUMBER = "+15145550123"
FRENCH_BODY = "Votre rendez-vous est réservé: mardi 8 déc. à 9 h 20"


def sender_for(recorder: TwilioRecorder, *, auth_token: str = FAKE_AUTH_TOKEN, timeout_s: float = 5.0) -> SmsSender:
    return TwilioSender(FAKE_ACCOUNT_SID, auth_token, api_base_url=recorder.base_url, timeout_s=timeout_s)


def assert_private(error: SendFailed, body: str = FRENCH_BODY) -> None:
    """The failure is one line and names neither the text nor the full recipient number."""
    text = str(error)
    assert "\n" not in text
    assert body not in text
    assert PATIENT_NUMBER not in text
    assert "+1514555" in text  # the masked number is still there, to tell failures apart


def test_a_french_text_reaches_twilio_intact_and_its_sid_is_returned(recorder: TwilioRecorder) -> None:
    sid = sender_for(recorder).send(CLINIC_NUMBER, PATIENT_NUMBER, FRENCH_BODY)

    [message] = recorder.wait_for(1, timeout_s=2)
    assert (message.to, message.from_, message.body) == (PATIENT_NUMBER, CLINIC_NUMBER, FRENCH_BODY)
    assert message.account_sid == FAKE_ACCOUNT_SID
    assert sid == message.sid
    assert sid.startswith("SM") and len(sid) == 34


def test_each_send_is_its_own_message(recorder: TwilioRecorder) -> None:
    sender = sender_for(recorder)
    sids = [sender.send(CLINIC_NUMBER, PATIENT_NUMBER, f"Rappel {n}") for n in range(3)]

    messages = recorder.wait_for(3, timeout_s=2)
    assert [message.body for message in messages] == ["Rappel 0", "Rappel 1", "Rappel 2"]
    assert [message.sid for message in messages] == sids
    assert len(set(sids)) == 3


def test_a_wrong_auth_token_is_refused(recorder: TwilioRecorder) -> None:
    sender = sender_for(recorder, auth_token="f" * 32)

    with pytest.raises(SendFailed) as failure:
        sender.send(CLINIC_NUMBER, PATIENT_NUMBER, FRENCH_BODY)

    assert (failure.value.status, failure.value.code) == (401, 20003)
    assert_private(failure.value)
    assert recorder.messages == []
    assert recorder.attempts == 1  # the request did arrive: it is the credentials that were refused


@pytest.mark.parametrize(("status", "code"), [(500, 20500), (429, 20429)])
def test_an_error_from_twilio_becomes_send_failed(recorder: TwilioRecorder, status: int, code: int) -> None:
    recorder.fail_next(1, status=status)

    with pytest.raises(SendFailed) as failure:
        sender_for(recorder).send(CLINIC_NUMBER, PATIENT_NUMBER, FRENCH_BODY)

    assert (failure.value.status, failure.value.code) == (status, code)
    assert_private(failure.value)
    assert recorder.messages == []


def test_the_next_send_after_a_fault_goes_through(recorder: TwilioRecorder) -> None:
    sender = sender_for(recorder)
    recorder.fail_next(1, status=503)

    with pytest.raises(SendFailed):
        sender.send(CLINIC_NUMBER, PATIENT_NUMBER, FRENCH_BODY)
    sid = sender.send(CLINIC_NUMBER, PATIENT_NUMBER, FRENCH_BODY)

    assert [message.sid for message in recorder.wait_for(1, timeout_s=2)] == [sid]


def test_twilio_echoing_the_number_in_its_error_does_not_leak_it(recorder: TwilioRecorder) -> None:
    # Twilio's real error 21211 quotes the number; SendFailed and the traceback shown for it must not.
    recorder.fail_next(
        1, status=400, code=21211, message=f"The 'To' number {PATIENT_NUMBER} is not a valid phone number."
    )

    with pytest.raises(SendFailed) as failure:
        sender_for(recorder).send(CLINIC_NUMBER, PATIENT_NUMBER, FRENCH_BODY)

    assert (failure.value.status, failure.value.code) == (400, 21211)
    assert_private(failure.value)
    assert failure.value.__cause__ is None and failure.value.__suppress_context__


def test_a_twilio_slower_than_the_timeout_gives_send_failed_quickly(recorder: TwilioRecorder) -> None:
    recorder.hang_next(1, seconds=1.5)
    sender = sender_for(recorder, timeout_s=0.5)

    started = time.monotonic()
    with pytest.raises(SendFailed) as failure:
        sender.send(CLINIC_NUMBER, PATIENT_NUMBER, FRENCH_BODY)
    elapsed = time.monotonic() - started

    assert elapsed < 2.0
    assert failure.value.status is None
    assert "Timeout" in str(failure.value)
    assert_private(failure.value)
    # Why a timeout is "unknown", not "not sent": the slow Twilio still queues the text after the sender gave up.
    assert [message.body for message in recorder.wait_for(1, timeout_s=3)] == [FRENCH_BODY]


def test_nothing_listening_gives_send_failed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = TwilioSender(FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, api_base_url=f"http://127.0.0.1:{port}", timeout_s=0.5)

    started = time.monotonic()
    with pytest.raises(SendFailed) as failure:
        sender.send(CLINIC_NUMBER, PATIENT_NUMBER, FRENCH_BODY)

    assert time.monotonic() - started < 2.0
    assert "ConnectionError" in str(failure.value)
    assert_private(failure.value)


@pytest.mark.parametrize(("account_sid", "auth_token"), [("", FAKE_AUTH_TOKEN), (FAKE_ACCOUNT_SID, "")])
def test_missing_credentials_fail_at_construction(
    monkeypatch: pytest.MonkeyPatch, account_sid: str, auth_token: str
) -> None:
    # The SDK would quietly take these from the environment instead.
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", FAKE_ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", FAKE_AUTH_TOKEN)

    with pytest.raises(ValueError):
        TwilioSender(account_sid, auth_token)


def test_a_twilio_region_in_the_environment_does_not_redirect_a_custom_base_url(
    recorder: TwilioRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK reads TWILIO_REGION / TWILIO_EDGE and rewrites the host from them, which would mangle 127.0.0.1.
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")

    sid = sender_for(recorder).send(CLINIC_NUMBER, PATIENT_NUMBER, FRENCH_BODY)

    assert [message.sid for message in recorder.wait_for(1, timeout_s=2)] == [sid]
