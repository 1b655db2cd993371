"""Other clinics' earliest open slots (SMART Scheduling Links), offered when this clinic cannot book now."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.base import BotAction
from bot.booking.smart import earliest_nearby

#: Two: with their place, time and booking link, more would not fit in two texts beside the clinic's phone.
NEARBY_OFFERED = 2
#: Publishers write what they like: a longer name is cut, a longer link gives way to the booking phone.
PLACE_MAX, LINK_MAX = 32, 56


def _place(name: str) -> str:
    return name if len(name) <= PLACE_MAX else name[: PLACE_MAX - 3].rstrip() + "..."


def _contact(link: str | None, phone: str | None) -> str | None:
    return link if link and len(link) <= LINK_MAX else phone


class ActionFindNearby(BotAction):
    """Look up nearby clinics' earliest open slots with how to book them (a link, or a phone); none configured or
    none published gives none."""

    action_name = "action_find_nearby"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        sources = self.dependencies.nearby.get(self.clinic_of(tracker).id, ())
        offers = earliest_nearby(sources, self.now_of(tracker), NEARBY_OFFERED)
        options = [
            {"place": _place(offer.location_name), "start": offer.start.isoformat(), "contact": contact}
            for offer in offers
            if (contact := _contact(offer.booking_link, offer.booking_phone))
        ]
        return [SlotSet("nearby", options)]
