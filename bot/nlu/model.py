"""What the NLU hands to the engine: plain, immutable data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from typing import Literal

from bot.core.vocabulary import Gender, PartOfDay, Role

Language = Literal["fr", "en"]
#: The `pick` of "le dernier" / "the last one".
LAST_PICK = -1


class Intent(StrEnum):
    """What the patient wants from this message."""

    BOOK = "book"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    MY_APPOINTMENTS = "my_appointments"
    YES = "yes"
    NO = "no"
    HELP = "help"
    HUMAN = "human"
    CHANGE_LANGUAGE = "change_language"
    GREETING = "greeting"
    THANKS = "thanks"
    RESTART = "restart"
    STOP = "stop"
    START = "start"
    EMERGENCY = "emergency"
    HEALTH_QUESTION = "health_question"
    CLINIC_INFO = "clinic_info"  # the clinic's address, hours or whether it is open
    OUT_OF_SCOPE = "out_of_scope"
    NONE = "none"  # nothing recognisable, but the message may still carry a date or a pick ("jeudi", "2")


class Urgency(StrEnum):
    """A red flag in the message, named after the number the patient must be given."""

    EMERGENCY = "911"  # chest pain, trouble breathing, stroke signs, heavy bleeding, unconscious...
    CRISIS = "988"  # suicidal thoughts or self-harm: 911 and 9-8-8


class Keyword(StrEnum):
    """A carrier keyword: only when the whole message is the keyword."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP_FR = "help_fr"
    HELP_EN = "help_en"
    INFO = "info"


@dataclass(frozen=True)
class When:
    """What the patient said about when. All dates are local calendar dates (the clinic's zone is the caller's concern).

    A single day has `first_day == last_day`; "cette semaine" or "lundi ou mardi" give a range. A numeric date that
    reads two ways ("10/12") gives both future readings in `ambiguous_dates` and no range: the bot confirms
    instead of guessing.
    """

    first_day: date | None = None
    last_day: date | None = None
    part_of_day: PartOfDay | None = None
    at: time | None = None
    ambiguous_dates: tuple[date, ...] = ()
    earliest: bool = False
    #: A window of start times: not before `after` ("pas avant 10h", "après 16h"), before `before` ("avant 10h",
    #: "until noon"); "entre 13h et 15h" gives both.
    after: time | None = None
    before: time | None = None
    #: The last slot of the day: "le dernier rdv de la journée", "the latest you have".
    latest: bool = False


@dataclass(frozen=True)
class Understanding:
    """Everything the NLU read in one message.

    `pick` and `when` can both be set ("le 2" is the second option or the 2nd of the month): the caller knows
    whether a numbered menu is open; `pick` is 1 to 9, or LAST_PICK for "le dernier" / "the last one".
    `pick_time` is set when the message is only a clock time ("le 9h15", "the 9:15 one"), for the caller to match
    against the slots it offered.

    About whom: `practitioner` is a practitioner of the clinic the message names; otherwise `role` (doctor or
    nurse) and `gender` (f or m) describe the one wished for ("la médecin", "a male doctor", "l'infirmière"),
    `same_practitioner` asks for the one of an earlier appointment, and `unknown_practitioner` is a name the
    message gives that is none of the clinic's ("Dr Bouchard"). `reaction` is a phone's reaction that quotes one of
    our messages ('Aimé « … »'): its quote is not read.
    """

    text: str
    intent: Intent
    language: Language | None
    urgency: Urgency | None
    keyword: Keyword | None
    pick: int | None
    pick_time: time | None
    when: When | None
    practitioner: str | None
    language_switch: Language | None
    role: Role | None = None
    gender: Gender | None = None
    same_practitioner: bool = False
    unknown_practitioner: str | None = None
    reaction: bool = False
    #: The message speaks of a symptom or a medicine, whatever it asks ("j'ai mal à la gorge, un rdv demain?").
    health_concern: bool = False
    #: "même heure", "same time": the time of the appointment being moved.
    same_time: bool = False
    #: The hour a lone number would be, in a message that says no time ("ok 8 with dr tremblay" is 8:00): the caller
    #: reads it so only while a list of times is open and the number picks none of it.
    bare_hour: time | None = None
    #: The appointment task a STOP or START in words also asks for ("cancel my appointment and stop texting me").
    also_task: Intent | None = None
