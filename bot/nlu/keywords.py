"""Carrier keywords (STOP, ARRÊT, START, AIDE, HELP, INFO): only when they are the whole message."""

from __future__ import annotations

import re

from bot.nlu.model import Keyword

# "cancel" is missing on purpose: the bot reads it as cancelling an appointment (see the README).
_KEYWORDS = {
    "stop": Keyword.OPT_OUT,
    "stopall": Keyword.OPT_OUT,
    "unsubscribe": Keyword.OPT_OUT,
    "end": Keyword.OPT_OUT,
    "quit": Keyword.OPT_OUT,
    "arret": Keyword.OPT_OUT,
    "arrete": Keyword.OPT_OUT,
    "desabonner": Keyword.OPT_OUT,
    "start": Keyword.OPT_IN,
    "unstop": Keyword.OPT_IN,
    "debut": Keyword.OPT_IN,
    "aide": Keyword.HELP_FR,
    "help": Keyword.HELP_EN,
    "info": Keyword.INFO,
}
_NOT_LETTERS_OR_DIGITS = re.compile(r"[^a-z0-9]")


def carrier_keyword(normalised: str) -> Keyword | None:
    """The keyword that the whole (normalised) message is, ignoring case, accents, spaces and punctuation."""
    return _KEYWORDS.get(_NOT_LETTERS_OR_DIGITS.sub("", normalised))
