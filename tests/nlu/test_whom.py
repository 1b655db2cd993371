"""Whom a message asks for (`read_whom`): a practitioner by name, a kind or gender, the same one, or a stranger.

Each case gives the whole `Whom`, so that a reading that sets a field it should not fails as well as one that
misses it. Messages are French (joual, no accents, typos) and English, as texts and as speech transcripts (lower
case, no punctuation).
"""

from __future__ import annotations

import dataclasses
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nlu.normalise import normalise
from bot.nlu.practitioners import Whom, find_practitioner, read_whom

CLINIC = {
    "tremblay": ["Dre Isabelle Tremblay", "Dr. Isabelle Tremblay"],
    "gagnon": ["Dr Marc Gagnon", "Dr. Marc Gagnon"],
    "roy": ["Julie Roy, infirmière praticienne", "Julie Roy, nurse practitioner"],
}
DOCTOR = Whom(role="doctor")
NURSE = Whom(role="nurse")
NOBODY = Whom()


def whom(text: str, practitioners: dict[str, list[str]] | None = None) -> Whom:
    return read_whom(normalise(text), CLINIC if practitioners is None else practitioners)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("avec la docteure tremblay", Whom(practitioner="tremblay")),
        ("Je peux-tu avoir un rdv avec dre tremblay?", Whom(practitioner="tremblay")),
        ("with doctor gagnon", Whom(practitioner="gagnon")),
        ("rendez-vous jeudi matin avec docteur gagnon", Whom(practitioner="gagnon")),
        ("docteur euh gagnon", Whom(practitioner="gagnon")),
        ("jeudi pm avec julie", Whom(practitioner="roy")),
        ("je voudrais un rdv avec l'infirmière julie", Whom(practitioner="roy")),
        ("with Dr. Roy tomorrow", Whom(practitioner="roy")),
        ("rdv avec mme tremblay", Whom(practitioner="tremblay")),
        # A name wins over the kind and the gender it comes with.
        ("la dre tremblay svp", Whom(practitioner="tremblay")),
        ("Bonjour, je m'appelle Sophie Bergeron. J'aimerais voir Dre Tremblay", Whom(practitioner="tremblay")),
        # Slips of one letter, or an ending that sounds the same, after a title or "avec".
        ("dr tremblé svp", Whom(practitioner="tremblay")),
        ("avec le dr gagnion", Whom(practitioner="gagnon")),
        ("with dr. gagnion tomorrow", Whom(practitioner="gagnon")),
        ("avec gangon demain", Whom(practitioner="gagnon")),
        ("rdv avec tremblai", Whom(practitioner="tremblay")),
        # One's own doctor, named.
        ("Mon médecin de famille est Dr Gagnon", Whom(practitioner="gagnon", same=True)),
        # "le docteur gagnon" is the clinic's; "madame lapointe" is the caller.
        (
            "oui bonjour euh c'est madame lapointe j'appelle parce que j'ai mon genou qui me fait mal pis si vous "
            "aviez de quoi jeudi dans l'avant-midi avec le docteur gagnon ça serait bien",
            Whom(practitioner="gagnon"),
        ),
    ],
)
def test_a_practitioner_of_the_clinic(text: str, expected: Whom) -> None:
    assert whom(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("avec un médecin", DOCTOR),
        ("salut, j'aurais besoin de voir un médecin", DOCTOR),
        ("un docteur svp", DOCTOR),
        ("jveux voir un medcin asap", DOCTOR),
        ("peu importe le doc", DOCTOR),
        ("un md", DOCTOR),
        ("un omni", DOCTOR),
        ("with a doctor", DOCTOR),
        ("a physician please", DOCTOR),
        ("need to see a doctor asap please, whoever is available", DOCTOR),
        ("pas l'infirmière, un médecin", DOCTOR),
        ("pas linfirmiere un medecin svp", DOCTOR),
        ("rdv avec un médecin, pas l'infirmière svp", DOCTOR),
        ("I'd like the first available with any doctor, not the nurse", DOCTOR),
        # Refusing the nurse alone asks for a doctor.
        ("je veux pas l'infirmière", DOCTOR),
        ("anyone but the nurse", DOCTOR),
        ("n'importe qui sauf l'infirmière", DOCTOR),
        ("non un medecin svp", DOCTOR),  # "non" answers the question before, it refuses nothing
        ("j'ai pas mal besoin d'un médecin", DOCTOR),  # "pas mal": quite
        ("pas le même médecin que la dernière fois", DOCTOR),  # refuses the same one, not doctors
        ("avec l'infirmière", NURSE),
        ("rdv avec l'infirmière demain matin", NURSE),
        ("une infirmiere svp", NURSE),
        ("une infirmiaire", NURSE),
        ("infirmière praticienne", NURSE),
        ("avec l'IPS", NURSE),
        ("IPS", NURSE),
        ("the nurse", NURSE),
        ("hi do you have anything wednesday after lunch with the nurse practitioner", NURSE),
        ("Please book me in with the NP for a pap test", NURSE),
        ("book me with a nurse thursday or friday, whatever's earliest", NURSE),
        ("Can I switch to the nurse instead of the doctor for my appointment tomorrow?", NURSE),
        ("l'infirmière plutôt qu'un médecin", NURSE),
        ("i don't need a doctor, the nurse is fine", NURSE),
        ("pas besoin de voir le médecin, l'infirmière c'est correct", NURSE),
        ("ça me dérange pas d'avoir l'infirmière", NURSE),  # not a refusal
        ("I don't mind the nurse", NURSE),
        ("no the nurse please", NURSE),  # speech: "no, the nurse please"
    ],
)
def test_a_kind_of_practitioner(text: str, expected: Whom) -> None:
    assert whom(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jveux voir la médecin vendredi matin", Whom(role="doctor", gender="f")),
        ("une médecin svp", Whom(role="doctor", gender="f")),
        ("une docteure", Whom(role="doctor", gender="f")),
        ("la dre", Whom(role="doctor", gender="f")),
        ("avec la dre svp", Whom(role="doctor", gender="f")),
        ("avec une femme médecin lundi prochain dans l'après-midi", Whom(role="doctor", gender="f")),
        ("i'd like a female doctor, thursday next week, afternoon", Whom(role="doctor", gender="f")),
        ("a woman doctor", Whom(role="doctor", gender="f")),
        ("lady doctor please", Whom(role="doctor", gender="f")),
        ("i'd prefer a female", Whom(gender="f")),
        ("pas un homme svp", Whom(gender="f")),  # refusing one gender asks for the other
        ("un homme médecin", Whom(role="doctor", gender="m")),
        ("un docteur homme", Whom(role="doctor", gender="m")),
        ("a male doctor please, tomorrow pm", Whom(role="doctor", gender="m")),
        ("a man please", Whom(gender="m")),
        ("male nurse please", Whom(role="nurse", gender="m")),
        ("pas une femme svp", Whom(gender="m")),
    ],
)
def test_a_gender(text: str, expected: Whom) -> None:
    assert whom(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "j'aimerais un autre rdv la semaine prochaine, mardi matin, avec la même docteure que la dernière fois",
            Whom(role="doctor", gender="f", same=True),
        ),
        ("jveux voir la meme docteure que la derniere fois", Whom(role="doctor", gender="f", same=True)),
        ("le même médecin", Whom(role="doctor", same=True)),
        ("même que d'habitude", Whom(same=True)),
        ("mon médecin habituel", Whom(role="doctor", same=True)),
        ("celle que j'ai vue la derniere fois", Whom(same=True)),
        ("le docteur qui m'a vu la derniere fois", Whom(role="doctor", same=True)),
        ("can i get another one with the same doctor as last time", Whom(role="doctor", same=True)),
        ("my usual doctor", Whom(role="doctor", same=True)),
        ("same one as before", Whom(same=True)),
        ("can i see my doctor tomorrow", Whom(role="doctor", same=True)),
        ("the doctor i saw last time", Whom(role="doctor", same=True)),
    ],
)
def test_the_same_as_before(text: str, expected: Whom) -> None:
    assert whom(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "même heure que la dernière fois",
        "same time as last week",
        "comme l'autre fois, le matin",
        "a different doctor this time",
        "not the same doctor please",
        "j'ai pas de médecin de famille",
    ],
)
def test_not_the_same(text: str) -> None:
    assert not whom(text).same


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("avec le Dr Bouchard", Whom(role="doctor", unknown="bouchard")),
        ("rdv avec le dr bouchard jeudi", Whom(role="doctor", unknown="bouchard")),
        ("Dr. Bouchard on friday please", Whom(role="doctor", unknown="bouchard")),
        ("i'd like to see doctor bouchard", Whom(role="doctor", unknown="bouchard")),
        ("Dre Lavoie", Whom(role="doctor", gender="f", unknown="lavoie")),
        ("docteur Nguyen", Whom(role="doctor", unknown="nguyen")),
        ("with Dr. Smith", Whom(role="doctor", unknown="smith")),
        ("dr smith's office", Whom(role="doctor", unknown="smith")),
        ("avec madame Côté", Whom(gender="f", unknown="cote")),
        ("avec monsieur lefebvre", Whom(gender="m", unknown="lefebvre")),
        ("with mr. smith tomorrow", Whom(gender="m", unknown="smith")),
        ("avec le dr jean bouchard svp", Whom(role="doctor", unknown="jean bouchard")),
        ("chez le dr d'amours", Whom(role="doctor", unknown="d'amours")),
        # The clinic's own, named beside a stranger: the stranger is only history.
        ("pas le dr bouchard, avec gagnon", Whom(practitioner="gagnon")),
    ],
)
def test_a_name_the_clinic_does_not_have(text: str, expected: Whom) -> None:
    assert whom(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A title alone, or a common word after it, is not a name.
        ("le docteur", DOCTOR),
        ("avec le dr svp", DOCTOR),
        ("doctor tomorrow", DOCTOR),
        ("le docteur m'a dit de prendre un rdv", DOCTOR),
        ("docteur pour mon fils", DOCTOR),
        ("the doctor said i need a follow up", DOCTOR),
        ("le docteur apres-midi", DOCTOR),
        ("can i see a doctor today", DOCTOR),
        ("le dr de garde", DOCTOR),
        ("merci madame", NOBODY),
        ("avec madame", NOBODY),
        # The patient, not a practitioner.
        ("bonjour c'est madame lavoie j'appelle pour changer mon rendez-vous de demain", NOBODY),
        ("Hello, this is Raj. Do you have any evening appointments this week?", NOBODY),
        # Nobody in particular.
        ("rdv demain matin", NOBODY),
        ("rdv svp le plus tot possible avec nimporte qui", NOBODY),
        ("un médecin ou l'infirmière, peu importe", NOBODY),
        ("je veux voir un médecin mais l'infirmière c'est correct aussi", NOBODY),
        ("np thanks", NOBODY),  # "no problem"
        ("jvoudrais prendre un rdv pour un test de dépistage ITS", NOBODY),
        ("j'ai pas de médecin de famille", NOBODY),
        ("rdv pour ma femme", NOBODY),
        ("je suis une femme de 40 ans", NOBODY),
        ("c'est un gars de 15 ans", NOBODY),
        ("homme ou femme ca me derange pas", NOBODY),
        ("je tremble", NOBODY),
        ("avec plaisir", NOBODY),
        ("avec julia", NOBODY),  # a first name is not guessed at
    ],
)
def test_nobody_in_particular(text: str, expected: Whom) -> None:
    assert whom(text) == expected


def test_a_name_the_clinic_shares_is_theirs_even_when_ambiguous() -> None:
    clinic = {"tremblay_i": ["Dre Isabelle Tremblay"], "tremblay_m": ["Dr Marc Tremblay"]}
    assert whom("avec le Dr Tremblay", clinic) == DOCTOR  # neither chosen, and no stranger either
    assert whom("avec le Dr Tremblé", clinic) == DOCTOR
    assert whom("avec Marc Tremblay", clinic) == Whom(practitioner="tremblay_m")


def test_without_practitioners_every_titled_name_is_a_stranger() -> None:
    assert read_whom(normalise("avec le dr gagnon"), {}) == Whom(role="doctor", unknown="gagnon")


def test_find_practitioner_still_reads_names_only() -> None:
    assert find_practitioner(normalise("avec dre tremblay"), CLINIC) == "tremblay"
    assert find_practitioner(normalise("dr tremblé"), CLINIC) is None  # the typo is read_whom's alone


def test_whom_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Whom().same = True  # type: ignore[misc]


def test_a_long_message_is_read_quickly() -> None:
    text = normalise("pas l'infirmière, la même docteure que la dernière fois avec le Dr Bouchard " * 30)
    started = time.perf_counter()
    for _ in range(10):
        read_whom(text, CLINIC)
    assert (time.perf_counter() - started) / 10 < 0.05


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_reads_without_error(text: str) -> None:
    result = read_whom(normalise(text), CLINIC)
    assert result.practitioner in {None, *CLINIC}
    assert result.practitioner is None or (result.role, result.gender, result.unknown) == (None, None, None)
