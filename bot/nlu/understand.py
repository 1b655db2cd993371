"""`understand()`: every reader run on one message, put together."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

from bot.nlu.clock import blank_the_time_moved_from
from bot.nlu.dates import find_when, load_month_names
from bot.nlu.intent_model import shipped_intent_model
from bot.nlu.intents import classify, find_reaction, mentions_health, task_besides_a_control
from bot.nlu.keywords import carrier_keyword
from bot.nlu.language import language_of, requested_language
from bot.nlu.model import Intent, Understanding, When
from bot.nlu.normalise import normalise
from bot.nlu.picks import find_bare_hour, find_pick, find_pick_time
from bot.nlu.practitioners import Whom, read_whom
from bot.nlu.safety import find_urgency

# "celui de vendredi je le garde", "keep friday's": a clause about an appointment kept names no day of the request.
_CLAUSE_END = re.compile(r"[,.;!?]+|\b(?:mais|but|pis|and|et)\b")
_KEEPING = re.compile(r"\b(?:garde|garder|keep|keeping)\b")
_SAME_TIME = re.compile(r"\b(?:(?:a |a la )?meme heure|(?:at )?the same time|same hour)\b")
# Dates, picks and intents are read in the first characters only, so that a pasted essay costs no more than an
# SMS; red flags are searched in the whole message.
ANALYSED_CHARACTERS = 500


def understand(text: str, *, today: date, practitioners: Mapping[str, Sequence[str]] | None = None) -> Understanding:
    """Read one SMS or speech transcript. `today` is the clinic's local date; nothing here reads the clock.

    `practitioners` maps each practitioner id to its display names (in French and English).
    """
    normalised = normalise(text)
    # A phone's reaction ('Aimé « Confirmer jeudi 10 h? »') quotes one of our texts: only the reaction itself is
    # read, or the quote's day, practitioner and verbs would be taken for the patient's own request.
    reaction = find_reaction(normalised)
    readable = normalised if reaction is None else reaction.unquoted
    head = readable[:ANALYSED_CHARACTERS]
    # Red flags are searched in the whole message, a reaction's quote included: none of our texts has one (the tests
    # quote each of them), and a quote of anything else is safer read than skipped.
    urgency = find_urgency(normalised)
    keyword = carrier_keyword(readable)
    switch = requested_language(head)
    when = find_when(_without_kept_clauses(head), today)
    intent = classify(head, urgency=urgency, keyword=keyword, language_switch=switch, when=when, reaction=reaction)
    if intent is Intent.RESCHEDULE and when is not None and when.at is not None:
        when = _the_wish_of_a_move(head, today, when)
    whom = read_whom(head, practitioners) if practitioners else Whom()
    return Understanding(
        text=normalised,
        intent=intent,
        language=language_of(head) if reaction is None else reaction.language,
        urgency=urgency,
        keyword=keyword,
        pick=find_pick(head),
        pick_time=find_pick_time(head),
        when=when,
        practitioner=whom.practitioner,
        language_switch=switch,
        role=whom.role,
        gender=whom.gender,
        same_practitioner=whom.same,
        unknown_practitioner=whom.unknown,
        reaction=reaction is not None,
        health_concern=mentions_health(head),
        same_time=_SAME_TIME.search(head) is not None,
        bare_hour=find_bare_hour(head) if when is None or when.at is None and when.first_day is None else None,
        also_task=task_besides_a_control(head, intent, when) if keyword is None and reaction is None else None,
    )


def _the_wish_of_a_move(head: str, today: date, when: When) -> When | None:
    """When a move is wished for, without the time of the appointment it moves ("mon rdv de 9h, je peux-tu venir à
    11h?" wishes 11:00; "my 9am is too early" wishes no time)."""
    without_its_time = blank_the_time_moved_from(head)
    return when if without_its_time == head else find_when(_without_kept_clauses(without_its_time), today)


def _without_kept_clauses(head: str) -> str:
    """The message without its clauses about an appointment kept, unless that is all it says."""
    clauses = _CLAUSE_END.split(head)
    rest = [clause for clause in clauses if not _KEEPING.search(clause)]
    return " , ".join(rest) if len(rest) < len(clauses) and any(c.strip() for c in rest) else head


def warm_up() -> None:
    """Load dateparser's French and English data and the intent model, so that the first patient does not wait."""
    load_month_names()
    shipped_intent_model()
