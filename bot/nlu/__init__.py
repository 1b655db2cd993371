"""Natural-language understanding for patients' SMS and speech, in Québec French and English.

Deterministic and fast: rules and word lists, no model and no network. `understand()` reads a message;
`warm_up()` loads dateparser's data at start-up.
"""

from bot.nlu.language import detect_language
from bot.nlu.model import Intent, Keyword, Understanding, Urgency, When
from bot.nlu.understand import understand, warm_up

__all__ = [
    "Intent",
    "Keyword",
    "Understanding",
    "Urgency",
    "When",
    "detect_language",
    "understand",
    "warm_up",
]
