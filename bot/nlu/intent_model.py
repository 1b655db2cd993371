"""A linear intent model over a message's character and word n-grams.

It is trained at build time with scikit-learn on the labelled tables (`python -m tests.nlu.train_intents`, never on
the held-out fifth) and shipped as its weights, `intent_model.json`; reading a message is a sum of weights, so it
costs tens of microseconds and needs neither scikit-learn nor numpy at run time. The features are `grams()`, the
same function at training and at run time: each word's character 2- to 5-grams with a space on either side (a
misspelt "rendevous" still shares most of "rendez-vous"'s), and the words and word pairs.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

from bot.nlu.model import Intent

WEIGHTS_FILE = "intent_model.json"
SHORTEST_GRAM, LONGEST_GRAM = 2, 5
_WORD = re.compile(r"\w\w+")
WORD_MARK = "w:"  # a word or a word pair, told apart from the character grams
#: Cross-validated with the margin on 1,400 outsiders' messages: a third to three quarters read as well (within 0.2
#: point); two thirds also keeps code and stray text ("SELECT * FROM slots WHERE id = 1") to the rules.
KNOWN_WORDS_SHARE = 2 / 3


def grams(normalised: str) -> list[str]:
    """The features of a normalised message: character n-grams of each padded word, then "w:" words and word pairs."""
    features = [gram for word in normalised.split() for gram in _word_grams(word)]
    words = _WORD.findall(normalised)
    features.extend(f"{WORD_MARK}{word}" for word in words)
    features.extend(f"{WORD_MARK}{first} {second}" for first, second in zip(words, words[1:], strict=False))
    return features


@lru_cache(maxsize=8192)  # patients' words repeat: "rdv", "demain", "svp" are cut once
def _word_grams(word: str) -> tuple[str, ...]:
    padded = f" {word} "
    sizes = range(SHORTEST_GRAM, min(LONGEST_GRAM, len(padded)) + 1)
    return tuple(padded[start : start + size] for size in sizes for start in range(len(padded) - size + 1))


@dataclass(frozen=True)
class Guess:
    """The model's intent for a message, and by how much it beat the runner-up: 0 when the model knows fewer than
    two thirds of the message's words ("wi", lorem ipsum), as a guess from letters and stray words is not worth
    taking."""

    intent: Intent
    margin: float


@dataclass(frozen=True)
class IntentModel:
    """One linear score per intent: its intercept plus the weights of the message's known grams, which count as
    present or not and are scaled to a unit vector (as scikit-learn's binary, l2-normalised features)."""

    intents: tuple[Intent, ...]
    intercepts: tuple[float, ...]
    # Every gram seen at training, with its non-negligible weights as (intent index, weight); a gram may have none
    # and still count in the scaling.
    weights: dict[str, tuple[tuple[int, float], ...]]
    # The same weights as one value per intent, so that a message's scores are summed by zip() and sum() in C.
    _vectors: dict[str, tuple[float, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        none = (0.0,) * len(self.intents)
        vectors = {gram: _dense(pairs, len(self.intents)) if pairs else none for gram, pairs in self.weights.items()}
        object.__setattr__(self, "_vectors", vectors)

    def guess(self, normalised: str) -> Guess:
        """The best-scoring intent of a normalised message."""
        known = self._vectors.keys() & set(grams(normalised))
        if not known:
            return Guess(self.intents[max(range(len(self.intents)), key=self.intercepts.__getitem__)], 0.0)
        scale = 1 / math.sqrt(len(known))
        sums = map(sum, zip(*map(self._vectors.__getitem__, known), strict=True))
        scores = [intercept + total * scale for intercept, total in zip(self.intercepts, sums, strict=True)]
        ranked = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)
        best, runner_up = ranked[0], ranked[1]
        return Guess(self.intents[best], scores[best] - scores[runner_up] if self._knows(normalised) else 0.0)

    def _knows(self, normalised: str) -> bool:
        """Whether most of the message's words were seen at training: only then is a guess worth taking."""
        words = _WORD.findall(normalised)
        known = sum(f"{WORD_MARK}{word}" in self._vectors for word in words)
        return bool(words) and known >= KNOWN_WORDS_SHARE * len(words)

    def to_json(self) -> str:
        """The model as its weights file, one gram per line so that a retraining's diff can be read."""
        head = {"intents": [str(intent) for intent in self.intents], "intercepts": list(self.intercepts)}
        lines = [f"{json.dumps(gram, ensure_ascii=False)}: {json.dumps(pairs)}" for gram, pairs in self.weights.items()]
        return json.dumps(head, ensure_ascii=False)[:-1] + ', "weights": {\n' + ",\n".join(lines) + "\n}}\n"

    @classmethod
    def from_json(cls, text: str) -> IntentModel:
        """A model from its weights file."""
        data = json.loads(text)
        return cls(
            intents=tuple(Intent(name) for name in data["intents"]),
            intercepts=tuple(data["intercepts"]),
            weights={
                gram: tuple((index, weight) for index, weight in pairs) for gram, pairs in data["weights"].items()
            },
        )


def _dense(pairs: tuple[tuple[int, float], ...], size: int) -> tuple[float, ...]:
    vector = [0.0] * size
    for index, weight in pairs:
        vector[index] = weight
    return tuple(vector)


@cache
def shipped_intent_model() -> IntentModel:
    """The model trained at build time, read once per process (it is data, like a compiled pattern)."""
    return IntentModel.from_json(resources.files("bot.nlu").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8"))
