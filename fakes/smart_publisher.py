"""A local SMART Scheduling Links publisher for tests: real HTTP on 127.0.0.1, the example files, faults on demand.

It serves the files of `fakes/fixtures/smart-scheduling-links/` at `base_url`, and `bulk-publish.json` at
`$bulk-publish` with the upstream GitHub prefix of every URL replaced by `base_url`. The fixtures have no W11-W13 slot
files, so those three outputs answer 404, as a publisher's missing files would.

Tests change what it serves (`set_file`, `replace_in`, `append_lines`) and how (`fail`, `hang`, `drip`) at any time,
and read what it was asked (`requests`, `count`, `wait_for`). Every file carries an ETag and `If-None-Match` is
honoured, so conditional requests can be checked. `stop()` releases hung and dripping requests at once.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import unquote, urlsplit

from fakes.local_server import LoopbackServer, QuietHandler, ServedInThread

SMART_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "smart-scheduling-links"
UPSTREAM_PREFIX = "https://raw.githubusercontent.com/smart-on-fhir/smart-scheduling-links/master/examples/"
MANIFEST = "$bulk-publish"
MANIFEST_FILE = "bulk-publish.json"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the publisher received: the file name it asked for and its headers."""

    name: str
    headers: dict[str, str]


@dataclass(frozen=True)
class _Fault:
    kind: Literal["status", "hang", "drip"]
    status: int = 500
    seconds: float = 0.0  # hang: how long before answering; drip: the pause between two bytes


class SmartPublisher(ServedInThread):
    """A SMART Scheduling Links publisher on a free port of 127.0.0.1, serving from a daemon thread."""

    def __init__(self, fixtures_dir: Path = SMART_FIXTURES) -> None:
        super().__init__()
        if not (fixtures_dir / MANIFEST_FILE).is_file():
            raise FileNotFoundError(f"{fixtures_dir}: no SMART manifest there")
        self._files = {
            (MANIFEST if path.name == MANIFEST_FILE else path.name): path.read_bytes()
            for path in fixtures_dir.iterdir()
            if path.is_file()
        }
        self._lock = threading.Condition()  # files, faults and recorded requests; wait_for() waits on it
        self._faults: dict[str, _Fault] = {}
        self._requests: list[RecordedRequest] = []

    def make_server(self) -> _Server:
        """The HTTP server on a free port of 127.0.0.1."""
        return _Server(self)

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/`, under which every file is served; only while started."""
        return f"http://127.0.0.1:{self.server_port}/"

    @property
    def manifest_url(self) -> str:
        """The URL of the `$bulk-publish` manifest."""
        return self.base_url + MANIFEST

    def url(self, name: str) -> str:
        """The URL of the file `name` (as it appears in the served manifest)."""
        return self.base_url + name

    # --- content ---

    def text(self, name: str) -> str:
        """The file `name` as it is now (the manifest with its upstream URLs, before rewriting)."""
        with self._lock:
            return self._files[name].decode("utf-8")

    def set_file(self, name: str, text: str) -> None:
        """Serve `text` as the file `name` (new or replaced)."""
        with self._lock:
            self._files[name] = text.encode("utf-8")

    def replace_in(self, name: str, old: str, new: str) -> None:
        """Replace the first `old` of the file `name` by `new`; `old` must be there."""
        text = self.text(name)
        if old not in text:
            raise ValueError(f"{old!r} is not in {name}")
        self.set_file(name, text.replace(old, new, 1))

    def append_lines(self, name: str, *lines: str) -> None:
        """Add lines at the end of an NDJSON file (the fixtures end without a newline)."""
        self.set_file(name, "\n".join([self.text(name), *lines]))

    # --- faults ---

    def fail(self, name: str, status: int = 500) -> None:
        """Answer requests for `name` with `status` and an empty body until `clear_faults()`."""
        with self._lock:
            self._faults[name] = _Fault("status", status=status)

    def hang(self, name: str, seconds: float) -> None:
        """Answer requests for `name` only after `seconds` (or never, if stopped first)."""
        with self._lock:
            self._faults[name] = _Fault("hang", seconds=seconds)

    def drip(self, name: str, interval_s: float) -> None:
        """Send the file `name` one byte every `interval_s`: each read succeeds, the whole body takes forever."""
        with self._lock:
            self._faults[name] = _Fault("drip", seconds=interval_s)

    def clear_faults(self) -> None:
        """Serve every file normally again (requests already hanging keep hanging)."""
        with self._lock:
            self._faults.clear()

    # --- what was asked ---

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def count(self, name: str | None = None) -> int:
        """How many requests asked for `name` (None: for anything)."""
        with self._lock:
            return sum(1 for request in self._requests if name is None or request.name == name)

    def wait_for(self, name: str, count: int, timeout_s: float = 5.0) -> None:
        """Return once `name` has been asked for `count` times; raise TimeoutError after `timeout_s`."""
        with self._lock:
            if not self._lock.wait_for(lambda: self.count(name) >= count, timeout_s):
                raise TimeoutError(f"{name} asked for {self.count(name)} times, not {count}")

    # --- serving ---

    def _answer(self, handler: _Handler) -> None:
        name = unquote(urlsplit(handler.path).path).lstrip("/")
        with self._lock:
            self._requests.append(RecordedRequest(name, dict(handler.headers.items())))
            self._lock.notify_all()
            fault = self._faults.get(name)
            body = self._files.get(name)
        headers = {"Content-Type": "application/fhir+ndjson"}
        if body is not None and name == MANIFEST:
            body = body.replace(UPSTREAM_PREFIX.encode(), self.base_url.encode())
            headers["Content-Type"] = "application/json"
        if fault is not None and fault.kind == "hang" and self.released.wait(fault.seconds):
            return  # stopped while hanging: leave without an answer
        if fault is not None and fault.kind == "status":
            handler.answer(fault.status, b"", {})
            return
        if body is None:
            handler.answer(404, b"not found\n", {"Content-Type": "text/plain"})
            return
        headers["ETag"] = _etag(body)
        if handler.headers.get("If-None-Match") == headers["ETag"]:
            handler.answer(304, b"", headers)
        elif fault is not None and fault.kind == "drip":
            handler.answer(200, body, headers, drip=(fault.seconds, self.released))
        else:
            handler.answer(200, body, headers)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


class _Handler(QuietHandler):
    server_version = "SmartPublisher/1"

    def do_GET(self) -> None:
        """Serve one request: the publisher decides what to answer."""
        cast(_Server, self.server).publisher._answer(self)

    def answer(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str],
        drip: tuple[float, threading.Event] | None = None,
    ) -> None:
        """Send a whole response (or, with `drip`, one byte per interval until done or released)."""
        self.send_response(status)
        for header, value in headers.items():
            self.send_header(header, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if drip is None:
            self.wfile.write(body)
            return
        interval_s, released = drip
        for index in range(len(body)):
            if released.wait(interval_s):
                return
            self.wfile.write(body[index : index + 1])
            self.wfile.flush()


class _Server(LoopbackServer):
    block_on_close = False  # stop() releases hung handlers; it need not wait for them to notice

    def __init__(self, publisher: SmartPublisher) -> None:
        self.publisher = publisher
        super().__init__(_Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timed out) and closed its socket is expected here; anything else is printed."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)
