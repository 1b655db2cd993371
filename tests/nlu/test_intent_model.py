"""The intent model: its shipped weights are those of the labelled tables, it never learns the held-out fifth, it
decides only where it is sure, and never what the deterministic readers decide."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu import Intent, understand
from bot.nlu.intent_model import IntentModel, shipped_intent_model
from bot.nlu.normalise import normalise
from tests.nlu.outsiders import load
from tests.nlu.train_intents import HELD_OUT, TABLES, examples, train

TODAY = date(2026, 12, 7)
# Weights are rounded to 3 decimals when written: a retraining may land on the other side of a rounding.
ROUNDING = 0.0015


@pytest.fixture(scope="module")
def retrained() -> IntentModel:
    return train()


def test_the_shipped_weights_are_those_of_the_tables(retrained: IntentModel) -> None:
    shipped = shipped_intent_model()
    assert shipped.intents == retrained.intents
    differ = shipped.weights.keys() ^ retrained.weights.keys()
    assert not differ, f"{len(differ)} grams differ; retrain: python -m tests.nlu.train_intents"
    drift = max(
        abs(a - b)
        for gram in shipped.weights
        for a, b in zip(_dense(shipped, gram), _dense(retrained, gram), strict=True)
    )
    assert drift <= ROUNDING, "retrain: python -m tests.nlu.train_intents"
    texts = [text for text, _ in examples()]
    assert [shipped.guess(t).intent for t in texts] == [retrained.guess(t).intent for t in texts]


def _dense(model: IntentModel, gram: str) -> list[float]:
    vector = [0.0] * len(model.intents)
    for index, weight in model.weights[gram]:
        vector[index] = weight
    return vector


def test_the_held_out_fifth_is_never_learnt() -> None:
    _, held_out = load(HELD_OUT)
    learnt = {text for text, _ in examples()}
    assert HELD_OUT not in TABLES
    assert learnt.isdisjoint(normalise(str(row["text"])) for row in held_out)
    with pytest.raises(AssertionError):
        list(examples((*TABLES, HELD_OUT)))


@pytest.mark.parametrize(
    ("text", "intent", "by_rules_alone"),
    [
        # Wording the rules read as another task: the model, sure of itself, decides.
        ("Can I move Thursday's appointment to the following week?", Intent.RESCHEDULE, Intent.BOOK),
        ("cé tu avec tremblay ou gagnon mon rdv", Intent.MY_APPOINTMENTS, Intent.BOOK),
        (
            "Bonjour, pourriez-vous me rappeler la date de mon prochain rendez-vous? Je l'ai noté quelque part",
            Intent.MY_APPOINTMENTS,
            Intent.HUMAN,
        ),
    ],
)
def test_where_the_model_is_sure_it_decides(
    text: str, intent: Intent, by_rules_alone: Intent, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert understand(text, today=TODAY).intent is intent
    monkeypatch.setattr("bot.nlu.intents.CONFIDENT_MARGIN", float("inf"))
    assert understand(text, today=TODAY).intent is by_rules_alone


def test_a_message_of_words_it_never_saw_is_left_to_the_rules() -> None:
    guess = shipped_intent_model().guess(normalise("wi"))
    assert guess.margin == 0.0
    assert understand("wi", today=TODAY).intent is Intent.YES


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("arrêtez de m'envoyer des textos svp", Intent.STOP),
        ("please stop messaging me", Intent.STOP),
        ("remettez-moi sur la liste", Intent.START),
        ("ANNULER", Intent.CANCEL),
        ("quand", Intent.MY_APPOINTMENTS),
        ("j'ai une douleur dans la poitrine pis j'ai de la misère à respirer", Intent.EMERGENCY),
    ],
)
def test_what_the_deterministic_readers_decide_is_never_guessed(
    text: str, intent: Intent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.nlu.intents.CONFIDENT_MARGIN", float("-inf"))  # the model would take everything else
    assert understand(text, today=TODAY).intent is intent


def test_a_model_survives_its_weights_file(retrained: IntentModel) -> None:
    again = IntentModel.from_json(retrained.to_json())
    assert again == retrained
    assert again.guess("rdv demain svp") == retrained.guess("rdv demain svp")
