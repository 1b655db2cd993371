"""The phone form of a bot turn: what to say (options with their key), what to listen for, and what the caller's
keypad means, in fr-CA or en-CA. The webhook turns this into TwiML; nothing here knows TwiML."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clinics.config import ClinicConfig
from bot.engine.replies import BotTurn, Expect

#: The languages Twilio speaks and listens in, by the bot's language.
LANGUAGE_CODES = {"fr": "fr-CA", "en": "en-CA"}
#: Keys that mean the same at any point of a call: 0 for a person, 9 for the other language.
HUMAN_KEY, OTHER_LANGUAGE_KEY = "0", "9"
_HUMAN_WORDS = {"fr": "parler à quelqu'un", "en": "talk to someone"}
_OTHER_LANGUAGE_WORDS = {"fr": "English", "en": "français"}
_YES_NO_KEYS = {"fr": {"1": "oui", "2": "non"}, "en": {"1": "yes", "2": "no"}}
#: The greeting's menu, when no question is pending: the words each key stands for.
_MENU_KEYS = {
    "fr": {"1": "rendez-vous", "2": "quand", "3": "annuler", "4": "déplacer"},
    "en": {"1": "appointment", "2": "when", "3": "cancel", "4": "move"},
}
_PRESS = {"fr": "{option}, faites le {key}.", "en": "{option}, press {key}."}
_CHOOSE = {"fr": "Dites ou faites le numéro de votre choix.", "en": "Say or press the number of your choice."}
_HINTS = {
    Expect.PICK: {
        "fr": ["un", "deux", "trois", "le premier", "le deuxième"],
        "en": ["one", "two", "three", "the first"],
    },
    Expect.YES_NO: {"fr": ["oui", "non", "d'accord"], "en": ["yes", "no", "okay"]},
    Expect.WHEN: {
        "fr": ["demain", "matin", "après-midi", "soir", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "midi"],
        "en": ["tomorrow", "morning", "afternoon", "evening", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    },
    Expect.CODE: {
        "fr": ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"],
        "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
    },
    Expect.NOTHING: {
        "fr": ["rendez-vous", "annuler", "déplacer", "quand", "English"],
        "en": ["appointment", "cancel", "move", "when", "français"],
    },
}


@dataclass(frozen=True)
class Prompt:
    """One turn on the phone: the words to say, in which language and voice, and the hints to listen with."""

    text: str
    language_code: str
    voice: str
    hints: str


def caller_words(digits: str, speech: str, expects: Expect, language: str) -> str:
    """What the caller said, or what their key means, as words the understanding reads (empty: silence)."""
    if speech.strip():
        return speech.strip()
    if expects is Expect.CODE:
        return digits.strip().rstrip("#")
    key = digits.strip()[:1]
    if key == HUMAN_KEY:
        return _HUMAN_WORDS[language]
    if key == OTHER_LANGUAGE_KEY:
        return _OTHER_LANGUAGE_WORDS[language]
    if expects is Expect.YES_NO and key in _YES_NO_KEYS[language]:
        return _YES_NO_KEYS[language][key]
    if expects is Expect.NOTHING and key in _MENU_KEYS[language]:
        return _MENU_KEYS[language][key]
    return key


def prompt(turn: BotTurn, clinic: ClinicConfig) -> Prompt:
    """What to say for this turn: each reply, its options each with its key ("…, faites le 1."), then how to pick."""
    language = turn.language if turn.language in LANGUAGE_CODES else "fr"
    parts: list[str] = []
    for reply in turn.replies:
        parts.append(reply.text)
        parts += [_PRESS[language].format(option=option, key=n) for n, option in enumerate(reply.options, start=1)]
        if reply.options:
            parts.append(_CHOOSE[language])
    # What the current question expects, and the clinic's practitioners, whom callers name ("avec Dre Tremblay").
    hints = _HINTS[turn.expects][language] + [p.name.in_language(language) for p in clinic.practitioners]
    return Prompt(" ".join(parts), LANGUAGE_CODES[language], clinic.voices.get(language, ""), ", ".join(hints))
