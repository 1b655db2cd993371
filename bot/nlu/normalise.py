"""One spelling for each word, so that every other rule is written once, without accents or SMS shorthand."""

from __future__ import annotations

import re
import unicodedata

# SMS shorthand and apostrophe-less spellings -> the written form the rules use. Only spellings with one meaning
# are listed: "dont" (a French word) and "ill" (an English one) are left alone.
_SHORTHAND = {
    "rdv": "rendez-vous",
    "r-v": "rendez-vous",
    "rv": "rendez-vous",
    "rendez vous": "rendez-vous",
    "rendezvous": "rendez-vous",
    "rendez-vou": "rendez-vous",
    "rdvs": "rendez-vous",
    "dem1": "demain",
    "dmain": "demain",
    "demin": "demain",
    "ajd": "aujourd'hui",
    "auj": "aujourd'hui",
    "aujourdhui": "aujourd'hui",
    "aujourd hui": "aujourd'hui",
    "apres demain": "apres-demain",
    "apres midi": "apres-midi",
    "apresmidi": "apres-midi",
    "avant midi": "avant-midi",
    # Weeks: "sem" is only ever "semaine" in a text to a clinic, but "pro" alone is also "professionnel", so it is
    # expanded only after "semaine" / "sem". A count of weeks ("2 sem") is made plural by `_WEEKS_COUNTED`.
    "sem": "semaine",
    "sems": "semaines",
    "sem pro": "semaine prochaine",
    "sem prochaine": "semaine prochaine",
    "semaine pro": "semaine prochaine",
    "dapres": "d'apres",
    "dici": "d'ici",
    "wk": "week",
    "wks": "weeks",
    "next wk": "next week",
    "pcq": "parce que",
    "pck": "parce que",
    "jsuis": "je suis",
    "chu": "je suis",
    "chui": "je suis",
    "cmt": "comment",
    "tjrs": "toujours",
    "tjs": "toujours",
    "bcp": "beaucoup",
    "qqn": "quelqu'un",
    "qqun": "quelqu'un",
    "quelquun": "quelqu'un",
    "pk": "pourquoi",
    "pq": "pourquoi",
    "mrc": "merci",
    "bjr": "bonjour",
    "slt": "salut",
    "dsl": "desole",
    "cest": "c'est",
    "jai": "j'ai",
    "jaimerais": "j'aimerais",
    "jveux": "je veux",
    "jannule": "j'annule",
    "nvm": "never mind",
    "jvoudrais": "je voudrais",
    "jpeux": "je peux",
    "jsais": "je sais",
    "jcomprends": "je comprends",
    "jcomprend": "je comprends",
    "daccord": "d'accord",
    "dac": "d'accord",
    "dacc": "d'accord",
    "d'acc": "d'accord",
    "s'il vous plait": "svp",
    "sil vous plait": "svp",
    "s'il te plait": "stp",
    "sil te plait": "stp",
    "oki": "ok",
    "okie": "ok",
    "oke": "ok",
    "o.k.": "ok",
    "o.k": "ok",
    "okay": "ok",
    "okey": "ok",
    "okk": "ok",
    "kk": "ok",
    "k": "ok",
    # English weekdays as texted ("mon", "sat" and "sun" are words too, and French "mon" is "my": left alone)
    "tues": "tuesday",
    "thurs": "thursday",
    "thur": "thursday",
    "thu": "thursday",
    "weds": "wednesday",
    "wed": "wednesday",
    "fri": "friday",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmrow": "tomorrow",
    "2morrow": "tomorrow",
    "tomorow": "tomorrow",
    "tommorow": "tomorrow",
    "tommorrow": "tomorrow",
    "appt": "appointment",
    "appointement": "appointment",
    "apointment": "appointment",
    "appts": "appointments",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "ty": "thanks",
    "u": "you",
    "ur": "your",
    "im": "i'm",
    "cant": "can't",
    "wont": "won't",
    "whats": "what's",
}

_SHORTHAND_WORD = re.compile(
    r"(?<![\w'-])(" + "|".join(re.escape(key) for key in sorted(_SHORTHAND, key=len, reverse=True)) + r")(?![\w'-])"
)
# "2 sem", "dans 2 sem", "deux sems": so many weeks, in the plural the week rules read.
_WEEKS_COUNTED = re.compile(
    r"(?<![\w'-])([2-9]|[1-9]\d|deux|trois|quatre|cinq|six|two|three|four|five) sems?(?![\w'-])"
)
_APOSTROPHES = re.compile(r"[’‘`´ʼ]")
# Links and markup carry nothing the bot acts on, and their words ("/rdv?id=2") would read as requests.
_LINK_OR_TAG = re.compile(r"https?://\S*|www\.\S*|<[^<>]{0,200}>")
_SPACES = re.compile(r"\s+")


def strip_accents(text: str) -> str:
    """`text` without diacritics ("déplacer" -> "deplacer"); œ and æ become oe and ae."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalise(text: str) -> str:
    """Lowercase, accents stripped, links and markup removed, shorthand expanded, whitespace collapsed."""
    text = _LINK_OR_TAG.sub(" ", strip_accents(text).lower())
    text = _SPACES.sub(" ", _APOSTROPHES.sub("'", text)).strip()
    text = _WEEKS_COUNTED.sub(r"\1 semaines", text)
    return _SHORTHAND_WORD.sub(lambda match: _SHORTHAND[match.group(1)], text)
