"""`rdvbot serve`: the app under gunicorn's asyncio worker (one process unless state is shared through Redis), each
request read whole before one of the process's threads runs it (see `webhooks.asgi`)."""

from __future__ import annotations

import ipaddress
from typing import Any

from gunicorn.app.base import BaseApplication

from bot.bootstrap import build_reminder_sender, build_replayer
from bot.outbox.worker import DrainLoop
from webhooks import create_app
from webhooks.asgi import WholeRequests, served


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_address(host: str, port: int) -> str:
    """gunicorn's bind string; IPv6 literals need brackets."""
    return f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """Runs the app as `webhooks.asgi` serves it in gunicorn's asgi workers; each worker wires its own services."""

    def __init__(self, options: dict[str, Any], threads: int) -> None:
        self.options = options
        self.threads = threads
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> WholeRequests:
        # `rdvbot serve` has printed the missing-token warning once; each worker repeating it would only be noise.
        app = create_app({"WARN_WITHOUT_TOKEN": False})
        services = app.extensions["rdvbot"]
        if services.redis is None:
            # One process and no `rdvbot worker` to share jobs with: this process drains the outbox itself.
            assistant = app.extensions["rdvbot.assistant"]
            DrainLoop(build_replayer(services, assistant), build_reminder_sender(services, assistant)).start()
        return served(app, self.threads)


def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve until interrupted."""
    GunicornServer(
        {
            "bind": bind_address(host, port),
            "workers": workers,
            "worker_class": "asgi",
            # Not a WebSocket or lifespan app: the worker need not ask.
            "asgi_lifespan": "off",
            "timeout": 30,
            "graceful_timeout": 10,
            "keepalive": 5,
            # gunicorn believes X-Forwarded-Proto from loopback by default; the app believes only the proxies it is
            # told of (RDVBOT_PROXY_HOPS), so gunicorn believes none.
            "forwarded_allow_ips": "",
            "errorlog": "-",
            "loglevel": "info",
            # One socket per user would make two servers on one machine collide; nothing of ours uses it.
            "control_socket_disable": True,
        },
        threads,
    ).run()
