"""Trains the intent model on the labelled tables and writes bot/nlu/intent_model.json.

`python -m tests.nlu.train_intents` after a change to a table or to `bot.nlu.intent_model.grams`;
tests/nlu/test_intent_model.py fails while the shipped weights are not those of the tables. The held-out fifth
(outsiders_heldout.yaml) is never trained on.

A linear SVM (scikit-learn's LinearSVC) over binary, l2-normalised grams; weights too small to change a reading are
dropped and the rest rounded, which keeps the file small at no cost in accuracy on held-out folds of the dev table.
Only the intents the model may decide are trained: red flags, phones' reactions and carrier keywords are read by
their own deterministic readers first, and so are opt-outs and opt-ins, which no guess may decide.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from bot.nlu.intent_model import IntentModel, grams
from bot.nlu.intents import find_reaction
from bot.nlu.keywords import carrier_keyword
from bot.nlu.model import Intent
from bot.nlu.normalise import normalise
from bot.nlu.safety import find_urgency
from bot.nlu.understand import ANALYSED_CHARACTERS
from tests.nlu.outsiders import HERE, SAME_INTENT, load

TABLES = tuple(
    HERE / name
    for name in (
        "utterances.yaml",
        "outsiders_dev.yaml",
        "outsiders_tune.yaml",
        "outsiders_more.yaml",
        "outsiders_extra.yaml",
        "outsiders_stories.yaml",
        "outsiders_spoken.yaml",
        "outsiders_everyday.yaml",
        "outsiders_bilingual.yaml",
        "outsiders_dates.yaml",
        "outsiders_calls.yaml",
    )
)
HELD_OUT = HERE / "outsiders_heldout.yaml"
WEIGHTS = Path(__file__).parents[2] / "bot" / "nlu" / "intent_model.json"
#: Decided by deterministic readers and rules, never by the model.
NOT_GUESSED = frozenset({Intent.EMERGENCY, Intent.STOP, Intent.START})
REGULARISATION = 1.0
FEWEST_MESSAGES_PER_GRAM = 2
SMALLEST_WEIGHT = 0.05
DECIMALS = 3


def examples(tables: Sequence[Path] = TABLES) -> Iterator[tuple[str, Intent]]:
    """(normalised text, intent) of every labelled message the model is to learn from: never the held-out fifth,
    nor a message another writer happened to write word for word as one of it ("oui", "c'est quand mon rdv")."""
    assert HELD_OUT not in tables, "the held-out fifth is never trained on"
    held_out = {normalise(str(row["text"])) for row in load(HELD_OUT)[1]}
    for table in tables:
        _, rows = load(table)
        for row in rows:
            normalised = normalise(str(row["text"]))
            intent = Intent(SAME_INTENT.get(str(row["intent"]), str(row["intent"])))
            decided_before = find_urgency(normalised) or find_reaction(normalised) or carrier_keyword(normalised)
            if intent not in NOT_GUESSED and not decided_before and normalised not in held_out:
                yield normalised[:ANALYSED_CHARACTERS], intent


def train(tables: Sequence[Path] = TABLES) -> IntentModel:
    """The intent model of these tables."""
    texts, intents = zip(*examples(tables), strict=True)
    vectoriser = TfidfVectorizer(analyzer=grams, binary=True, use_idf=False, min_df=FEWEST_MESSAGES_PER_GRAM)
    features = vectoriser.fit_transform(texts)
    svm = LinearSVC(C=REGULARISATION, random_state=0, max_iter=10_000).fit(features, [str(i) for i in intents])
    classes = [Intent(name) for name in svm.classes_]
    weights: dict[str, tuple[tuple[int, float], ...]] = {}
    for gram, column in sorted(vectoriser.vocabulary_.items()):
        weights[gram] = tuple(
            (index, round(float(weight), DECIMALS))
            for index, weight in enumerate(svm.coef_[:, column])
            if abs(weight) >= SMALLEST_WEIGHT
        )
    return IntentModel(
        intents=tuple(classes),
        intercepts=tuple(round(float(value), DECIMALS) for value in svm.intercept_),
        weights=weights,
    )


def main() -> None:
    """Train on the tables and write the weights file."""
    model = train()
    WEIGHTS.write_text(model.to_json(), encoding="utf-8")
    pairs = sum(len(pairs) for pairs in model.weights.values())
    print(f"{WEIGHTS}: {len(model.intents)} intents, {len(model.weights)} grams, {pairs} weights")


if __name__ == "__main__":
    main()
