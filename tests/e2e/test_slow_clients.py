"""A served webhook that slow or oversized clients cannot stall: each holds at most its own connection."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from rdvbot.chat import HttpTransport, SignedSmsClient
from tests.e2e.test_cli import Served, serving

TOKEN = "f" * 32
CLINIC, PATIENT = "+15145550100", "+15145550145"
#: How long a stalled body may take before the server gives up on it (webhooks.asgi.BODY_DEADLINE_S), with room.
GIVE_UP_S = 15


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`rdvbot serve` with signatures checked, as it faces the internet."""
    with serving(tmp_path, TWILIO_AUTH_TOKEN=TOKEN) as running:
        yield running


def stalled_connections(stack: ExitStack, base: str, count: int) -> list[socket.socket]:
    """`count` connections that never finish: half stop inside their headers, half inside a promised body."""
    host, port = base.removeprefix("http://").split(":")
    stalled = []
    for number in range(count):
        connection = stack.enter_context(socket.create_connection((host, int(port)), timeout=GIVE_UP_S))
        head = b"POST /twilio/sms HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
        if number % 2:
            head += b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\nBody=Bonj"
        connection.sendall(head)
        stalled.append(connection)
    return stalled


def test_fifty_stalled_connections_leave_the_webhook_answering(served: Served) -> None:
    with ExitStack() as stack:
        stalled = stalled_connections(stack, served.base, 50)
        # Two seconds is the answer's timeout, not a measurement: a server that waits on the stalled
        # connections never answers at all.
        transport = HttpTransport(served.base, timeout_s=2.0)
        transport.check()
        replies = SignedSmsClient(transport, TOKEN, served.base, CLINIC, PATIENT).send("bonjour")
        assert replies and "Clinique Démo Plateau" in replies[0]
        # The stalled body is answered once its deadline has passed, and its connection closed.
        answer = stalled[1].recv(4096)
        assert answer.startswith(b"HTTP/1.1 408")


def test_a_huge_body_is_refused_before_it_is_read(served: Served) -> None:
    host, port = served.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=GIVE_UP_S) as connection:
        connection.sendall(
            b"POST /twilio/sms HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 50000000\r\n\r\nBody="
        )
        started = time.monotonic()
        answer = connection.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
    assert time.monotonic() - started < GIVE_UP_S - 5, "answered at once, not after the body deadline"
