"""webhooks.asgi.WholeRequests: the app sees a request only once its body is whole, within its cap and deadline."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from webhooks.asgi import OTHER_BODY_CAP, TWILIO_BODY_CAP, Message, Receive, Scope, Send, WholeRequests


class Recorder:
    """An ASGI app that keeps the body it was given and answers 200."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        self.bodies.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def scope_for(path: str, length: int | None = None) -> Scope:
    headers = [] if length is None else [(b"content-length", str(length).encode())]
    return {"type": "http", "path": path, "method": "POST", "headers": headers}


def run(app: WholeRequests, scope: Scope, chunks: list[bytes], stall: bool = False) -> list[Message]:
    """Send `chunks` as the client's body (then nothing, if `stall`); what the server answered."""
    sent: list[Message] = []

    async def exchange() -> None:
        pending = list(chunks)

        async def receive() -> dict[str, Any]:
            if pending:
                chunk = pending.pop(0)
                return {"type": "http.request", "body": chunk, "more_body": bool(pending) or stall}
            await asyncio.Event().wait()  # a client that never sends the rest
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            sent.append(message)

        await app(scope, receive, send)

    asyncio.run(exchange())
    return sent


def status_of(sent: list[Message]) -> int:
    return int(sent[0]["status"])


def test_a_body_in_pieces_reaches_the_app_whole() -> None:
    recorder = Recorder()
    sent = run(WholeRequests(recorder), scope_for("/twilio/sms"), [b"Body=Bon", b"jour&From=", b"%2B15145550145"])
    assert status_of(sent) == 200
    assert recorder.bodies == [b"Body=Bonjour&From=%2B15145550145"]


def test_an_announced_oversize_body_is_refused_unread() -> None:
    recorder = Recorder()
    sent = run(WholeRequests(recorder), scope_for("/twilio/sms", TWILIO_BODY_CAP + 1), [])
    assert status_of(sent) == 413
    assert recorder.bodies == []


def test_an_unannounced_oversize_body_is_refused_as_soon_as_it_passes_the_cap() -> None:
    recorder = Recorder()
    chunks = [b"x" * 16_384] * 5  # 80 kB in chunks of 16 kB, no Content-Length
    sent = run(WholeRequests(recorder), scope_for("/twilio/voice"), chunks)
    assert status_of(sent) == 413
    assert recorder.bodies == []


def test_the_clinic_api_takes_larger_bodies_than_twilio_webhooks() -> None:
    recorder = Recorder()
    body = b"[" + b"0," * (TWILIO_BODY_CAP // 2) + b"0]"
    assert TWILIO_BODY_CAP < len(body) < OTHER_BODY_CAP
    assert status_of(run(WholeRequests(recorder), scope_for("/api/v1/clinics"), [body])) == 200
    assert status_of(run(WholeRequests(recorder), scope_for("/twilio/sms"), [body])) == 413


@pytest.mark.parametrize("chunks", [[], [b"Body=Bonj"]], ids=["nothing sent", "part sent"])
def test_a_body_not_sent_in_time_is_answered_408_and_never_reaches_the_app(chunks: list[bytes]) -> None:
    recorder = Recorder()
    sent = run(WholeRequests(recorder, deadline_s=0.05), scope_for("/twilio/sms"), chunks, stall=True)
    assert status_of(sent) == 408
    assert recorder.bodies == []
