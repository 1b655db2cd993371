"""`rdvbot actions`: rdvbot's actions in rasa-sdk's own action server, each built here with its dependencies."""

from __future__ import annotations

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor

from bot.actions import registry
from bot.actions.base import ActionDependencies


def action_executor(dependencies: ActionDependencies) -> ActionExecutor:
    """rasa-sdk's executor with every rdvbot action registered, built with `dependencies`."""
    executor = ActionExecutor()
    for action in registry(dependencies).values():
        executor.register_action(action)
    return executor


def serve_actions(executor: ActionExecutor, host: str, port: int) -> None:
    """Serve rasa-sdk's action server app until interrupted, in this process: the actions' connections were built
    here and cannot be handed to worker processes."""
    app = create_app(executor)
    app.run(host=host, port=port, single_process=True, access_log=False, motd=False)
