"""Flow tests in the style of rasa-calm-demo's e2e tests (tests/flow_cases/*.yml): each step sends what the patient
texts or says and asserts what ran — the flows started and completed, the slots set, the responses uttered — not
the wording. Conversations run on the demo clinic at 9:00 on a Monday of two open weeks (next Wednesday closed).

    test_cases:
      - test_case: what it shows
        channel: voice            # sms unless said
        setup: {appointments: [{day: thu, time: "10:00", practitioner: gagnon}], language: en}
        steps:
          - user: "rdv jeudi pm"
            assertions:
              - flow_started: book_appointment
              - slot_was_set: {name: when, value: {part_of_day: afternoon}}   # value: the keys given must match
              - bot_uttered: utter_offer_slots
              - bot_did_not_utter: utter_not_understood
              - flow_completed: book_appointment
              - slot_was_not_set: chosen_slot
              - language: en
              - handoff: hang_up          # the phone ends the call (transfer: puts the caller through)
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.assistant import Assistant, Inbound
from bot.bootstrap import bootstrap
from bot.channels.voice import caller_words
from bot.core.vocabulary import Channel
from bot.engine.replies import BotTurn, Happening
from bot.settings import Settings
from tests.dialogue.runner import BASE_URL, TOKEN, Moment, set_up, the_week
from webhooks import create_app

HERE = Path(__file__).parent
PATIENT = "+15145550175"
_KINDS = {"flow_started", "flow_completed", "slot_was_set", "slot_was_not_set", "bot_uttered", "bot_did_not_utter"}


def load_cases() -> list[Any]:
    cases = []
    for path in sorted(HERE.glob("*.yml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["test_cases"]:
            cases.append(pytest.param(case, id=f"{path.stem}: {case['test_case']}"))
    return cases


@pytest.fixture(scope="module")
def moment() -> Iterator[Moment]:
    with the_week() as week:
        yield week


def _matches(expected: Any, value: Any) -> bool:
    """A slot's value matches when it equals the expected one, or holds every key a dict gives."""
    if isinstance(expected, Mapping) and isinstance(value, Mapping):
        return all(key in value and _matches(item, value[key]) for key, item in expected.items())
    return bool(expected == value)


def check(assertion: Mapping[str, Any], turn: BotTurn) -> str | None:
    """What an assertion finds missing from a turn, or None."""
    [(kind, expected)] = assertion.items()
    flows = {e.name for e in turn.events if e.happening is Happening.FLOW_STARTED}
    completed = {e.name for e in turn.events if e.happening is Happening.FLOW_COMPLETED}
    slots = [(e.name, e.value) for e in turn.events if e.happening is Happening.SLOT_SET]
    uttered = [reply.response for reply in turn.replies]
    if kind == "language":
        return None if turn.language == expected else f"answered in {turn.language}"
    if kind == "handoff":
        return None if turn.handoff == expected else f"handoff {turn.handoff}"
    if kind not in _KINDS:
        raise ValueError(f"unknown assertion {kind}")
    if kind == "flow_started" and expected not in flows:
        return f"flow {expected} not started (started: {sorted(flows)})"
    if kind == "flow_completed" and expected not in completed:
        return f"flow {expected} not completed (completed: {sorted(completed)})"
    if kind == "bot_uttered" and expected not in uttered:
        return f"{expected} not uttered (uttered: {uttered})"
    if kind == "bot_did_not_utter" and expected in uttered:
        return f"{expected} uttered"
    if kind == "slot_was_not_set" and any(name == expected for name, _ in slots):
        return f"slot {expected} set"
    if kind == "slot_was_set":
        name, value = expected["name"], expected.get("value")
        found = [v for n, v in slots if n == name]
        if not found or ("value" in expected and not any(_matches(value, v) for v in found)):
            return f"slot {name} not set to {value!r} (set: {found})"
    return None


@pytest.mark.parametrize("case", load_cases())
def test_flow_case(case: dict[str, Any], moment: Moment, tmp_path: Path) -> None:
    shutil.copyfile(moment.template, tmp_path / "rdvbot.db")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'rdvbot.db'}",
        twilio_auth_token=TOKEN,
        public_base_url=BASE_URL,
        clinics_file=moment.clinics_file,
    )
    services = bootstrap(settings)
    clinic = services.clinics.clinics[0]
    nine = datetime.combine(moment.monday, time(9), clinic.zone)
    ticks = iter(range(10_000))
    app = create_app({"TESTING": True, "SERVICES": services, "CLOCK": lambda: nine + timedelta(seconds=next(ticks))})
    assistant: Assistant = app.extensions["rdvbot.assistant"]
    set_up(services, case.get("setup") or {}, moment, PATIENT)
    channel = Channel(case.get("channel", "sms"))
    number = clinic.voice_number if channel is Channel.VOICE else clinic.sms_number
    assert number is not None
    turn = BotTurn()
    if channel is Channel.VOICE:
        # The carrier vouches for the number unless the case says otherwise (tests/webhooks/test_voice_identity.py).
        attested = case.get("attested", True)
        call = Inbound(
            number, PATIENT, "", channel, f"CA{uuid.uuid4().hex}", starts_call=True, caller_attested=attested
        )
        turn = assistant.answer(call)
    try:
        for index, step in enumerate(case["steps"], start=1):
            said = str(step["user"])
            if channel is Channel.VOICE and said.isdigit():  # keys, read as the voice webhook reads them
                said = caller_words(said, "", turn.expects, turn.language)
            turn = assistant.answer(Inbound(number, PATIENT, said, channel, f"SM{uuid.uuid4().hex}"))
            for assertion in step.get("assertions", []):
                failure = check(assertion, turn)
                answer = " | ".join(reply.text for reply in turn.replies)
                assert failure is None, f"step {index} ({step['user']!r}): {failure}; said: {answer}"
    finally:
        services.database.dispose()
