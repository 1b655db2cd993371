"""The flow files load, and a broken reference stops start-up with the file, flow and step named."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from bot.actions import ACTION_NAMES
from bot.engine.flows import FlowError, load_flow_book
from bot.nlu import Intent

INTENTS = [intent.value for intent in Intent]


@pytest.fixture
def flows_copy(tmp_path: Path) -> Path:
    source = Path(str(resources.files("flows")))
    for path in source.glob("*.yml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_shipped_flows_load_with_one_flow_per_trigger() -> None:
    book = load_flow_book(ACTION_NAMES, INTENTS)
    assert book.triggers["book"] == "book_appointment"
    assert book.triggers["cancel"] == "cancel_appointment"
    assert {
        "book_appointment",
        "reschedule_appointment",
        "cancel_appointment",
        "check_appointment",
        "help",
        "change_language",
        "human_handoff",
        "pattern_correction",
        "pattern_cancel_flow",
    } <= set(book.flows)
    assert all(flow.description for flow in book.flows.values())


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "book_appointment.yml",
            "action: action_book_slot",
            "action: action_book_slott",
            'book_appointment.yml: flow book_appointment, step 3 (id book): unknown action "action_book_slott"',
        ),
        (
            "book_appointment.yml",
            "ask: utter_confirm_booking",
            "ask: utter_confirm_bookin",
            'flow book_appointment, step 2 (id confirm): unknown response "utter_confirm_bookin"',
        ),
        (
            "cancel_appointment.yml",
            "collect: chosen_appointment",
            "collect: chosen_apointment",
            'cancel_appointment.yml: flow cancel_appointment, step 2 (id choose): unknown slot "chosen_apointment"',
        ),
        (
            "book_appointment.yml",
            "then: declined",
            "then: declind",
            'flow book_appointment, step 2 (id confirm): next goes to unknown step "declind"',
        ),
        (
            "book_appointment.yml",
            "- call: find_slot",
            "- call: find_slots",
            'flow book_appointment, step 1: unknown flow "find_slots"',
        ),
        (
            "book_appointment.yml",
            "      - id: book\n        action:",
            "      - id: book\n        collect: when\n        action:",
            "flow book_appointment at step 3 (id book): a step has exactly one of",
        ),
        (
            "book_appointment.yml",
            'if: slots.booking_outcome == "taken"',
            "if: slots.booking_outcome === taken",
            "cannot read condition",
        ),
        ("help.yml", "nlu_trigger: [help]", "nlu_trigger: [helpp]", 'help.yml: flow help: unknown intent "helpp"'),
        ("responses.yml", "{clinic_phone}.", "{clinic_fone}.", "unknown placeholder {clinic_fone}"),
        ("help.yml", "    description: Say what", "    descriptio: Say what", "help.yml: flow help at descriptio"),
    ],
)
def test_a_broken_reference_names_file_flow_and_step(
    flows_copy: Path, file: str, old: str, new: str, message: str
) -> None:
    replace_in(flows_copy / file, old, new)
    with pytest.raises(FlowError) as caught:
        load_flow_book(ACTION_NAMES, INTENTS, flows_copy)
    assert message in str(caught.value)
