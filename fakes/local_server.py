"""The life cycle shared by the local HTTP servers tests run (a publisher, Twilio's stand-in): a free port of
127.0.0.1, a daemon thread, and a stop that releases hung requests first so that it never waits for them."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Self


class ServedInThread:
    """Serves `make_server()` from a daemon thread between `start()` and `stop()`, or inside a `with` block."""

    def __init__(self) -> None:
        #: Set by stop(): handlers that hang or drip give up at once.
        self.released = threading.Event()
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def make_server(self) -> HTTPServer:
        """A server bound to a free port of 127.0.0.1 (not serving yet)."""
        raise NotImplementedError

    def start(self) -> Self:
        """Listen and serve."""
        if self._httpd is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        self.released.clear()
        httpd = self.make_server()
        # A short poll interval: shutdown() waits for the serving loop to notice, up to one interval.
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{httpd.server_port}",
            daemon=True,
        )
        self._httpd = httpd
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hung requests, stop serving and close the listening socket. Safe to call twice."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self.released.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
        self._httpd = self._thread = None

    @property
    def server_port(self) -> int:
        """The port it listens on; only while started."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._httpd.server_port

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        self.stop()


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and names its server without the Python version."""

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: a line per request on stderr would drown the test output."""

    def version_string(self) -> str:
        """The Server header, without the Python version."""
        return self.server_version


class LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server on a free port of 127.0.0.1 whose threads never keep the interpreter alive."""

    daemon_threads = True  # a request still hung when the test ends must not keep the interpreter alive

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's getfqdn(), a reverse DNS lookup that can take seconds in a sandbox."""
        TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.socket.getsockname()[1]
