"""The flow files load, and a broken reference stops start-up with the file, flow and step named."""

from __future__ import annotations

import ast
import re
import shutil
from importlib import resources
from pathlib import Path

import pytest

from bot.actions import ACTION_NAMES
from bot.bootstrap import FLOW_NAMES_USED
from bot.engine.flows import CodeNames, FlowError, load_flow_book
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
            'cancel_appointment.yml: flow cancel_appointment, step 3 (id choose): unknown slot "chosen_apointment"',
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


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("utter_greet", 'bot/assistant.py: unknown response "utter_greet"'),
        ("utter_booked_by_phone", 'bot/outbox/replay.py: unknown response "utter_booked_by_phone"'),
        ("utter_unavailable_open", 'bot/actions/clinic.py: unknown response "utter_unavailable_open"'),
        ("pattern_timeout", 'bot/engine/engine.py: unknown flow "pattern_timeout"'),
        ("pick", 'bot/outbox/replay.py: flow find_slot: no step with id "pick"'),
        ("find_slot", 'bot/outbox/replay.py: unknown flow "find_slot"'),
    ],
)
def test_a_name_python_code_uses_is_checked_when_the_flows_load(flows_copy: Path, name: str, message: str) -> None:
    for path in flows_copy.glob("*.yml"):  # renamed everywhere: the flows agree with themselves, not with the code
        path.write_text(re.sub(rf"\b{name}\b", f"{name}_renamed", path.read_text(encoding="utf-8")), encoding="utf-8")
    load_flow_book(ACTION_NAMES, INTENTS, flows_copy)
    with pytest.raises(FlowError) as caught:
        load_flow_book(ACTION_NAMES, INTENTS, flows_copy, used_by_code=FLOW_NAMES_USED)
    assert message in str(caught.value)


def test_a_trigger_python_code_relies_on_is_checked_when_the_flows_load(flows_copy: Path) -> None:
    replace_in(flows_copy / "help.yml", "nlu_trigger: [help]", "nlu_trigger: []")
    with pytest.raises(FlowError) as caught:
        load_flow_book(ACTION_NAMES, INTENTS, flows_copy, used_by_code=FLOW_NAMES_USED)
    assert 'bot/engine/engine.py: no flow is started by intent "help"' in str(caught.value)


def _code_files() -> list[Path]:
    root = Path(__file__).resolve().parents[2]
    return sorted(path for package in ("bot", "webhooks", "rdvbot") for path in (root / package).rglob("*.py"))


def test_every_flow_name_python_code_uses_is_declared_for_the_check_at_start() -> None:
    declared = {names.module: names for names in FLOW_NAMES_USED}
    flows = set(load_flow_book(ACTION_NAMES, INTENTS).flows)
    root = Path(__file__).resolve().parents[2]
    for path in _code_files():
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        literals = {
            node.value
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        # Flow ids that are also intents' names ("help") are the NLU's words there, not references to flows.
        used = {t for t in literals if re.fullmatch(r"(utter|pattern)_[a-z_]*[a-z]", t) or t in flows - set(INTENTS)}
        names = declared.get(module, CodeNames(module))
        known = {
            *names.responses,
            *names.flows,
            *(f for f, _ in names.steps),
            *(f for pair in names.calls for f in pair),
        }
        assert used <= known, f"{module} uses {sorted(used - known)} without declaring them in its NAMES_USED"
