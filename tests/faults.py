"""A TCP fault-injection proxy for resilience tests: it makes a real service hang, slow down, reset or refuse.

One background thread runs a selector loop that owns every socket; the test thread only posts mode changes to it,
so no socket is ever touched by two threads at once.
"""

from __future__ import annotations

import selectors
import socket
import struct
import threading
import time
from collections import deque
from contextlib import suppress
from typing import Literal, get_args

Mode = Literal["pass", "hang", "slow", "reset", "refuse"]
_CHUNK = 65536
_HIGH_WATER = 1 << 20  # stop reading a side while its peer has this much unsent, so a stalled reader caps memory
_READ, _WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE


def _abort(sock: socket.socket) -> None:
    """Close with a TCP RST rather than a FIN: SO_LINGER on with a zero timeout discards unsent data."""
    with suppress(OSError):  # already dead: closing is all that is left to do
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class _Side:
    """One socket of a proxied connection, with the bytes still to be written to it."""

    def __init__(self, sock: socket.socket, is_client: bool) -> None:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # Nagle would add its own delays to ours
        self.sock, self.is_client, self.peer = sock, is_client, self
        self.out = bytearray()  # due bytes the kernel has not taken yet
        self.delayed: deque[tuple[float, bytes]] = deque()  # (due time, chunk) in arrival order
        self.eof = False  # this socket's far end sent FIN: read no more from it
        self.shut = False  # we forwarded the peer's FIN to this socket
        self.events = 0  # what the selector watches on this socket now

    def backlog(self) -> int:
        return len(self.out) + sum(len(chunk) for _, chunk in self.delayed)


class FaultProxy:
    """Listens on 127.0.0.1:`port` and forwards to the upstream service, misbehaving as `set_mode` says.

    Modes: "pass" forwards; "hang" reads both sides and forwards nothing; "slow" holds each chunk `delay_s`;
    "reset" aborts open and new connections with RST; "refuse" closes the listener (open connections still pass).
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.port = 0
        self.connections_seen = 0
        self._upstream = (upstream_host, upstream_port)
        self._mode: Mode = "pass"
        self._delay = 0.0
        self._sides: set[_Side] = set()
        self._listener: socket.socket | None = None
        self._request: tuple[Mode, float] | None = None
        self._applied = threading.Event()
        self._control = threading.Lock()  # one mode change in flight at a time
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        #: Set once the proxy has stopped reading a side because its peer would not take more (the high water mark).
        self.held_back = threading.Event()

    def start(self) -> FaultProxy:
        """Bind a free port on 127.0.0.1 (the same one again after a stop) and serve in a daemon thread."""
        if self._thread is not None:
            raise RuntimeError("FaultProxy already started")
        self._stopping, self._failure = False, None
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()  # lets the test thread interrupt select()
        self._selector.register(self._wake_r, _READ)
        try:
            self._listen()
        except OSError:
            for resource in (self._selector, self._wake_r, self._wake_w):
                resource.close()
            raise
        self._thread = threading.Thread(target=self._run, name=f"FaultProxy:{self.port}", daemon=True)
        self._thread.start()
        return self

    def set_mode(self, mode: Mode, delay_s: float = 0.0) -> None:
        """Switch mode for new and open connections; returns once the proxy loop has applied it."""
        if mode not in get_args(Mode) or delay_s < 0:
            raise ValueError(f"bad mode {mode!r} or delay {delay_s!r}")
        with self._control:
            if self._thread is None:
                raise RuntimeError("FaultProxy is not running")
            self._applied.clear()
            self._request = (mode, delay_s)
            with suppress(OSError):  # a dead loop closed its end; _failure says why
                self._wake_w.send(b"\0")
            # Waiting makes the switch deterministic: "refuse" really refuses the very next connect.
            applied = self._applied.wait(5)
            if self._failure is not None or not applied:
                raise RuntimeError(f"FaultProxy could not switch to {mode!r}") from self._failure

    def stop(self) -> None:
        """Close the listener and every open connection, and join the thread. Safe to call twice."""
        if self._thread is None:
            return
        self._stopping = True
        with suppress(OSError):  # the loop already ended and closed its end
            self._wake_w.send(b"\0")
        self._thread.join(5)
        self._wake_w.close()
        self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _listen(self) -> None:
        # create_server sets SO_REUSEADDR, so "refuse" -> "pass" rebinds the port despite connections in TIME_WAIT.
        self._listener = socket.create_server(("127.0.0.1", self.port), backlog=64)
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._selector.register(self._listener, _READ)

    def _run(self) -> None:
        try:
            while not self._stopping:
                dues = [side.delayed[0][0] for side in self._sides if side.delayed]
                timeout = max(0.0, min(dues) - time.monotonic()) if dues else None  # None: sleep until an event
                for key, events in self._selector.select(timeout):
                    if key.fileobj is self._wake_r:
                        self._wake_r.recv(4096)
                        self._apply_request()
                    elif key.fileobj is self._listener:
                        self._accept()
                    elif key.data in self._sides and events & _READ:  # may have closed earlier in this batch
                        self._receive(key.data)
                for side in list(self._sides):  # writable sockets are served here too
                    if side in self._sides:
                        self._pump(side)
                for side in self._sides:  # after all sends: a peer that just drained lets its side read again
                    self._watch(side)
        except BaseException as error:  # reported by set_mode, instead of printed by the thread
            self._failure = error
        finally:
            for side in list(self._sides):
                self._close(side, abort=False)
            if self._listener is not None:
                self._listener.close()
            self._selector.close()
            self._wake_r.close()
            self._applied.set()  # never leave a set_mode waiting on a dead loop

    def _apply_request(self) -> None:
        request, self._request = self._request, None
        if request is None:
            return
        mode, self._delay = request
        if mode == "refuse" and self._listener is not None:
            self._selector.unregister(self._listener)
            self._listener.close()  # the kernel now answers SYNs on this port with RST: connection refused
            self._listener = None
        elif mode != "refuse" and self._listener is None:
            self._listen()
        for side in list(self._sides):
            if mode == "reset":
                self._close(side, abort=True)
            elif mode == "hang":  # a hung server sends nothing more, not even what was in flight
                side.out.clear()
                side.delayed.clear()
        self._mode = mode
        self._applied.set()

    def _accept(self) -> None:
        assert self._listener is not None
        try:
            client, _ = self._listener.accept()
        except OSError:
            return  # the connecting client gave up already
        self.connections_seen += 1
        try:
            if self._mode == "reset":
                raise ConnectionResetError
            upstream = socket.create_connection(self._upstream, timeout=2)
        except OSError:
            _abort(client)  # reset mode, or the real service is down: either way the client sees a reset
            return
        a, b = _Side(client, is_client=True), _Side(upstream, is_client=False)
        a.peer, b.peer = b, a
        self._sides |= {a, b}

    def _receive(self, side: _Side) -> None:
        try:
            data = side.sock.recv(_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            self._close(side, abort=True)  # a reset on one side resets the other too
            return
        if not data:
            side.eof = True
            if self._mode == "hang" and side.is_client:
                self._close(side, abort=False)  # nobody is left to see the hung upstream
        elif self._mode != "hang":  # hang reads to keep the sender unblocked, and drops the bytes
            peer, due = side.peer, time.monotonic() + (self._delay if self._mode == "slow" else 0.0)
            # Never before the chunk ahead of it: a shorter delay must not reorder the stream.
            peer.delayed.append((max(due, peer.delayed[-1][0]) if peer.delayed else due, data))

    def _pump(self, side: _Side) -> None:
        """Move due chunks to the socket, and forward a FIN once all is sent."""
        while side.delayed and side.delayed[0][0] <= time.monotonic():
            side.out += side.delayed.popleft()[1]
        try:
            del side.out[: side.sock.send(side.out) if side.out else 0]
        except BlockingIOError:
            pass
        except OSError:
            self._close(side, abort=True)
            return
        if side.peer.eof and not side.shut and not side.backlog() and self._mode != "hang":
            side.shut = True
            with suppress(OSError):  # its far end is gone; reading it will tell
                side.sock.shutdown(socket.SHUT_WR)
        if side.shut and side.peer.shut:
            self._close(side, abort=False)  # both directions finished

    def _watch(self, side: _Side) -> None:
        holding_back = not side.eof and side.peer.backlog() >= _HIGH_WATER
        if holding_back:
            self.held_back.set()
        want = (_READ if not side.eof and not holding_back else 0) | (_WRITE if side.out else 0)
        if want != side.events:
            if side.events == 0:
                self._selector.register(side.sock, want, side)
            elif want == 0:
                self._selector.unregister(side.sock)
            else:
                self._selector.modify(side.sock, want, side)
            side.events = want

    def _close(self, side: _Side, abort: bool) -> None:
        """Close both sockets of `side`'s connection, once."""
        if side not in self._sides:
            return
        for each in (side, side.peer):
            self._sides.discard(each)
            if each.events:
                self._selector.unregister(each.sock)
            if abort:
                _abort(each.sock)
            else:
                each.sock.close()
