"""Which language a message is in, and whether the patient asks for the other one."""

from __future__ import annotations

import re

from bot.nlu.model import Language
from bot.nlu.normalise import normalise

# Words (accents stripped, split at apostrophes and hyphens) found in one language only. Words both languages
# use ("ok", "stop", "info", "pm", "menu") and French words that are also English ones ("me", "on", "a") are left
# out, and so is "en": alone, "EN" asks for English.
_FRENCH_WORDS = frozenset(
    """
    je j moi mon ma mes tu ton ta vous votre vos nous le la les un une des du au aux ce cet cette c est et ou qu
    que qui quoi quand quel quelle comment pourquoi avec pour pas plus pu tres bien oui ouais ouin non merci
    bonjour bonsoir salut allo svp stp rendez demain aujourd hui apres midi matin soir soiree semaine
    prochain prochaine lundi mardi mercredi jeudi vendredi samedi dimanche janvier fevrier mars avril mai juin
    juillet aout septembre octobre novembre decembre medecin docteur infirmiere annuler deplacer reporter heure
    heures veux voudrais aimerais besoin peux suis ai avoir parler quelqu personne aide francais anglais
    accord parfait choix premier premiere deuxieme arret debut plutot ca celui celle mal tot possible deux trois
    quatre cinq huit neuf numero nan arrete desabonner recommencer recommence il elle ils elles sa son ses leur
    mais donc dans sur chez ne pis aussi encore deja faire laisse pantoute changer textos recevoir nouveau liste
    derniere dernier envois enlevez remettez ecrire voulais erreur
    """.split()  # noqa: SIM905 - a word list reads better as prose than as 100 quoted strings
)
_ENGLISH_WORDS = frozenset(
    """
    i my mine you your we our the is are was be to of for with at in and or not don can could would should
    will need want like have has do does did get please thanks thank hello hi hey yes yeah yep yup nope nah
    appointment appointments tomorrow today tonight morning afternoon evening week next this that what when
    where how who why monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december doctor nurse cancel reschedule book booking
    available availability time english french help sure one first it just there here unsubscribe two three
    four five seven eight nine good sounds over no any anything something someone anyone whoever see make from
    after before until again instead actually sorry fine works perfect absolutely let last latest earliest move
    speak talk texts texting off list
    """.split()  # noqa: SIM905 - a word list reads better as prose than as 100 quoted strings
)
_WORD = re.compile(r"[a-z]+")

_ONLY_A_LANGUAGE = re.compile(
    r"^\W*(?:in |en )?(english|anglais|eng|en|francais|french|fr)\W*(?:please|svp|stp|merci|thanks)?\W*$"
)
# "no French please", "pas en anglais", "I don't speak French", "je parle pas bien l'anglais": the other language.
# The refusal must touch the language's name: in "non, en anglais svp" the comma ends the "non".
_REFUSES_A_LANGUAGE = re.compile(
    r"\b(?:no|not|pas|non|(?:don't|do not|can't|cannot)(?: really)? (?:speak|read|understand))"
    r"(?: (?:tres bien|tres|bien|vraiment|beaucoup|much|really|well))?(?: (?:in|en|le|the|du|de|un|a))? ?(?:l')?"
    r"(english|anglais|francais|french)\b"
)
_OTHER_LANGUAGE: dict[Language, Language] = {"en": "fr", "fr": "en"}
_ASKS_FOR_A_LANGUAGE = re.compile(
    r"\b(?:in|en|speak|parle[rz]?|talk|write|ecrire|ecrivez|text|switch|prefer|prefere|change)\b[\w' -]{0,15}?"
    r"\b(english|anglais|francais|french)\b"
    r"|\b(english|anglais|francais|french) (?:please|svp|stp)\b"
)
_LANGUAGE_NAMES: dict[str, Language] = {
    "english": "en",
    "anglais": "en",
    "eng": "en",
    "en": "en",
    "francais": "fr",
    "french": "fr",
    "fr": "fr",
}


def detect_language(text: str) -> Language | None:
    """The language of `text`: the one whose own words outnumber the other's, else None ("2", "ok", "14h30")."""
    return language_of(normalise(text))


def language_of(normalised: str) -> Language | None:
    """`detect_language` for a message already normalised."""
    words = _WORD.findall(normalised)
    french = sum(word in _FRENCH_WORDS for word in words)
    english = sum(word in _ENGLISH_WORDS for word in words)
    if french > english:
        return "fr"
    if english > french:
        return "en"
    return None


def requested_language(normalised: str) -> Language | None:
    """The language the patient asks for ("English", "EN", "en anglais svp", "parlez-vous français?", "no French
    please"), if any."""
    refused = _REFUSES_A_LANGUAGE.search(normalised)
    if refused is not None:
        return _OTHER_LANGUAGE[_LANGUAGE_NAMES[refused[1]]]
    match = _ONLY_A_LANGUAGE.match(normalised) or _ASKS_FOR_A_LANGUAGE.search(normalised)
    if match is None:
        return None
    name = next(group for group in match.groups() if group)
    return _LANGUAGE_NAMES[name]
