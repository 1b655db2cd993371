"""What logs may show (SPEC §5: an allowlist of fields, phone numbers masked, no message bodies)."""

from __future__ import annotations

import logging
import re

MASKED_DIGITS = 4


def mask_number(e164: str) -> str:
    """`e164` with its last four characters hidden: "+15145550142" -> "+1514555****"."""
    return e164[:-MASKED_DIGITS] + "*" * MASKED_DIGITS if len(e164) > MASKED_DIGITS else "*" * MASKED_DIGITS


#: A phone number as it may appear in a log line: E.164, or North American digits with the usual separators.
_PHONE = re.compile(
    r"(?<![\w+])\+\d[\d\s.-]{6,17}\d(?!\w)|(?<!\w)(?:1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\w)"
)
#: A Québec health-card (RAMQ) number: four letters and eight digits, spaced or not.
_HEALTH_CARD = re.compile(r"\b[A-Za-z]{4}\s?\d{4}\s?\d{4}\b")
#: What a log record may carry besides the logging module's own fields: nothing of a patient's.
ALLOWED_EXTRA_FIELDS: frozenset[str] = frozenset()
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


def redact(text: str) -> str:
    """`text` with phone numbers masked and health-card numbers hidden."""
    text = _HEALTH_CARD.sub("[health card]", text)
    return _PHONE.sub(lambda found: mask_number(re.sub(r"[^\d+]", "", found.group())), text)


class RedactingFilter(logging.Filter):
    """The one place log records are made safe, on every handler: the message, its arguments and any traceback are
    redacted into the message, and fields outside the allowlist are dropped before a formatter sees them."""

    _tracebacks = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info:
            record.exc_text = redact(self._tracebacks.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name in set(vars(record)) - _RECORD_FIELDS - ALLOWED_EXTRA_FIELDS:
            delattr(record, name)
        return True


def redact_logs(*logger_names: str) -> None:
    """Put `RedactingFilter` on every handler of the root logger, of `logger_names` and on logging's last resort
    (what prints warnings when nothing was configured); safe to call again."""
    handlers = [logging.lastResort] if logging.lastResort else []
    for name in ("", *logger_names):
        handlers.extend(logging.getLogger(name).handlers)
    for handler in handlers:
        if not any(isinstance(existing, RedactingFilter) for existing in handler.filters):
            handler.addFilter(RedactingFilter())
