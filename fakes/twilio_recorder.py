"""A local stand-in for Twilio's Messages API: real HTTP on 127.0.0.1, recording what Twilio would have received.

Point `TwilioSender(..., api_base_url=recorder.base_url)` at it and the SDK's whole HTTP stack runs (form encoding,
Basic auth, timeouts, error parsing); nothing leaves the machine.

What it serves, under `base_url` (`http://127.0.0.1:PORT`), always as `application/json`:

- `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded `To`, `From` (or `MessagingServiceSid`),
  `Body`, optionally `StatusCallback`: 201 and a body shaped like Twilio's Message resource, status "queued".
  The request must carry HTTP Basic auth equal to the recorder's (account SID, auth token), else 401 (error 20003);
  an account SID in the path other than the recorder's answers 404, and a missing field 400 with Twilio's code.
- Any other method on that path answers 405, any other path 404, both with Twilio's error shape
  (`{"code", "message", "more_info", "status"}`).

Faults apply to message requests in the order they arrive: `hang_next` delays them (then they go on normally, as a
slow Twilio would still queue the text), `fail_next` answers them with an error and records nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from bot.sms.segments import segment_count
from fakes.local_server import LoopbackServer, QuietHandler, ServedInThread

#: Shaped like real credentials (AC + 32 hex digits, a 32-hex-digit token), obviously fake.
FAKE_ACCOUNT_SID = "AC" + "0" * 31 + "1"
FAKE_AUTH_TOKEN = "0" * 31 + "f"

API_VERSION = "2010-04-01"
_MESSAGES_PATH = re.compile(rf"/{API_VERSION}/Accounts/(?P<account_sid>[^/]+)/Messages\.json")

#: Twilio's error codes for the HTTP statuses it mirrors (https://www.twilio.com/docs/errors/<code>).
_STATUS_CODES = {401: 20003, 404: 20404, 405: 20004, 429: 20429, 500: 20500, 503: 20503}
_STATUS_MESSAGES = {
    401: "Authenticate",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class SentMessage:
    """One message Twilio accepted: what the sender asked for and the SID it was given."""

    to: str
    from_: str
    body: str
    sid: str
    account_sid: str
    status_callback: str | None = None


@dataclass(frozen=True)
class _Failure:
    status: int
    code: int
    message: str


class TwilioRecorder(ServedInThread):
    """Twilio's Messages endpoint on a free port of 127.0.0.1, served from a daemon thread; see the module docstring.

    Use it as a context manager (`with TwilioRecorder() as recorder:`); faults can be queued from the test thread at
    any time. A bug in the recorder itself (an exception in a handler) fails the test when the `with` block ends.
    """

    def __init__(self, account_sid: str = FAKE_ACCOUNT_SID, auth_token: str = FAKE_AUTH_TOKEN) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        # One condition guards the records and the fault queues; wait_for() sleeps on it until a message arrives.
        self._changed = threading.Condition()
        self._messages: list[SentMessage] = []
        self._attempts = 0
        self._failures: deque[_Failure] = deque()
        self._hangs: deque[float] = deque()
        self._errors: list[str] = []

    def make_server(self) -> _HTTPServer:
        """The HTTP server on a free port of 127.0.0.1."""
        return _HTTPServer(self)

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        self.stop()
        if exc_type is None and self.errors:
            raise AssertionError("TwilioRecorder failed while handling a request:\n" + "\n".join(self.errors))

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, what `TwilioSender(api_base_url=...)` takes in place of https://api.twilio.com."""
        return f"http://127.0.0.1:{self.server_port}"

    # --- what was received ---

    @property
    def messages(self) -> list[SentMessage]:
        """The messages accepted so far, oldest first (a copy)."""
        with self._changed:
            return list(self._messages)

    @property
    def attempts(self) -> int:
        """How many message requests arrived, including those answered with a fault or refused."""
        with self._changed:
            return self._attempts

    @property
    def errors(self) -> list[str]:
        """Tracebacks of exceptions raised while handling requests (a bug in the recorder; clients hanging up are
        not errors)."""
        with self._changed:
            return list(self._errors)

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[SentMessage]:
        """Wait until at least `count` messages were accepted and return them all; AssertionError after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while len(self._messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected at least {count} message(s) within {timeout_s} s, got {len(self._messages)}"
                    )
                self._changed.wait(remaining)
            return list(self._messages)

    # --- faults ---

    def fail_next(self, n: int, status: int = 500, *, code: int | None = None, message: str | None = None) -> None:
        """Answer the next `n` message requests with `status` and Twilio's error JSON, recording nothing.

        `code` defaults to Twilio's code for the status (20500 for 500, 20429 for 429...), `message` to its text;
        give both to imitate a specific error (21211 "The 'To' number ... is not a valid phone number", status 400).
        """
        if n < 0 or not 400 <= status <= 599:
            raise ValueError(f"fail_next needs n >= 0 and a 4xx or 5xx status, got n={n}, status={status}")
        failure = _Failure(
            status=status,
            code=code if code is not None else _STATUS_CODES.get(status, 20000 + status),
            message=message if message is not None else _STATUS_MESSAGES.get(status, f"HTTP {status}"),
        )
        with self._changed:
            self._failures.extend([failure] * n)

    def hang_next(self, n: int, seconds: float) -> None:
        """Hold the next `n` message requests `seconds` before handling them (a fault queued by fail_next then
        applies after the delay). Closing the recorder releases them unanswered."""
        if n < 0 or seconds < 0:
            raise ValueError(f"hang_next needs n >= 0 and seconds >= 0, got n={n}, seconds={seconds}")
        with self._changed:
            self._hangs.extend([seconds] * n)

    # --- request handling (called from the server's threads) ---

    def _handle(self, handler: _Handler) -> None:
        path = urlsplit(handler.path).path
        match = _MESSAGES_PATH.fullmatch(path)
        if match is None:
            handler.send_json(*_error(404, f"The requested resource {path} was not found"))
            return
        if handler.command != "POST":
            handler.send_json(*_error(405, f"Method {handler.command} not allowed on {path}"))
            return
        raw_body = handler.read_body()
        with self._changed:
            self._attempts += 1
            delay = self._hangs.popleft() if self._hangs else 0.0
        if delay and self.released.wait(delay):
            handler.close_connection = True  # closing: hang up without an answer, as a dying server would
            return
        with self._changed:
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            handler.send_json(*_error(failure.status, failure.message, failure.code))
            return
        if not self._authorized(handler.headers.get("Authorization", "")):
            handler.send_json(*_error(401, "Authenticate"), {"WWW-Authenticate": 'Basic realm="Twilio API"'})
            return
        if match["account_sid"] != self.account_sid:
            handler.send_json(*_error(404, f"The requested resource {path} was not found"))
            return
        try:
            form = parse_qs(raw_body.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            handler.send_json(*_error(400, "The request body is not UTF-8 form data", 21000))
            return
        fields = {name: values[0] for name, values in form.items()}
        refusal = _missing_field(fields)
        if refusal is not None:
            handler.send_json(*refusal)
            return
        message = SentMessage(
            to=fields["To"],
            from_=fields.get("From", ""),
            body=fields["Body"],
            sid="SM" + uuid.uuid4().hex,
            account_sid=self.account_sid,
            status_callback=fields.get("StatusCallback"),
        )
        with self._changed:
            self._messages.append(message)
            self._changed.notify_all()
        handler.send_json(201, _message_resource(message, fields.get("MessagingServiceSid")))

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        username, _, password = decoded.partition(":")
        return (username, password) == (self.account_sid, self.auth_token)

    def _note_error(self, text: str) -> None:
        with self._changed:
            self._errors.append(text)


def _error(status: int, message: str, code: int | None = None) -> tuple[int, dict[str, Any]]:
    """Twilio's error body (the classic shape the SDK turns into TwilioRestException)."""
    code = code if code is not None else _STATUS_CODES.get(status, 20000 + status)
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _missing_field(fields: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
    """The 400 Twilio answers when a required parameter is missing or empty, else None."""
    if not fields.get("To"):
        return _error(400, "A 'To' phone number is required.", 21604)
    if not fields.get("From") and not fields.get("MessagingServiceSid"):
        return _error(400, "A 'From' phone number is required.", 21603)
    if not fields.get("Body"):
        return _error(400, "Message body is required.", 21602)
    return None


def _message_resource(message: SentMessage, messaging_service_sid: str | None) -> dict[str, Any]:
    """The Message resource Twilio answers a create with (numbers as strings, dates in RFC 2822, as Twilio does)."""
    now = format_datetime(datetime.now(UTC).replace(microsecond=0))
    uri = f"/{API_VERSION}/Accounts/{message.account_sid}/Messages/{message.sid}"
    return {
        "account_sid": message.account_sid,
        "api_version": API_VERSION,
        "body": message.body,
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": message.from_ or None,
        "messaging_service_sid": messaging_service_sid,
        "num_media": "0",
        "num_segments": str(segment_count(message.body)),
        "price": None,
        "price_unit": "USD",
        "sid": message.sid,
        "status": "queued",
        "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
        "to": message.to,
        "uri": f"{uri}.json",
    }


class _Handler(QuietHandler):
    """One connection, one request (HTTP/1.0: no keep-alive, so closing never leaves idle connections behind)."""

    server_version = "TwilioRecorder/1"

    def do_POST(self) -> None:
        """Hand any request (the other methods are aliases) to the recorder, which routes it."""
        cast(_HTTPServer, self.server).recorder._handle(self)

    do_GET = do_PUT = do_DELETE = do_PATCH = do_POST

    def read_body(self) -> bytes:
        """The request body (the SDK always sends a Content-Length)."""
        length = self.headers.get("Content-Length", "0").strip()
        return self.rfile.read(int(length)) if length.isdigit() and int(length) else b""

    def send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        """Write a whole JSON response."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Twilio-Request-Id", "RQ" + uuid.uuid4().hex)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _HTTPServer(LoopbackServer):
    """The loopback server that knows its recorder."""

    def __init__(self, recorder: TwilioRecorder) -> None:
        self.recorder = recorder
        super().__init__(_Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Keep stderr quiet: a client hanging up (an OSError) is normal here; anything else is a recorder bug."""
        if not isinstance(sys.exc_info()[1], OSError):
            self.recorder._note_error(traceback.format_exc())
