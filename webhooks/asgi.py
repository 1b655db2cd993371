"""The app as served: each request is read whole on the event loop, within a size cap and a deadline, before one of
the WSGI threads is given it. A client that is slow to send, or sends too much, holds its own connection and nothing
else: no thread waits on a socket, so ten or fifty stalled uploads cannot stop the webhook or /healthz.

`rdvbot serve` runs this under gunicorn's asyncio (`asgi`) worker; a2wsgi turns the ASGI request back into WSGI for
Flask once its body is complete.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from a2wsgi import WSGIMiddleware
from flask import Flask

from webhooks import create_app

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Twilio's webhooks are small form posts (a long SMS with its fields is under 4 kB): 64 kB is ample.
TWILIO_BODY_CAP = 64 * 1024
#: The clinic API takes lists of appointments; a day's import of a large clinic stays well under this.
OTHER_BODY_CAP = 1024 * 1024
#: Threads per process that run views (each turn waits on the database and Redis, rarely on the CPU).
THREADS = 8
#: Seconds a client has to send its whole body once its headers are in.
BODY_DEADLINE_S = 10.0


def body_cap(path: str) -> int:
    """The largest body accepted on `path`."""
    return TWILIO_BODY_CAP if path.startswith("/twilio/") else OTHER_BODY_CAP


class BodyTooLarge(Exception):
    """The client sent, or announced, more than the path accepts."""


async def read_body(receive: Receive, cap: int) -> bytes | None:
    """The request's whole body, or None when the client went away first."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def declared_length(scope: Scope) -> int | None:
    """The Content-Length header's value; None when absent or not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def refuse(send: Send, status: int, reason: str) -> None:
    """A short plain-text answer that closes the exchange."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": reason.encode()})


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands over the body already read, then waits for the client to leave."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive_again() -> Message:
        return pending.pop() if pending else await receive()

    return receive_again


class WholeRequests:
    """ASGI middleware: reads each HTTP request's body in full (size cap, deadline) before `app` sees it."""

    def __init__(self, app: ASGIApp, deadline_s: float = BODY_DEADLINE_S) -> None:
        self.app = app
        self.deadline_s = deadline_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = body_cap(scope["path"])
        declared = declared_length(scope)
        if declared is not None and declared > cap:
            log.warning("refused a %d-byte body on %s (at most %d)", declared, scope["path"], cap)
            await refuse(send, 413, "Request body too large.")
            return
        try:
            body = await asyncio.wait_for(read_body(receive, cap), self.deadline_s)
        except BodyTooLarge:
            log.warning("refused a body over %d bytes on %s", cap, scope["path"])
            await refuse(send, 413, "Request body too large.")
            return
        except TimeoutError:
            log.warning("gave up on a body not sent within %.0f s on %s", self.deadline_s, scope["path"])
            await refuse(send, 408, "Request body not received in time.")
            return
        if body is None:
            return
        await self.app(scope, replay(body, receive), send)


def served(app: Flask, threads: int = THREADS) -> WholeRequests:
    """`app` behind `WholeRequests`, its views run in `threads` threads."""
    return WholeRequests(WSGIMiddleware(app, workers=threads))  # type: ignore[arg-type]


def create_asgi_app(config: Mapping[str, Any] | None = None, threads: int = THREADS) -> WholeRequests:
    """`create_app(config)` as served: `gunicorn -k asgi 'webhooks.asgi:create_asgi_app()'`."""
    return served(create_app(config), threads)
