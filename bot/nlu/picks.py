"""Menu picks ("2", "le 2", "#2", "option 2", "deux", "la deuxième", "second one", "le dernier"), picks by time
("le 9h15"), and a number that can only be an hour once a list is open ("ok 8 with dr tremblay")."""

from __future__ import annotations

import re
from datetime import time

from bot.nlu.clock import find_clock_time
from bot.nlu.model import LAST_PICK

_NUMBER_WORDS = {
    "un": 1,
    "une": 1,
    "one": 1,
    "deux": 2,
    "two": 2,
    "trois": 3,
    "three": 3,
    "quatre": 4,
    "four": 4,
    "cinq": 5,
    "five": 5,
    "six": 6,
    "sept": 7,
    "seven": 7,
    "huit": 8,
    "eight": 8,
    "neuf": 9,
    "nine": 9,
}
_ORDINAL_WORDS = {
    "premier": 1,
    "premiere": 1,
    "first": 1,
    "deuxieme": 2,
    "second": 2,
    "seconde": 2,
    "troisieme": 3,
    "third": 3,
    "quatrieme": 4,
    "fourth": 4,
    "cinquieme": 5,
    "fifth": 5,
    "sixieme": 6,
    "sixth": 6,
    "septieme": 7,
    "seventh": 7,
    "huitieme": 8,
    "eighth": 8,
    "neuvieme": 9,
    "ninth": 9,
}
# Options are offered earliest first, so the earliest is the first and the latest the last ("le dernier").
# "le plus tôt" / "le plus tard" count only with their article (made one word by `_SUPERLATIVE` below): "plus tôt?"
# alone asks for something earlier, and "le plus tôt possible" for the earliest slot of all, a `when`.
_FIRST_OR_LAST_WORDS = {
    "earliest": 1,
    "plustot": 1,
    "dernier": LAST_PICK,
    "derniere": LAST_PICK,
    "last": LAST_PICK,
    "latest": LAST_PICK,
    "plustard": LAST_PICK,
}
_SUPERLATIVE = re.compile(r"\b(?:le|la) plus (tot|tard)\b")
# Words around a pick that do not change it: "je prends le 2 svp", "I'll take the second one", "celui de 9h15".
_FILLERS = frozenset(
    """
    le la the a de celui celle ca that option choix choice plage slot heure time je i i'll prends
    prendrais take choose choisis pick veux voudrais want would like go with pour for me moi svp stp please merci
    thanks ok oui yes alors so bon ben well of at vers around
    """.split()  # noqa: SIM905 - a word list reads better as prose than as 60 quoted strings
)
_TIME_FILLERS = _FILLERS | {"one"}  # "the 9:15 one"; for picks, "one" is 1
_PICK_WORDS = _NUMBER_WORDS | _ORDINAL_WORDS | _FIRST_OR_LAST_WORDS
_DIGIT = r"[1-9](?:e|er|re|ere|eme|ieme|st|nd|rd|th)?"
_PICK = "|".join([_DIGIT, *_PICK_WORDS])
# "option 2", "choix #3", "numero deux", "#2" anywhere in the message.
_MARKED_PICK = re.compile(rf"(?:\b(?:option|choix|choice|numero|number|num)\s*|#)#?\s*({_PICK})(?![\w:/])")
_ONLY_A_PICK = re.compile(rf"#?({_PICK})(?: one)?")
_WORD = re.compile(r"[#\w']+")


def _meaningful_words(text: str, fillers: frozenset[str]) -> list[str]:
    return [word for word in _WORD.findall(text) if word not in fillers]


def _value(pick: str) -> int:
    return _PICK_WORDS[pick] if pick in _PICK_WORDS else int(pick[0])


def find_pick(normalised: str) -> int | None:
    """The option 1 to 9 picked, or LAST_PICK: marked ("option 2", "#2") anywhere, or the whole message ("2.",
    "la deuxième", "oui le premier", "the last one", "le plus tôt")."""
    marked = _MARKED_PICK.search(normalised)
    if marked:
        return _value(marked[1])
    words = _meaningful_words(_SUPERLATIVE.sub(r"le plus\1", normalised), _FILLERS)
    only = _ONLY_A_PICK.fullmatch(" ".join(words))
    return _value(only[1]) if only else None


def find_pick_time(normalised: str) -> time | None:
    """The clock time of a message that is only a time and filler words ("le 9h15 svp", "the 9:15 one")."""
    at, rest = find_clock_time(normalised)
    return at if at is not None and not _meaningful_words(rest, _TIME_FILLERS) else None


# A lone number, not part of a date, a time, a list mark or a quantity ("8", not "le 8 déc", "8h", "#8", "8 ans").
_LONE_NUMBER = re.compile(r"(?<![\w:/#.,-])(1[0-2]|[1-9])(?![\w:/.,-]|\s*(?:h\b|am\b|pm\b|heures?\b|ans?\b|years?\b))")
_LAST_MORNING_HOUR = 6  # "at 3" at a clinic is 15:00; 7 to 12 are as said


def find_bare_hour(normalised: str) -> time | None:
    """The hour a message's only lone number would be ("ok 8 with dr tremblay" is 8:00, "plutot 3" 15:00).

    Never a pick or a day by itself: the caller uses it only where a list of times is open and the number picks
    none of it.
    """
    numbers = _LONE_NUMBER.findall(normalised)
    if len(numbers) != 1:
        return None
    hour = int(numbers[0])
    return time(hour + 12 if hour <= _LAST_MORNING_HOUR else hour)
