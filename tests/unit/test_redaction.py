"""The one redaction point of logs (issue 12, point 8): numbers masked, health-card numbers hidden, tracebacks
redacted, fields outside the allowlist dropped; and SQL errors never quote their values."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.db.session import Database
from bot.state.masking import RedactingFilter, redact, redact_logs


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("from +15145550172 to +15145550100", "from +1514555**** to +1514555****"),
        ("call (514) 555-0172 or 514.555.0173", "call 514555**** or 514555****"),
        ("1 514 555 0174", "1514555****"),
        ("carte TREM 1234 5678 et trem12345678", "carte [health card] et [health card]"),
        ("sid SM0123456789abcdef0123456789abcdef at 2026-12-02 14:22:33", None),
        ("Key (phone)=(+15145550172) already exists", "Key (phone)=(+1514555****) already exists"),
    ],
)
def test_redact(written: str, shown: str | None) -> None:
    assert redact(written) == (written if shown is None else shown)


def test_the_filter_redacts_message_arguments_and_tracebacks_and_drops_other_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("tests.redaction")
    caplog.handler.addFilter(RedactingFilter())
    try:
        raise ValueError("patient +15145550175 card ABCD 1234 5678")
    except ValueError:
        logger.exception("turn for %s failed", "+15145550176", extra={"body": "j'ai mal", "patient": "x"})
    assert "+15145550175" not in caplog.text and "+15145550176" not in caplog.text and "ABCD" not in caplog.text
    assert "turn for +1514555**** failed" in caplog.text and "ValueError: patient +1514555****" in caplog.text
    record = caplog.records[-1]
    assert not hasattr(record, "body") and not hasattr(record, "patient")


def test_redact_logs_puts_the_filter_on_every_handler_once() -> None:
    handler = logging.StreamHandler()
    logging.getLogger("tests.redaction.server").addHandler(handler)
    try:
        redact_logs("tests.redaction.server")
        redact_logs("tests.redaction.server")
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
        assert logging.lastResort is not None
        assert any(isinstance(f, RedactingFilter) for f in logging.lastResort.filters)
    finally:
        logging.getLogger("tests.redaction.server").removeHandler(handler)


def test_sql_errors_never_quote_the_values_bound(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    with pytest.raises(IntegrityError) as failed, database.engine.begin() as connection:
        for _ in range(2):
            connection.execute(
                text("INSERT INTO patients (phone, language, created_at) VALUES (:phone, 'fr', '2026-12-02')"),
                {"phone": "+15145550177"},
            )
    assert "+15145550177" not in str(failed.value)
    database.dispose()
