"""Which of the clinic's practitioners a message names ("avec Tremblay", "Dre Isabelle Tremblay", "dr gagnon")."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

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
