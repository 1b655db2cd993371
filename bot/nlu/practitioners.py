"""Whom a message asks for: which of the clinic's practitioners it names ("avec Tremblay", "Dre Isabelle Tremblay",
"dr gagnon"), or the kind wished for ("la médecin", "a male doctor", "l'infirmière"), the one of an earlier
appointment ("le même médecin"), or a name the clinic does not have ("Dr Bouchard")."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.core.vocabulary import Gender, Role
from bot.nlu.normalise import normalise

_TITLES = frozenset({"dr", "dre", "docteur", "docteure", "doctor", "doc", "mme", "madame", "m", "monsieur", "mr", "ms"})
_NAME_PART = re.compile(r"[a-z]+")
_SHORTEST_NAME_PART = 2  # initials ("J.") name no one


@lru_cache(maxsize=1024)  # the clinics' few names, asked about on every message
def _name_parts(display_name: str) -> frozenset[str]:
    """The words of a name without its title or role: "Julie Roy, infirmière praticienne" -> {"julie", "roy"}."""
    name = normalise(display_name).split(",")[0]
    return frozenset(
        part for part in _NAME_PART.findall(name) if part not in _TITLES and len(part) >= _SHORTEST_NAME_PART
    )


def find_practitioner(normalised: str, practitioners: Mapping[str, Sequence[str]]) -> str | None:
    """The id of the one practitioner whose name the message holds the most words of, or None (none, or a tie).

    A last name alone is enough; titles and accents do not matter.
    """
    words = set(_NAME_PART.findall(normalised))
    scores = {
        practitioner_id: max((len(_name_parts(name) & words) for name in names), default=0)
        for practitioner_id, names in practitioners.items()
    }
    best = max(scores.values(), default=0)
    named = [practitioner_id for practitioner_id, score in scores.items() if score == best]
    return named[0] if best > 0 and len(named) == 1 else None


# --- Whom a message asks for -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Whom:
    """Whom one message asks for; every field may be empty.

    `practitioner` is the id of the clinic's practitioner the message names. When it is set, `role`, `gender` and
    `unknown` are None: a name says more than a kind, and a name the clinic does not have beside one it has is
    only history ("pas le Dr Bouchard, Gagnon"). `same` may be set with it ("mon médecin de famille, Dr Gagnon").

    Otherwise `role` and `gender` describe the practitioner wished for ("la médecin", "a male doctor",
    "l'infirmière"), `same` asks for the one of an earlier appointment ("le même médecin que la dernière fois"),
    and `unknown` is a practitioner's name the clinic does not have, as written in the normalised message
    ("bouchard" for "avec le Dr Bouchard"); `role` and `gender` may come with it ("Dre Lavoie": doctor, f).
    """

    practitioner: str | None = None
    role: Role | None = None
    gender: Gender | None = None
    same: bool = False
    unknown: str | None = None


# Words that name a doctor or a nurse, as normalise() leaves them (no accents, lower case), with the slips patients
# make ("medcin", "docter", "infirmiaire", "linfirmiere" without its apostrophe). "np" is "no problem" in texts:
# it is a nurse practitioner only after a word that introduces a person ("the np", "with np").
_DOCTOR = (
    r"(?:medecins?|medcins?|docteure?s?|docter|doctoresses?|doctors?|docs?|dre?s?|physicians?|md|m\.d\.?"
    r"|omnipraticien(?:ne)?s?|omnis?|generalistes?|gp)"
)
_NURSE = (
    r"(?:[ld]?infirmi(?:ere|aire|er)s?|enfirmieres?|super[- ]infirmieres?|ipsl?|nurses?"
    r"|(?:(?<=\bthe )|(?<=\ban )|(?<=\ba )|(?<=\bwith )|(?<=\bmy )|(?<=\bsee )|(?<=\byour )|(?<=\bsame )"
    r"|(?<=\bune )|(?<=\bun )|(?<=\bavec )|(?<=\bl'))np)"
)
_ROLE = re.compile(rf"\b(?:(?P<nurse>{_NURSE})|(?P<doctor>{_DOCTOR}))(?![\w-])")

# A wish about the practitioner's gender. The masculine "le docteur" / "un médecin" is how French names any
# doctor, so only an explicit man is "m"; the feminine article or title is explicit ("la médecin", "une
# docteure", "la dre"). "une femme" / "a woman" alone counts unless it is the patient ("je suis une femme",
# "pour une femme enceinte", "I'm a woman"); "ma femme" is a wife and never matches.
_FR_DOCTOR_NOUN = r"(?:medecin|medcin|docteure?|doc|dre?|doctoresse|omnipraticienne?|omni|generaliste)"
_EN_PRACTITIONER_NOUN = r"(?:doctor|doc|physician|dr|gp|md|nurse|np|practitioner|provider)s?"
_GENDER = re.compile(
    r"\b(?:(?P<f>"
    rf"(?:la|une|ma|ta|cette)\s+{_FR_DOCTOR_NOUN}"
    r"|docteures?|doctoresses?|dres?|omnipraticiennes?"
    rf"|femmes?\s+(?:{_FR_DOCTOR_NOUN}|infirmiere)s?"
    rf"|(?:{_FR_DOCTOR_NOUN}|infirmiere)s?\s+(?:femme|fille|de sexe feminin|feminine?)"
    r"|(?<!suis )(?<!est )(?<!pour )une\s+femme"
    rf"|(?:female|woman|women|lady|ladies)\s+{_EN_PRACTITIONER_NOUN}"
    rf"|{_EN_PRACTITIONER_NOUN}\s+(?:who is|who's|that is|that's)\s+(?:a\s+)?(?:female|woman|lady)"
    r"|(?<!i'm )(?<!i am )(?<!she's )(?<!she is )(?<!for )(?<!is )an?\s+(?:female|woman|lady)"
    r"|(?:prefer|preferably|only)\s+(?:female|women|woman)"
    r")|(?P<m>"
    rf"hommes?\s+(?:{_FR_DOCTOR_NOUN}|infirmier)s?"
    rf"|(?:{_FR_DOCTOR_NOUN}|infirmier)s?\s+(?:homme|gars|de sexe masculin|masculin)"
    r"|(?<!suis )(?<!est )(?<!pour )un\s+(?:homme|gars)"
    rf"|(?:male|man|men|guy|gentleman)\s+{_EN_PRACTITIONER_NOUN}"
    rf"|{_EN_PRACTITIONER_NOUN}\s+(?:who is|who's|that is|that's)\s+(?:a\s+)?(?:male|man|guy)"
    r"|(?<!i'm )(?<!i am )(?<!he's )(?<!he is )(?<!for )(?<!is )an?\s+(?:male|man|guy)"
    r"|(?:prefer|preferably|only)\s+(?:male|men|man)"
    r"))(?![\w-])"
)

# Asking for the practitioner of an earlier appointment. "Même"/"same" only next to a person ("la même
# docteure", "same doctor"), or "le même que la dernière fois": "même heure que la dernière fois" and "same time"
# are about when. A possessive before a practitioner ("mon médecin", "my doctor") is one's own, at one's clinic.
_FR_PERSON = (
    r"(?:medecin|medcin|docteure?|doctoresse|dre?|doc|omni(?:praticienne?)?|generaliste|infirmiere|infirmier|ips"
    r"|personne|professionnelle?|praticienne?)"
)
_FR_OWN = r"(?:medecin|medcin|docteure?|doctoresse|dre?|doc|omni(?:praticienne?)?|infirmiere|infirmier|ips)"
_EN_PERSON = r"(?:doctor|doc|dr|physician|gp|md|nurse|np|practitioner|provider|person)"
_SAME = re.compile(
    r"\b(?:"
    rf"meme\s+{_FR_PERSON}"
    r"|(?:le|la|celle|celui)\s+meme\s+qu(?:e\b|')"
    r"|meme\s+qu(?:e\s+|')(?:d'habitude|d'hab|habituellement|d'ordinaire|toujours|avant|la derniere|l'autre fois"
    r"|la fois passee)"
    rf"|(?:mon|ma|notre)\s+(?:propre\s+)?{_FR_OWN}"
    rf"|{_FR_PERSON}\s+(?:habituel(?:le)?|regulier(?:e)?|traitante?|attitree?)"
    rf"|(?:celle|celui|{_FR_PERSON})\s+(?:(?:que|qu')\s*(?:je vois|j'ai vue?|j'avais|j'ai eue?|je voyais"
    r"|j'ai deja vue?)|qui m'a (?:vue?|suivie?|soignee?))"
    rf"|same\s+(?:{_EN_PERSON}|one\s+as|as\s+(?:last|before|usual|always|the last))"
    rf"|(?:my|our)\s+(?:usual|regular|own|family|normal|previous|current)?\s*{_EN_PERSON}"
    rf"|(?:usual|regular)\s+(?:{_EN_PERSON}|one)"
    rf"|(?:{_EN_PERSON}|one)\s+i\s+(?:saw|had|see|usually see|always see|normally see)"
    r")(?![\w-])"
)

# A negation refuses the first mention after it in its clause, within a few words ("pas l'infirmière, un médecin",
# "not the nurse", "instead of the doctor", "pas besoin de voir le médecin"). Phrases that only look negative are
# left out: "pas mal" (quite), "pas grave", "pas pressé", "ça me dérange pas d'avoir l'infirmière", "I don't mind".
# "non"/"no" refuse only the word right after them ("no nurse"): "non, un médecin" and "no the nurse" answer a
# question instead.
_NEGATION = re.compile(
    r"\b(?:"
    r"(?P<strong>(?<!derange )(?<!derangerait )(?<!deranges )"
    r"pas(?!\s+(?:mal|grave|presse|pressee|pressant|de probleme|de trouble|de souci|de preference|important)\b)"
    r"|jamais|aucune?|sans|sauf|excepte|ni|au lieu (?:de|du|des|d')|plutot qu(?:e|')|autre qu(?:e|')"
    r"|not(?!\s+(?:sure|urgent|picky|fussy|important|a big deal)\b)|never|except|instead of|rather than"
    r"|other than|anyone but|anybody but"
    r"|(?:don't|dont|do not|doesn't|doesnt|does not|won't|wont|wouldn't|didn't)(?!\s+(?:mind|care|matter)\b))"
    r"|(?P<weak>no|non)"
    r")(?:(?<=')|(?![\w'-]))"
)
_CLAUSE_BREAK = re.compile(
    r"[,.;:!?()/]|\b(?:mais|sinon|otherwise|plutot(?!\s+qu)|(?<!anyone )(?<!anybody )(?<!everyone )but)\b"
)
_WORD = re.compile(r"[\w']+")
_NEGATION_REACH = 4  # words between a negation and what it refuses: "pas besoin de voir le médecin"
_SHIFTS_A_NEGATION = frozenset({"meme", "same", "homme", "femme", "gars", "male", "female", "man", "woman", "lady"})

# A name after a doctor's title ("Dr Bouchard", "docteure Lavoie", "doctor smith"), or after a civil title
# when the message asks to see that person ("avec madame Côté", "with Mr. Smith"): "c'est madame Lapointe" is the
# patient. A second word is part of the name when it is not a common word ("Dr Jean Bouchard"); it is read ahead
# without being consumed, so that "dr bouchard dr smith" still finds the second title.
_NAME = r"(?:[do]')?[a-z]{2,}(?:-[a-z]+)*"
_TITLED_NAME = re.compile(
    r"(?:\b(?P<title>docteure?|doctoresse|doctor|docter|doc|dre?)"
    r"|\b(?:avec|with|voir|see|chez|rencontrer|meet)\s+(?:(?:le|la)\s+|l')?"
    r"(?P<civil>madame|mme|mademoiselle|mlle|monsieur|mrs|mr|ms|miss|mister|m(?=\.)))"
    r"(?:\.\s*|\s+)(?:(?:euh|heu|hum|um|uh|uhm)\s+)?"  # "docteur euh Gagnon" in a transcript
    rf"(?P<first>{_NAME})(?:'s)?(?![\w'-])"
    rf"(?=(?:\s+(?P<second>{_NAME})(?![\w'-]))?)"
)
# A word right after "avec"/"with" that may be a misspelt practitioner ("avec gagnion"): only for the typo check.
_AFTER_WITH = re.compile(r"\b(?:avec|with)\s+(?P<word>[a-z]{4,})(?![\w'-])")
# Before a full title, these make it a kind, not a title: "un docteur demain", "a doctor tomorrow", "the doctor
# said", "n'importe quel docteur". "Dr" and "Dre" are titles everywhere but after an indefinite article ("un dr").
_NOT_BEFORE_AN_ABBREVIATION = frozenset({"un", "une", "a", "an", "any", "another", "some", "quel", "quelle"})
_NOT_BEFORE_A_TITLE = _NOT_BEFORE_AN_ABBREVIATION | {"the", "autre", "other", "meme", "same", "family", "good", "new"}
_NOT_BEFORE_A_TITLE |= {"female", "male", "woman", "man", "lady", "femme", "homme", "nouveau", "nouvelle"}
_FULL_TITLES = frozenset({"docteur", "docteure", "doctoresse", "doctor", "docter", "doc"})
_CIVIL_GENDER: dict[str, Gender] = {
    "madame": "f",
    "mme": "f",
    "mademoiselle": "f",
    "mlle": "f",
    "mrs": "f",
    "ms": "f",
    "miss": "f",
    "monsieur": "m",
    "mr": "m",
    "mister": "m",
    "m": "m",
}
# Words that follow a title and are not a name: what patients write after "le docteur" or "the doctor" that is
# not a name (days, times, politeness, verbs, fillers, role and gender words), in French and English.
_COMMON_WORDS = """
    a ai as au aux avec avant apres alors aussi autre autres avoir ah allo asap
    bon bonne ben bin bien bientot besoin bureau
    ca car ce ces cet cette chez clinique comme contre
    dans de des du deja demain depuis dimanche dispo dispos disponible disponibles dit disait donc doit
    elle en encore entre est et etait etre euh
    fait faque famille fille fin femme
    genre gars generaliste
    heure heures homme habituel habituelle heu hier hum
    ici icitte il ils
    je jeudi jour journee juste jusqu janvier fevrier mars avril mai juin juillet aout septembre octobre novembre
    decembre
    la le les leur lui lundi libre
    ma mais mardi matin me medecin mercredi merci mes mettons midi minuit moi mois mon meme
    ne ni non nous
    ok oh ou oui
    par parce pas peu peut peux pis pi plus plutot pm am possible pour pourrait prend prendre presse prochain
    prochaine
    quand que quel quelle qui quoi
    rapidement rendez-vous regulier
    sa samedi sans se semaine serait ses si sinon soir soiree son sont sur svp stp
    ta te tes toi ton tot tard traitant traitante tres tu tse
    un une urgent urgence
    va vais vendredi vers veut veux voir vite vous votre vos voulait voudrais
    y
    infirmiere infirmier praticienne
    about again also am an and any anyone anytime appointment appointments are around as asap at available
    be because been before between but by
    can cause could
    did do does doing
    earliest else evening
    family female fine first for free friday from
    gave give good
    had has have he her here him his how
    if in instead is it its
    just
    last later like
    male man me monday morning my
    near need needs next night no noon not note notes now
    of office ok on only or other our
    please possible prefer
    recommended referred regarding regular right
    said same saturday says see she should so some someone sometime soon sunday sure
    than thanks thank that the their them then there these they this those thursday to today told tomorrow
    tonight too tuesday
    usual
    visit
    want wanted wants was wednesday week were what when whenever which who whoever why will with woman would
    yes you your yesterday
    asked sent prescribed thing stuff thinks thought suggested tonite lol
    avait aurait demande recommande conseille pense croit parle ont faut vient ya tantot maintenant asteure astheure
    drette rendez d'accord
    deux trois quatre cinq six sept huit neuf dix onze douze
    one two three four five ten eleven twelve
    dr dre drs docteur docteure doctor doctors doc docs madame mme monsieur mr mrs ms miss mlle nurse physician np
"""
_NOT_NAMES = frozenset(_COMMON_WORDS.split())
_SHORTEST_FUZZY_SURNAME = 5  # "roy" and "cote" have too many neighbours one letter away to guess a typo
# Endings that sound alike in Québec French, so that "tremblé", "tremblai" and "trembley" are "tremblay".
_SOUND_ALIKE_ENDING = re.compile(r"(?:ay|ai|ey|ei|et|ez|er|e)$")


#: What a message must hold for more than a name to be read of whom: a kind, a gender, "the same", a title, "avec".
_CUES = (_ROLE, _GENDER, _SAME, _TITLED_NAME, _AFTER_WITH)


def read_whom(normalised: str, practitioners: Mapping[str, Sequence[str]]) -> Whom:
    """Whom a normalised message asks for: a practitioner of the clinic, or the kind or the earlier one wished for.

    `practitioners` maps each practitioner id to its display names (French and English). See `Whom` for the
    fields; a role or a gender is a wish ("la médecin"), which the engine may relax when nobody of it is free.
    """
    practitioner = find_practitioner(normalised, practitioners)
    if not any(cue.search(normalised) for cue in _CUES):  # most messages say nothing of whom: no more to read
        return Whom(practitioner=practitioner)
    same = _asks_for_the_same(normalised)
    titled = list(_titled_names(normalised))
    if practitioner is None:
        practitioner = _misspelt_practitioner(normalised, titled, practitioners)
    if practitioner is not None:
        return Whom(practitioner=practitioner, same=same)
    unknown, civil_gender = next(
        ((name, gender) for name, gender in titled if not _is_theirs(name, practitioners)), (None, None)
    )
    return Whom(
        role=_wished_role(normalised),
        gender=_wished_gender(normalised, civil_gender),
        same=same,
        unknown=unknown,
    )


def _mentions(pattern: re.Pattern[str], text: str) -> list[tuple[str, bool]]:
    """Each match of `pattern`'s named groups in `text`: the group's name, and whether a negation refuses it.

    A negation reaches back no further than the previous mention, so that in "pas l'infirmière un médecin" the
    "pas" is spent on "l'infirmière".
    """
    mentions: list[tuple[str, bool]] = []
    previous_end = 0
    for match in pattern.finditer(text):
        mentions.append((match.lastgroup or "", _refused(text[previous_end : match.start()])))
        previous_end = match.end()
    return mentions


def _refused(before: str) -> bool:
    """Whether the text just before a mention (from the previous mention on) ends with a negation that reaches it."""
    clause = _CLAUSE_BREAK.split(before)[-1]
    negations = list(_NEGATION.finditer(clause))
    if not negations:
        return False
    negation = negations[-1]  # the nearest one: "pas juste pas l'infirmière" is still one refusal
    reach = 0 if negation.lastgroup == "weak" else _NEGATION_REACH
    between = _WORD.findall(clause[negation.end() :])
    # "pas le même médecin" and "not a male doctor" refuse the sameness or the gender, not doctors: the patient
    # still wants one.
    return len(between) <= reach and not _SHIFTS_A_NEGATION.intersection(between)


def _wished_role(normalised: str) -> Role | None:
    """The one kind of practitioner the message asks for, or None (none, or both: either is fine).

    Refusing the nurse alone asks for a doctor ("pas l'infirmière svp"): a clinic has no third kind. Refusing a
    doctor alone asks for nothing: "j'ai pas de médecin de famille" is not a wish for the nurse.
    """
    mentions = _mentions(_ROLE, normalised)
    wanted = {kind for kind, refused in mentions if not refused}
    if len(wanted) == 1:
        return "doctor" if "doctor" in wanted else "nurse"
    if not wanted and {kind for kind, _ in mentions} == {"nurse"}:
        return "doctor"
    return None


def _wished_gender(normalised: str, civil_gender: Gender | None) -> Gender | None:
    """The one gender the message asks for, or None; refusing one gender alone asks for the other ("pas un homme")."""
    mentions = _mentions(_GENDER, normalised)
    wanted = {kind for kind, refused in mentions if not refused}
    if civil_gender is not None:
        wanted.add(civil_gender)
    if len(wanted) == 1:
        return "f" if "f" in wanted else "m"
    refused = {kind for kind, is_refused in mentions if is_refused}
    if not wanted and len(refused) == 1:
        return "m" if "f" in refused else "f"
    return None


def _asks_for_the_same(normalised: str) -> bool:
    """Whether the message asks for the practitioner of an earlier appointment, and does not refuse them."""
    return any(not refused for _, refused in _mentions(_SAME, normalised))


def _titled_names(normalised: str) -> Iterator[tuple[str, Gender | None]]:
    """Each name written after a title, as written, with the gender its civil title gives ("madame": f)."""
    for match in _TITLED_NAME.finditer(normalised):
        title, civil = match.group("title"), match.group("civil")
        before = normalised[max(0, match.start() - 40) : match.start()].split()  # the word before, cheaply
        previous = before[-1].strip(",.;:!?'\"") if before else ""
        if title in _FULL_TITLES and previous in _NOT_BEFORE_A_TITLE:
            continue
        if title and previous in _NOT_BEFORE_AN_ABBREVIATION:
            continue
        first, second = match.group("first"), match.group("second")
        if _is_common(first):
            continue
        name = f"{first} {second}" if second and not _is_common(second) else first
        yield name, _CIVIL_GENDER.get(civil) if civil else None


def _is_common(word: str) -> bool:
    """Whether a word after a title is a common word, not a name ("demain", "apres-midi", "svp")."""
    return word in _NOT_NAMES or word.split("-", 1)[0] in _NOT_NAMES


def _name_pieces(name: str) -> list[str]:
    """The words of a written name, without an elided "d'"/"o'": "jean-francois d'amours" -> jean, francois, amours."""
    return [piece for piece in _NAME_PART.findall(name.replace("d'", " ").replace("o'", " ")) if len(piece) >= 2]


@lru_cache(maxsize=1024)  # the clinics' few names, asked about on every message
def _surname(display_name: str) -> str:
    """The last word of a name before its role: "Julie Roy, infirmière praticienne" -> "roy"."""
    parts = [
        part
        for part in _NAME_PART.findall(normalise(display_name).split(",")[0])
        if part not in _TITLES and len(part) >= _SHORTEST_NAME_PART
    ]
    return parts[-1] if parts else ""


def _sound_key(word: str) -> str:
    """`word` with a sound-alike ending made one: "tremblay", "tremble", "tremblai" -> "tremble"."""
    return _SOUND_ALIKE_ENDING.sub("e", word)


def _within_one_edit(a: str, b: str) -> bool:
    """Whether one letter added, dropped, changed or two neighbours swapped turn `a` into `b`."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differences = [index for index, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(differences) == 1:
            return True
        first, second = differences[0], differences[-1]
        return len(differences) == 2 and second == first + 1 and a[first] == b[second] and a[second] == b[first]
    shorter, longer = sorted((a, b), key=len)
    index = next((i for i, (x, y) in enumerate(zip(shorter, longer, strict=False)) if x != y), len(shorter))
    return shorter[index:] == longer[index + 1 :]


def _sounds_like(word: str, surname: str) -> bool:
    """Whether `word` is a likely slip for a long enough `surname` ("gagnion", "tremblé" for "tremblay")."""
    if len(surname) < _SHORTEST_FUZZY_SURNAME or len(word) < _SHORTEST_FUZZY_SURNAME - 1:
        return False
    return _within_one_edit(word, surname) or _sound_key(word) == _sound_key(surname)


def _is_theirs(name: str, practitioners: Mapping[str, Sequence[str]]) -> bool:
    """Whether a written name is one of the clinic's practitioners, by a first or last name or a slip of one."""
    pieces = _name_pieces(name)
    for names in practitioners.values():
        for display_name in names:
            parts, surname = _name_parts(display_name), _surname(display_name)
            if any(piece in parts or _sounds_like(piece, surname) for piece in pieces):
                return True
    return False


def _misspelt_practitioner(
    normalised: str, titled: Sequence[tuple[str, Gender | None]], practitioners: Mapping[str, Sequence[str]]
) -> str | None:
    """The one practitioner whose surname a titled name or a word after "avec"/"with" misspells, or None.

    Only where a name is expected: "je tremble" is not Dre Tremblay, "dr tremblé" and "avec gagnion" are.
    """
    words = {piece for name, _ in titled for piece in _name_pieces(name)}
    words.update(match.group("word") for match in _AFTER_WITH.finditer(normalised))
    words = {word for word in words if not _is_common(word)}
    matched = {
        practitioner_id
        for practitioner_id, names in practitioners.items()
        for display_name in names
        if any(_sounds_like(word, _surname(display_name)) for word in words)
    }
    return matched.pop() if len(matched) == 1 else None
