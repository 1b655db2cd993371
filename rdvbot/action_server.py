"""`rdvbot actions`: rdvbot's actions in rasa-sdk's own action server, each built here with its dependencies.

Every call must carry the shared secret (RDVBOT_ACTIONS_TOKEN), as `Authorization: Bearer …` or as the `token`
query parameter Rasa's endpoint configuration sends; and an action call must prove its patient: the tracker's
`sender_id` is believed only when the channel that authenticated that number signed it (`bot.channels.identity`).
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Request, Sanic
from sanic.exceptions import BadRequest
from sanic.response import HTTPResponse, json

from bot.actions import registry
from bot.actions.base import ActionDependencies
from bot.channels.identity import IDENTITY_METADATA_KEY, proven_identity
from bot.core.clock import Clock, utcnow
from bot.state.masking import redact_logs

log = logging.getLogger(__name__)

#: Open to anyone who can reach the port: a liveness probe says nothing about patients.
_UNGUARDED_PATHS = frozenset({"/health"})


def action_executor(dependencies: ActionDependencies) -> ActionExecutor:
    """rasa-sdk's executor with every rdvbot action registered, built with `dependencies`."""
    executor = ActionExecutor()
    for action in registry(dependencies).values():
        executor.register_action(action)
    return executor


def presented_token(request: Request) -> str:
    """The secret the caller presented, as a bearer token or as Rasa's `token` query parameter."""
    header = request.headers.get("authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ")
    return str(request.args.get("token", ""))


def claimed_and_proven(call: Any, secret: str, clock: Clock) -> tuple[str | None, str | None]:
    """(the number the call says it acts for, the number its identity proof vouches for)."""
    if not isinstance(call, dict) or not isinstance(call.get("tracker"), dict):
        return None, None
    tracker = call["tracker"]
    latest = tracker.get("latest_message")
    metadata = latest.get("metadata") if isinstance(latest, dict) else None
    proof = metadata.get(IDENTITY_METADATA_KEY) if isinstance(metadata, dict) else None
    claimed = tracker.get("sender_id")
    if call.get("sender_id", claimed) != claimed:
        return None, None
    return (str(claimed) if claimed else None), proven_identity(secret, proof, clock())


def guard(app: Sanic[Any, Any], secret: str, clock: Clock = utcnow) -> None:
    """Refuse every call without the shared secret (401), and every action call whose patient is unproven (403)."""

    @app.on_request
    async def authenticate(request: Request) -> HTTPResponse | None:
        if request.path in _UNGUARDED_PATHS:
            return None
        if not hmac.compare_digest(presented_token(request).encode(), secret.encode()):
            log.warning("action server: refused a call to %s without the shared secret", request.path)
            return json({"error": "missing or wrong RDVBOT_ACTIONS_TOKEN"}, status=401)
        if request.path != "/webhook":
            return None
        try:
            call = request.json
        except BadRequest:
            call = None
        claimed, proven = claimed_and_proven(call, secret, clock)
        if claimed is None or claimed != proven:
            log.warning("action server: refused an action call whose patient the channel did not vouch for")
            return json({"error": "the conversation's sender is not proven by its channel"}, status=403)
        return None


def serve_actions(executor: ActionExecutor, secret: str, host: str, port: int) -> None:
    """Serve rasa-sdk's action server app until interrupted, in this process: the actions' connections were built
    here and cannot be handed to worker processes."""
    app = create_app(executor)
    guard(app, secret)
    redact_logs("sanic.root", "sanic.error", "sanic.access")
    app.run(host=host, port=port, single_process=True, access_log=False, motd=False)
