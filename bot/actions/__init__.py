"""rasa-sdk actions of rdvbot. They run in-process under the engine and, unchanged, in rasa-sdk's own action
server (`rdvbot actions`); either way they are built with their dependencies (`registry`)."""

from __future__ import annotations

from bot.actions import appointments, caller, clinic, outbox, reminders
from bot.actions.appointments import (
    ActionBookSlot,
    ActionCancelAppointment,
    ActionListAppointments,
    ActionRescheduleAppointment,
    ActionSearchSlots,
)
from bot.actions.base import ActionDependencies, BotAction
from bot.actions.caller import ActionCheckCaller, ActionCheckCallerCode
from bot.actions.clinic import ActionChangeLanguage, ActionClinicStatus, ActionExplainUnavailable, ActionHandOff
from bot.actions.nearby import ActionFindNearby
from bot.actions.outbox import ActionKeepRequest
from bot.actions.reminders import ActionAnswerReminder

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
    ActionCheckCaller,
    ActionCheckCallerCode,
    ActionAnswerReminder,
)

#: The names flows use in `action:` steps.
ACTION_NAMES = tuple(action.action_name for action in ALL_ACTIONS)
#: The flow names the actions' code refers to.
NAMES_USED = (appointments.NAMES_USED, caller.NAMES_USED, clinic.NAMES_USED, outbox.NAMES_USED, reminders.NAMES_USED)


def registry(dependencies: ActionDependencies) -> dict[str, BotAction]:
    """One instance of every action, built with `dependencies`, by the name flows use."""
    actions = [action(dependencies) for action in ALL_ACTIONS]
    return {action.name(): action for action in actions}
