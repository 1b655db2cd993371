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
    mais donc dans sur chez ne pis aussi encore deja faire laisse pantoute
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
    four five seven eight nine good sounds over no
    """.split()  # noqa: SIM905 - a word list reads better as prose than as 100 quoted strings
)
_WORD = re.compile(r"[a-z]+")

_ONLY_A_LANGUAGE = re.compile(
    r"^\W*(?:in |en )?(english|anglais|eng|en|francais|french|fr)\W*(?:please|svp|stp|merci|thanks)?\W*$"
)
_ASKS_FOR_A_LANGUAGE = re.compile(
    r"\b(?:in|en|speak|parle[rz]?|talk|write|ecrire|ecrivez|text)\b[\w' -]{0,15}?\b(english|anglais|francais|french)\b"
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
    """The language the patient asks for ("English", "EN", "en anglais svp", "parlez-vous français?"), if any."""
    match = _ONLY_A_LANGUAGE.match(normalised) or _ASKS_FOR_A_LANGUAGE.search(normalised)
    if match is None:
        return None
    name = next(group for group in match.groups() if group)
    return _LANGUAGE_NAMES[name]
