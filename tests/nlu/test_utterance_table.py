"""The labelled utterance table (utterances.yaml): accuracy per field, and exact picks, times and dates.

Run with `-s` to see the accuracy table; it is also part of the failure message.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.vocabulary import PartOfDay
from bot.nlu import Intent, Keyword, Understanding, Urgency, When, understand

TABLE = yaml.safe_load(Path(__file__).with_name("utterances.yaml").read_text(encoding="utf-8"))
TODAY: date = TABLE["today"]
PRACTITIONERS: dict[str, list[str]] = TABLE["practitioners"]
ROWS: list[dict[str, Any]] = TABLE["utterances"]

LABELS = {
    "text",
    "lang",
    "intent",
    "urgency",
    "keyword",
    "pick",
    "pick_time",
    "when",
    "practitioner",
    "language_switch",
}
WHEN_LABELS = {"day", "first_day", "last_day", "part_of_day", "at", "after", "before", "ambiguous_dates", "earliest"}
# Fields whose label must match exactly on every row: a mislabelled row fails.
EXACT_FIELDS = ("pick", "pick_time", "when", "keyword", "practitioner", "language_switch")
FIELDS = ("intent", "language", "urgency", *EXACT_FIELDS)


def expected_when(label: Mapping[str, Any] | None) -> When | None:
    """The `When` a row's `when` label stands for (`day` is a one-day range)."""
    if label is None:
        return None
    assert set(label) <= WHEN_LABELS, f"unknown when label in {label}"
    return When(
        first_day=label.get("first_day", label.get("day")),
        last_day=label.get("last_day", label.get("day")),
        part_of_day=PartOfDay(label["part_of_day"]) if "part_of_day" in label else None,
        at=time.fromisoformat(label["at"]) if "at" in label else None,
        ambiguous_dates=tuple(label.get("ambiguous_dates", ())),
        earliest=label.get("earliest", False),
        after=time.fromisoformat(label["after"]) if "after" in label else None,
        before=time.fromisoformat(label["before"]) if "before" in label else None,
    )


def expected_fields(row: Mapping[str, Any]) -> dict[str, object]:
    """What `understand` must return for a row; a field the row leaves out is expected to be None."""
    assert set(row) <= LABELS, f"unknown label in {row}"
    return {
        "intent": Intent(row["intent"]),
        "language": row["lang"],
        "urgency": Urgency(row["urgency"]) if "urgency" in row else None,
        "keyword": Keyword(row["keyword"]) if "keyword" in row else None,
        "pick": row.get("pick"),
        "pick_time": time.fromisoformat(row["pick_time"]) if "pick_time" in row else None,
        "when": expected_when(row.get("when")),
        "practitioner": row.get("practitioner"),
        "language_switch": row.get("language_switch"),
    }


def understood(row: Mapping[str, Any]) -> Understanding:
    return understand(row["text"], today=TODAY, practitioners=PRACTITIONERS)


Results = list[tuple[dict[str, object], Understanding]]


def missed_red_flags(results: Results) -> list[str]:
    return [
        actual.text for expected, actual in results if expected["urgency"] and actual.urgency != expected["urgency"]
    ]


def false_red_flags(results: Results) -> list[str]:
    return [actual.text for expected, actual in results if actual.urgency and not expected["urgency"]]


def accuracy_report(results: Results) -> tuple[dict[str, float], str]:
    """Accuracy per field and a printable table of it, with the red-flag counts and the intents missed."""
    lines = [f"{'field':<16}{'right':>6}{'rows':>6}{'accuracy':>10}"]
    accuracy = {}
    for field in FIELDS:
        right = sum(expected[field] == getattr(actual, field) for expected, actual in results)
        accuracy[field] = right / len(results)
        lines.append(f"{field:<16}{right:>6}{len(results):>6}{accuracy[field]:>10.1%}")
    flags = sum(bool(expected["urgency"]) for expected, _ in results)
    found = flags - len(missed_red_flags(results))
    lines.append(f"urgency recall: {found}/{flags}, false positives: {len(false_red_flags(results))}")
    french = sum(expected["language"] == "fr" for expected, _ in results)
    lines.append(f"rows: {len(results)}, French: {french} ({french / len(results):.0%})")
    lines += [
        f"intent miss: {actual.text!r} expected {expected['intent']}, got {actual.intent}"
        for expected, actual in results
        if expected["intent"] != actual.intent
    ]
    return accuracy, "\n".join(lines)


def test_the_table_is_large_and_mostly_french() -> None:
    french = [row for row in ROWS if row["lang"] == "fr"]
    assert len(ROWS) >= 150
    assert len(french) / len(ROWS) >= 0.60


def test_accuracy_per_field() -> None:
    results = [(expected_fields(row), understood(row)) for row in ROWS]
    accuracy, report = accuracy_report(results)
    print("\n" + report)
    assert accuracy["intent"] >= 0.95, report
    assert not missed_red_flags(results), f"urgency recall below 1.0: {missed_red_flags(results)}\n{report}"
    assert not false_red_flags(results), f"urgency false positives: {false_red_flags(results)}\n{report}"
    assert accuracy["language"] >= 0.90, report


@pytest.mark.parametrize("row", ROWS, ids=[repr(row["text"])[:40] for row in ROWS])
def test_exact_fields(row: dict[str, Any]) -> None:
    expected, actual = expected_fields(row), understood(row)
    assert {field: getattr(actual, field) for field in EXACT_FIELDS} == {
        field: expected[field] for field in EXACT_FIELDS
    }
