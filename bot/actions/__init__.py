"""rasa-sdk actions of rdvbot. They run in-process under the engine and, unchanged, in rasa-sdk's action
server (`rdvbot actions`, or `python -m rasa_sdk --actions bot.actions`)."""

from __future__ import annotations

from bot.actions.appointments import (
    ActionBookSlot,
    ActionCancelAppointment,
    ActionListAppointments,
    ActionRescheduleAppointment,
    ActionSearchSlots,
)
from bot.actions.base import BotAction
from bot.actions.clinic import ActionChangeLanguage, ActionClinicStatus, ActionExplainUnavailable, ActionHandOff
from bot.actions.nearby import ActionFindNearby
from bot.actions.outbox import ActionKeepRequest

ALL_ACTIONS: tuple[type[BotAction], ...] = (
    ActionSearchSlots,
    ActionBookSlot,
    ActionListAppointments,
    ActionCancelAppointment,
    ActionRescheduleAppointment,
    ActionClinicStatus,
    ActionChangeLanguage,
    ActionExplainUnavailable,
    ActionKeepRequest,
    ActionFindNearby,
    ActionHandOff,
)


def registry() -> dict[str, BotAction]:
    """One instance of every action, by the name flows use."""
    actions = [action() for action in ALL_ACTIONS]
    return {action.name(): action for action in actions}
