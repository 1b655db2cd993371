"""Natural-language understanding for patients' SMS and speech, in Québec French and English.

Fast and without network: rules and word lists, and a small linear intent model shipped as its weights (trained
at build time; it decides only where it is sure, and never red flags, keywords or opt-outs). `understand()` reads a
message; `warm_up()` loads dateparser's data and the model's weights at start-up.
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
