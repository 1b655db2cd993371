"""A Redis server and a PostgreSQL cluster that one test owns: it may kill, stop and restart them at will.

They run from the machine's own binaries on free loopback ports, in a temporary folder. PostgreSQL refuses to
run as root, so under root (CI) its commands run as the `postgres` system user.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.conftest import service_missing


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _binary(name: str, *folders: str) -> str:
    found = shutil.which(name) or next(
        (str(path) for folder in folders for path in sorted(Path("/").glob(folder.lstrip("/") + "/" + name))), None
    )
    if found is None:
        service_missing(name, "binary not found")
    assert found is not None
    return found


class OwnedRedis:
    """`redis-server` without persistence on its own port; `kill` is a SIGKILL, `start` brings it back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._binary = _binary("redis-server")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it (again) on the same port and wait until it answers."""
        command = [self._binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)  # redis-server is another process: nothing to wait on but its answer, polled
        client.close()

    def kill(self) -> None:
        """Die at once, as an out-of-memory kill or a crashed host would."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)
            self._process = None


class OwnedPostgres:
    """A throw-away PostgreSQL cluster (initdb in a temporary folder) on its own port, trust auth."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._folder = Path(tempfile.mkdtemp(prefix="rdvbot-pg-"))
        self._data = self._folder / "data"
        bin_dir = Path(_binary("pg_ctl", "/usr/lib/postgresql/*/bin")).resolve().parent
        self._pg_ctl, self._initdb = str(bin_dir / "pg_ctl"), str(bin_dir / "initdb")
        # PostgreSQL will not run as root: the folder then belongs to the postgres user, who runs it.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self._folder, user="postgres")
        self._run(self._initdb, "-D", str(self._data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as, *command], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        """Start (again) on the same port; returns when it accepts connections."""
        options = f"-p {self.port} -k {self._folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self._folder / "server.log")
        self._run(self._pg_ctl, "-D", str(self._data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        """Stop at once, dropping every connection (as a crash or a failover would)."""
        self._run(self._pg_ctl, "-D", str(self._data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        """Stop if running and delete the cluster."""
        subprocess.run([*self._as, self._pg_ctl, "-D", str(self._data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(self._folder, ignore_errors=True)
