"""Short replies and the bot's own keywords: phones' reactions, yes and no, picks of the first or last option, the
words our texts advertise, opt-out and opt-in in plain words, and a language request with a request in it.

Written as patients text and as Twilio transcribes speech: Québec French and joual, without accents, with typos,
and English.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.nlu import Intent, Keyword, Urgency, understand
from bot.nlu.model import LAST_PICK

TODAY = date(2026, 12, 7)  # a Monday
CLINIC = {
    "tremblay": ["Dre Isabelle Tremblay", "Dr. Isabelle Tremblay"],
    "gagnon": ["Dr Marc Gagnon", "Dr. Marc Gagnon"],
    "roy": ["Julie Roy, infirmière praticienne", "Julie Roy, nurse practitioner"],
}
RESPONSES = Path(__file__).parents[2] / "flows" / "responses.yml"


def read(text: str) -> Any:
    """`understand` at the demo clinic, on the Monday every test is set on."""
    return understand(text, today=TODAY, practitioners=CLINIC)


# ----- reactions: the quote is ours, and is not read --------------------------------------------------------------
# Each quote names a day, a time, a practitioner and a task, and some a number or a keyword: none may be read.
APPROVING_REACTIONS = [
    'Loved "Confirmer jeudi 10 h avec la Dre Tremblay? Répondez OUI ou NON."',
    "Loved “Can you confirm your appointment on Tuesday at 3:00 PM with Dr. Gagnon?”",
    'Liked "Do you want to cancel your appointment on Friday at 11:00 AM with Julie Roy?"',
    "Liked ‘Confirm Wednesday 9:40 AM with Dr. Tremblay? Reply YES or NO’",
    'Emphasized "Move your appointment from Thursday 10 AM to Friday 9 AM with Dr. Gagnon?"',
    "Aimé « Voulez-vous confirmer votre rendez-vous du jeudi à 10 h avec la Dre Tremblay? »",
    "Aimé « Voulez-vous vraiment annuler votre rendez-vous du jeudi à 10 h avec la Dre Tremblay? »",
    "A aimé « Voulez-vous déplacer votre rendez-vous du jeudi 10 h au vendredi 9 h avec le Dr Gagnon? »",
    "a aime « voulez-vous deplacer votre rdv de jeudi 10h a vendredi 9h avec le dr gagnon? »",
    "Adoré « 1) jeu. 10 déc. 8 h, Dr Marc Gagnon 2) jeu. 10 déc. 8 h 20, Dr Marc Gagnon »",
    "A réagi 👍 à « Lundi 13 h avec Julie Roy, infirmière praticienne. Je confirme? Répondez OUI ou NON »",
    "A réagi avec ❤️ à « Confirmer demain 9 h avec Julie Roy? »",
    'Reacted 👍 to "Confirm Wednesday 9:40 AM with Dr. Tremblay? Reply YES or NO"',
    "Reacted 👍🏽 to “Confirm Thursday at 2 PM with Dr. Tremblay? Reply 1 or 2”",
    'Reacted ❤️ to "Cancel your appointment on Friday at 11:00 AM? Text STOP to opt out"',
    "Reacted with ❤ to “For English, reply EN. Écrivez ANNULER pour annuler.”",
]
DISAPPROVING_REACTIONS = [
    'Disliked "Confirm Thursday at 10 AM with Dr. Tremblay? Reply YES or NO"',
    "Disliked “Book Friday 9:00 AM with Julie Roy?”",
    "N'aime pas « Confirmer le jeudi 10 décembre à 10 h avec la Dre Tremblay? »",
    "N’a pas aimé « Annuler votre rendez-vous de vendredi 11 h? »",
    'Reacted 👎 to "Confirm Wednesday 9:40 AM with Dr. Tremblay? Reply YES or NO"',
    "A réagi 👎 à « Déplacer au vendredi 9 h avec le Dr Gagnon? »",
]
# Reactions that answer nothing: the question is asked again, and still nothing in the quote is read.
NEUTRAL_REACTIONS = [
    'Laughed at "Confirm Thursday at 10 AM with Dr. Tremblay?"',
    "Questioned “Cancel your appointment on Friday?”",
    'Reacted 😂 to "Book Friday 9:00 AM with Julie Roy?"',
    "A ri de « Confirmer jeudi 10 h? »",
    "Removed a heart from “Confirm Thursday at 10 AM with Dr. Tremblay?”",
    "A retiré un j'aime de « Confirmer jeudi 10 h avec la Dre Tremblay? »",
]


def assert_quote_unread(understanding: Any) -> None:
    assert understanding.reaction is True
    assert understanding.when is None
    assert understanding.pick is None
    assert understanding.pick_time is None
    assert understanding.practitioner is None
    assert understanding.keyword is None
    assert understanding.language_switch is None
    assert understanding.urgency is None


@pytest.mark.parametrize("text", APPROVING_REACTIONS)
def test_an_approving_reaction_is_yes_and_its_quote_is_not_read(text: str) -> None:
    understanding = read(text)
    assert understanding.intent is Intent.YES
    assert_quote_unread(understanding)


@pytest.mark.parametrize("text", DISAPPROVING_REACTIONS)
def test_a_disapproving_reaction_is_no_and_its_quote_is_not_read(text: str) -> None:
    understanding = read(text)
    assert understanding.intent is Intent.NO
    assert_quote_unread(understanding)


@pytest.mark.parametrize("text", NEUTRAL_REACTIONS)
def test_a_laugh_a_question_or_a_removed_reaction_answers_nothing(text: str) -> None:
    understanding = read(text)
    assert understanding.intent is Intent.NONE
    assert_quote_unread(understanding)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ('Liked "Confirmer jeudi 10 h?"', "en"),
        ("Reacted 👍 to « Confirmer jeudi 10 h? »", "en"),
        ('Aimé "Confirm Thursday at 10 AM?"', "fr"),
        ('A réagi 👍 à "Confirm Thursday at 10 AM?"', "fr"),
    ],
)
def test_a_reaction_is_in_the_language_of_its_own_words(text: str, language: str) -> None:
    """The words around the quote are the phone's, in the patient's language; the quote is ours, in either."""
    assert read(text).language == language


def test_a_red_flag_in_a_quote_is_still_a_red_flag() -> None:
    """Red flags are read in the whole message: a quote that is not ours (the patient's own text) may carry one."""
    understanding = read("Liked “j'ai mal à la poitrine depuis ce matin”")
    assert (understanding.reaction, understanding.urgency, understanding.intent) == (
        True,
        Urgency.EMERGENCY,
        Intent.EMERGENCY,
    )


def our_texts() -> list[str]:
    """Every text of ours in flows/responses.yml, French and English, placeholders left in."""
    texts = []
    for variants in yaml.safe_load(RESPONSES.read_text(encoding="utf-8"))["responses"].values():
        for variant in variants if isinstance(variants, list) else [variants]:
            texts += [str(variant[language]) for language in ("fr", "en") if language in variant]
    return texts


def test_a_reaction_to_any_of_our_texts_is_a_plain_yes() -> None:
    """Reading red flags in quotes costs nothing: none of our texts has one, so no reaction to one raises a 911."""
    texts = our_texts()
    assert len(texts) > 50
    for text in texts:
        for reaction in (f"Aimé « {text} »", f'Loved "{text}"', f"Reacted 👍 to “{text}”"):
            understanding = read(reaction)
            assert (understanding.intent, understanding.reaction) == (Intent.YES, True), reaction
            assert understanding.urgency is None, reaction


@pytest.mark.parametrize(
    "text", ["J'aime jeudi", "aime jeudi 10h", "Loved it, thanks", "Liked it", "reacted badly to the vaccine"]
)
def test_words_of_a_reaction_without_a_quote_are_no_reaction(text: str) -> None:
    assert read(text).reaction is False


def test_a_reaction_keeps_the_whole_text() -> None:
    """`text` is what the patient's phone sent (normalised); only the readers skip the quote."""
    assert read("Aimé « Confirmer jeudi? »").text == "aime « confirmer jeudi? »"


# ----- yes and no, as whole answers -------------------------------------------------------------------------------
YES_ANSWERS = [
    "oui",
    "ouais",
    "ouin",
    "yep",
    "yup",
    "ok",
    "okay",
    "o.k.",
    "O.K",
    "parfait",
    "d'accord",
    "go",
    "let's go",
    "c'est beau",
    "c'est correct",
    "ça marche",
    "ça me va",
    "sounds good",
    "sure",
    "sure thing",
    "works for me",
    "perfect",
    "absolutely",
    "👍",
    "👌",
    "✅",
    "oui c'est beau",
    "oui nimporte qui c correct",
    "yes please",
    "yes that's fine",
    # joual, typos, no accents
    "ca marche",
    "ca me va",
    "cest beau",
    "c beau",
    "c correct",
    "dac",
    "d'acord",
    "ouiii",
    "wi",
    "ouain",
    "oké",
    "yess",
    "Parfait!",
    "👍🏽",
    # speech transcripts: a capital, a period, a hesitation
    "Oui.",
    "Oui oui.",
    "Euh oui.",
    "Ben oui c'est correct.",
    "Yes.",
    "Yes please.",
    "Um yes.",
    "Yeah sure.",
    "That's fine.",
    "Sounds great.",
]
NO_ANSWERS = [
    "non",
    "nan",
    "nope",
    "no thanks",
    "pas vraiment",
    "non merci",
    "👎",
    "nn",
    "nooon",
    "pas d'accord",
    "certainement pas",
    "absolutely not",
    "not at all",
    "nah",
    "Non.",
    "No.",
    "Euh non.",
    "Ben non merci.",
    "No thank you.",
]


@pytest.mark.parametrize("text", YES_ANSWERS)
def test_a_yes(text: str) -> None:
    assert read(text).intent is Intent.YES


@pytest.mark.parametrize("text", NO_ANSWERS)
def test_a_no(text: str) -> None:
    assert read(text).intent is Intent.NO


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("noon", Intent.NONE),  # midi, a time
        ("No. 2", Intent.NONE),  # a number
        ("wi-fi password?", Intent.OUT_OF_SCOPE),
        ("c'est vraiment pas pratique", Intent.NONE),
        ("ok, je veux annuler", Intent.CANCEL),
        ("non, je veux annuler", Intent.CANCEL),
    ],
)
def test_words_like_yes_or_no_that_are_not_an_answer(text: str, intent: Intent) -> None:
    assert read(text).intent is intent


# ----- picks: the first, the last ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "le dernier",
        "la dernière",
        "la derniere svp",
        "le dernier choix",
        "the last one",
        "last one",
        "The last one.",
        "the latest",
        "the last option please",
        "le plus tard",
    ],
)
def test_the_last_option(text: str) -> None:
    understanding = read(text)
    assert (understanding.pick, understanding.intent) == (LAST_PICK, Intent.NONE)


@pytest.mark.parametrize(
    "text",
    ["le premier", "la première", "la premiere svp", "the first one", "First one.", "the earliest one", "the earliest"],
)
def test_the_first_option(text: str) -> None:
    understanding = read(text)
    assert (understanding.pick, understanding.intent) == (1, Intent.NONE)


@pytest.mark.parametrize("text", ["le plus tôt", "la plus tot svp", "celle la plus tôt", "the earliest"])
def test_the_earliest_is_the_first_option_or_the_earliest_slot(text: str) -> None:
    """With a menu open it is option 1, offered earliest first; with none it asks for the earliest slot."""
    understanding = read(text)
    assert understanding.pick == 1
    assert understanding.when is not None and understanding.when.earliest


@pytest.mark.parametrize(
    "text", ["le plus tôt possible", "Le plus tôt possible.", "au plus tôt", "the earliest possible", "plus tôt?"]
)
def test_as_early_as_possible_is_a_request_not_a_pick(text: str) -> None:
    """ "possible", "au" or no article at all ("plus tôt?": something earlier) make it a `when`, for the `when`
    reader: at a menu of Thursday's slots, "le plus tôt possible" may mean earlier than Thursday."""
    understanding = read(text)
    assert understanding.pick is None
    assert understanding.when is not None and understanding.when.earliest


@pytest.mark.parametrize(
    "text",
    [
        "le premier disponible",
        "plus tard",
        "je veux le tout dernier rdv de la journée vendredi",
        "ok le dernier de la journée mardi avec gagnon",
        "ok the latest you have tuesday with julie roy",
    ],
)
def test_first_or_last_in_a_request_is_not_a_pick(text: str) -> None:
    assert read(text).pick is None


@pytest.mark.parametrize(
    ("text", "pick"),
    [
        ("oui le premier", 1),
        ("yes the first one", 1),
        ("ok le 2", 2),
        ("ok le dernier", LAST_PICK),
        ("Yes, the last one.", LAST_PICK),
    ],
)
def test_a_yes_with_a_pick_stays_yes(text: str, pick: int) -> None:
    """The engine takes the pick when a menu is open and the yes when a yes/no question is."""
    understanding = read(text)
    assert (understanding.pick, understanding.intent) == (pick, Intent.YES)


# ----- the words our texts advertise, alone -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("QUAND", Intent.MY_APPOINTMENTS),
        ("quand?", Intent.MY_APPOINTMENTS),
        ("Quand svp", Intent.MY_APPOINTMENTS),
        ("WHEN", Intent.MY_APPOINTMENTS),
        ("when?", Intent.MY_APPOINTMENTS),
        ("C'EST QUAND", Intent.MY_APPOINTMENTS),
        ("cest quand", Intent.MY_APPOINTMENTS),
        ("c quand mon rdv", Intent.MY_APPOINTMENTS),
        ("RDV", Intent.BOOK),
        ("BOOK", Intent.BOOK),
        ("RENDEZ-VOUS", Intent.BOOK),
        ("rendez vous svp", Intent.BOOK),
        ("ANNULER", Intent.CANCEL),
        ("Annuler.", Intent.CANCEL),
        ("euh annuler", Intent.CANCEL),
        ("CANCEL", Intent.CANCEL),
        ("cancel please", Intent.CANCEL),
        ("DÉPLACER", Intent.RESCHEDULE),
        ("DEPLACER", Intent.RESCHEDULE),
        ("déplacer svp", Intent.RESCHEDULE),
        ("MOVE", Intent.RESCHEDULE),
        ("Move.", Intent.RESCHEDULE),
        ("move please", Intent.RESCHEDULE),
        ("CHANGER", Intent.RESCHEDULE),
    ],
)
def test_an_advertised_word_alone(text: str, intent: Intent) -> None:
    understanding = read(text)
    assert (understanding.intent, understanding.keyword) == (intent, None)


@pytest.mark.parametrize(
    ("text", "keyword"), [("AIDE", Keyword.HELP_FR), ("aide", Keyword.HELP_FR), ("HELP", Keyword.HELP_EN)]
)
def test_aide_and_help_stay_carrier_keywords(text: str, keyword: Keyword) -> None:
    understanding = read(text)
    assert (understanding.intent, understanding.keyword) == (Intent.HELP, keyword)


@pytest.mark.parametrize(
    ("text", "language"), [("EN", "en"), ("ENGLISH", "en"), ("english", "en"), ("FR", "fr"), ("FRANÇAIS", "fr")]
)
def test_en_and_fr_alone_change_the_language(text: str, language: str) -> None:
    understanding = read(text)
    assert (understanding.intent, understanding.language_switch) == (Intent.CHANGE_LANGUAGE, language)


# ----- opt-out and opt-in in plain words (the carrier keywords are test_keywords.py's) ----------------------------
@pytest.mark.parametrize(
    "text",
    [
        "enlevez-moi de vos envois",
        "enlevez-moi de vos envois svp",
        "Enlevez moi de la liste",
        "enlevez-moi de votre liste d'envoi",
        "retirez mon numéro de la liste svp",
        "je veux pus de textos",
        "jveux pu de texto",
        "je veux plus recevoir vos messages",
        "je ne veux plus recevoir de messages",
        "arrêtez de m'écrire",
        "arretez les textos",
        "Ne m'écrivez plus.",
        "désinscrivez-moi",
        "desinscrivez moi",
        "ARRÊTEZ!",
        "STOP SVP",
        "please stop",
        "please stop messaging me",
        "stop texting me",
        "Please stop texting me.",
        "stop all the texts",
        "take me off your list",
        "remove me from the list",
        "remove my number from your list",
        "don't text me anymore",
        "dont text me",
        "I don't want any more texts",
        "no more texts please",
    ],
)
def test_an_opt_out_in_plain_words(text: str) -> None:
    understanding = read(text)
    assert (understanding.intent, understanding.keyword) == (Intent.STOP, None)


@pytest.mark.parametrize(
    "text",
    [
        "remettez-moi sur la liste",
        "Remettez moi sur la liste.",
        "oups je me suis trompé, remettez-moi sur la liste svp",
        "je veux recevoir vos textos à nouveau",
        "je veux à nouveau recevoir vos messages",
        "réabonnez-moi",
        "reabonnez moi svp",
        "réinscrivez-moi",
        "put me back on the list",
        "actually put me back on the list, START",
        "resume texts",
        "I want the texts again",
        "start texting me again",
        "opt back in",
    ],
)
def test_an_opt_in_in_plain_words(text: str) -> None:
    understanding = read(text)
    assert (understanding.intent, understanding.keyword) == (Intent.START, None)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("arrêtez, c'est une erreur, je voulais jeudi", Intent.NONE),
        ("je veux arrêter de fumer, avez-vous un rdv", Intent.BOOK),
        ("stop, wrong day, I meant friday", Intent.NONE),
        ("please stop, I meant Thursday", Intent.NONE),
        ("le bus arrête pas", Intent.NONE),
        ("je veux plus de temps avec le médecin", Intent.BOOK),
        ("j'ai plus de fièvre, je veux annuler", Intent.CANCEL),
        ("start over", Intent.RESTART),
    ],
)
def test_stop_or_start_inside_another_sentence_is_no_opt_out_or_in(text: str, intent: Intent) -> None:
    understanding = read(text)
    assert (understanding.intent, understanding.keyword) == (intent, None)


@pytest.mark.parametrize("text", ["put me back on thursday", "can you send me the message again"])
def test_again_or_back_without_the_texts_is_no_opt_in(text: str) -> None:
    """A move or the appointment's text again, whichever the model reads: never an opt-in."""
    understanding = read(text)
    assert understanding.intent not in (Intent.START, Intent.STOP)
    assert understanding.keyword is None


# ----- a language request with a request in it -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "intent", "switch"),
    [
        ("english please, when is my appointment?", Intent.MY_APPOINTMENTS, "en"),
        ("en français svp, c'est quand mon rdv?", Intent.MY_APPOINTMENTS, "fr"),
        ("en francais stp c quand mon rdv", Intent.MY_APPOINTMENTS, "fr"),
        ("no french please, I need to cancel", Intent.CANCEL, "en"),
        ("in english: can I book tomorrow?", Intent.BOOK, "en"),
        ("Parlez-vous anglais? Je voudrais annuler mon rdv", Intent.CANCEL, "en"),
        ("french please, je veux déplacer mon rdv à jeudi", Intent.RESCHEDULE, "fr"),
        ("English please. I'd like to book an appointment tomorrow morning.", Intent.BOOK, "en"),
        ("can I talk to someone in English?", Intent.HUMAN, "en"),
    ],
)
def test_a_language_request_with_a_request_is_the_request(text: str, intent: Intent, switch: str) -> None:
    understanding = read(text)
    assert (understanding.intent, understanding.language_switch) == (intent, switch)


@pytest.mark.parametrize(
    ("text", "switch"),
    [
        ("english please", "en"),
        ("English please.", "en"),
        ("en français svp", "fr"),
        ("no French please", "en"),
        ("no french please, i dont understand", "en"),
        ("in French please", "fr"),
        ("parlez-vous anglais?", "en"),
        ("do you speak english", "en"),
        ("I don't speak French", "en"),
        ("je parle pas anglais", "fr"),
        ("Je ne parle pas très bien anglais.", "fr"),
        ("I don't really speak French", "en"),
        ("pas en anglais svp", "fr"),
        ("non, en anglais svp", "en"),
        ("english please, hi", "en"),
        ("yes english please", "en"),
    ],
)
def test_a_language_request_alone_changes_the_language(text: str, switch: str) -> None:
    understanding = read(text)
    assert (understanding.intent, understanding.language_switch) == (Intent.CHANGE_LANGUAGE, switch)


@pytest.mark.parametrize(
    "text",
    [
        "hi i'd like to make an appointment thursday afternoon with doctor tremblay",
        "Hi, I'd like to make an appointment Thursday afternoon with Doctor Tremblay.",
        "friday morning with doctor gagnon please",
        "Friday morning with Doctor Gagnon, please.",
        "tomorrow at two pm with doctor gagnon",
        "tuesday afternoon with julie roy",
        "need to see a doctor asap please",
        "Need to see a doctor ASAP please.",
        "thursday 2pm with dr tremblay",
        "MOVE",
        "the last one",
    ],
)
def test_a_short_english_message_reads_as_english(text: str) -> None:
    assert read(text).language == "en"


@pytest.mark.parametrize(
    "text", ["QUAND", "DÉPLACER", "CHANGER", "la dernière", "enlevez-moi de vos envois", "remettez-moi sur la liste"]
)
def test_a_short_french_message_reads_as_french(text: str) -> None:
    assert read(text).language == "fr"


# ----- a greeting with a day --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["Bonjour, vendredi matin avec gagnon svp", "Bonjour, je voudrais mardi 9h40 avec le Dr Gagnon svp"]
)
def test_a_greeting_with_a_day_is_the_day(text: str) -> None:
    """As "vendredi matin" alone, or as asking to book: either way the engine books from the `when` (or fills the one
    it asked for); never a greeting, which would answer "bonjour"."""
    understanding = read(text)
    assert understanding.intent in (Intent.NONE, Intent.BOOK)
    assert understanding.when is not None and understanding.practitioner == "gagnon"


def test_a_greeting_alone_is_a_greeting() -> None:
    assert read("Bonjour!").intent is Intent.GREETING


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # A move said without its verb: their appointment, or their not coming, with another time wanted.
        ("mon rdv de mercredi tombe mal, auriez-vous quelque chose jeudi?", Intent.RESCHEDULE),
        ("je pourrai pas être là vendredi, avez-vous autre chose la semaine prochaine", Intent.RESCHEDULE),
        ("I have an appointment on Tuesday but I'd rather come Thursday", Intent.RESCHEDULE),
        ("can't make it tomorrow, could we do friday instead?", Intent.RESCHEDULE),
        # Giving the slot up, in other words than "annuler".
        ("je me désiste pour jeudi, merci", Intent.CANCEL),
        ("please free up my slot on friday", Intent.CANCEL),
        ("no need to rebook, I won't be able to come thursday", Intent.CANCEL),
        ("something came up, I won't be able to make it tomorrow", Intent.CANCEL),
        # Someone else's appointment asked about.
        ("Ma fille a rdv quand déjà?", Intent.MY_APPOINTMENTS),
        ("est-ce que mon mari a encore son rendez-vous cette semaine?", Intent.MY_APPOINTMENTS),
        ("rappelez-moi mon heure pour jeudi svp", Intent.MY_APPOINTMENTS),
        # A cancel whose next booking is for later; moving it earlier.
        ("annulez mon rdv de mercredi, je vais en reprendre un en janvier", Intent.CANCEL),
        ("please cancel thursday, I'll rebook when I'm back from Toronto", Intent.CANCEL),
        ("y'aurait-tu quelque chose plus tôt que le 18?", Intent.RESCHEDULE),
        # A yes that says to go ahead, a stop and a start in other words.
        ("yes please book it", Intent.YES),
        ("oui réservez-le svp", Intent.YES),
        ("svp retirez mon numéro, je ne suis pas patiente chez vous", Intent.STOP),
        ("je voudrais réactiver les textos de rappel", Intent.START),
    ],
)
def test_a_task_said_in_other_words(text: str, intent: Intent, monkeypatch: pytest.MonkeyPatch) -> None:
    assert understand(text, today=TODAY).intent is intent
    monkeypatch.setattr("bot.nlu.intents.CONFIDENT_MARGIN", float("inf"))  # and by the rules alone
    assert understand(text, today=TODAY).intent is intent


def test_asking_for_a_slot_beside_ones_own_appointment_is_no_move(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "j'ai un rdv demain, vous avez tu de la place pour mon fils aussi?"
    assert understand(text, today=TODAY).intent is Intent.BOOK
    monkeypatch.setattr("bot.nlu.intents.CONFIDENT_MARGIN", float("inf"))
    assert understand(text, today=TODAY).intent is not Intent.RESCHEDULE
