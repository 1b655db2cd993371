"""Red flags (911, and 9-8-8 for suicidal thoughts) in French and English, with typos; and what is not one."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu import Intent, Urgency, understand

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    "text",
    [
        "J'AI MAL A LA POITRINE",
        "douleur dans la poitrinne",
        "serrement dans la poitrine",
        "chest pressure",
        "crise cardiaque",
        "difficulté à respirer",
        "j'ai de la misère à respirer",
        "je respire mal",
        "j'etouffe",
        "can't breathe",
        "short of breath",
        "AVC",
        "I think he's having a stroke",
        "son visage est paralysé",
        "face drooping",
        "bras engourdi",
        "slurred speech",
        "elle parle mal soudainement",
        "saigne beaucoup",
        "hémorragie",
        "heavy bleeding",
        "perte de conscience",
        "inconsciente",
        "évanoui",
        "unconscious",
        "passed out",
        "convulsions",
        "seizure",
        "réaction allergique grave",
        "anaphylaxie",
        "gorge enflée",
        "overdose",
        "surdose",
        "a respire pu jsais pas quoi faire",
        "il respire pus",
        "ma femme vient de perdre connaissance",
        "he fell and hit his head and now he's throwing up and confused",
        "mon fils s'est cogne la tete pis y vomit",
        "my daughter swallowed a bunch of her grandmas pills what do i do",
        "mon enfant a avalé une pile",
        "le petit a avale du javel",
        "mon mari a fait une crise il bouge plus euh cest grave",
        "ma mère parle tout croche pis son bras bouge pu",
        "I cut my hand really bad with a knife and it won't stop bleeding",
        "there's a lot of blood it won't stop bleeding",
        "je pense que mon pere fait un avc",
        "I'm having the worst headache of my life and my vision is blurry",
        "un mal de tête violent tout d'un coup",
        "my friend took a bunch of xanax and isn't waking up",
        "ma femme parle pu comme du monde pis son visage est tout croche là",
        "mon chum s'est coupé avec la scie ça saigne partout",
    ],
)
def test_an_emergency(text: str) -> None:
    understanding = understand(text, today=TODAY)
    assert (understanding.urgency, understanding.intent) == (Urgency.EMERGENCY, Intent.EMERGENCY)


@pytest.mark.parametrize(
    "text",
    [
        "suicide",
        "je veux me suicider",
        "j'ai envie de me tuer",
        "je veux mourir",
        "je veux en finir",
        "idées noires",
        "I want to kill myself",
        "end my life",
        "I want to die",
        "self harm",
        "j'ai envie de me faire du mal",
        "j'en peux pus, je veux pus vivre",
        "j'en peux pus, je veux en finir",
        "jai pris toutes mes pilules je veux juste dormir pour tjrs",
        "jai juste envie de disparaitre ca va pu",
        "I just want to sleep forever",
        "i dont want to be alive anymore",
        "I'm thinking about killing myself",
        "euh je pense à mettre fin à mes jours",
        "my friend says he's going to end his life tonight",
        "i dont see the point of living anymore",
        "je me suis fait mal moi-même pis je pense que je vais recommencer",
    ],
)
def test_a_crisis(text: str) -> None:
    understanding = understand(text, today=TODAY)
    assert (understanding.urgency, understanding.intent) == (Urgency.CRISIS, Intent.EMERGENCY)


@pytest.mark.parametrize(
    "text",
    [
        "je veux annuler, j'ai pas mal de choses",
        "c'est pas mal urgent",
        "mal de dos",
        "j'ai mal au coeur",
        "radiographie de la poitrine",
        "je respire plus facilement",
        "je respire pas mal mieux",
        "ça me tue d'attendre",
        "I'm dying to know",
        "breathing exercises",
        "je respire pu mal mieux",
        "je veux disparaitre de votre liste",
        "il a avale de travers",
        "I swallowed my pride and called",
        "j'ai pris mes pilules ce matin",
        "jveu 1 rdv avc la femme docteur ste semaine",  # "avc": SMS for "avec"
        "rdv avc gagnon jeudi",
        "j'ai un mal de tête intense depuis deux jours, un rdv svp",
    ],
)
def test_not_a_red_flag(text: str) -> None:
    assert understand(text, today=TODAY).urgency is None


def test_a_red_flag_outranks_the_request_around_it() -> None:
    understanding = understand("je veux annuler mon rdv, j'ai mal à la poitrine", today=TODAY)
    assert understanding.intent is Intent.EMERGENCY


def test_a_negated_symptom_still_flags_on_purpose() -> None:
    assert understand("je n'ai pas de douleur à la poitrine", today=TODAY).urgency is Urgency.EMERGENCY


def test_red_flags_are_searched_in_the_whole_of_a_long_message() -> None:
    assert understand("bla " * 500 + "je veux mourir", today=TODAY).urgency is Urgency.CRISIS
