"""The engine stops a flow that would loop without ever waiting for the patient."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clinics.config import ClinicsFile
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine, FlowRuntimeError, TurnContext
from bot.engine.flows import load_flow_book
from bot.nlu import Intent, understand

LOOPING_FLOWS = """
slots:
  confirmed: {type: yes_no}
responses:
  utter_again: {fr: "Encore", en: "Again"}
flows:
  loop_forever:
    description: A broken flow whose steps never wait for the patient.
    nlu_trigger: [book]
    steps:
      - id: again
        action: utter_again
        next: again
"""


def test_a_flow_that_never_waits_is_stopped(tmp_path: Path, demo_clinics: ClinicsFile) -> None:
    (tmp_path / "loop.yml").write_text(LOOPING_FLOWS, encoding="utf-8")
    engine = Engine(load_flow_book({}, [i.value for i in Intent], tmp_path), {})
    conversation = Conversation()
    context = TurnContext(demo_clinics.clinics[0], "+15145550138", "sms", datetime.now(UTC))
    with pytest.raises(FlowRuntimeError):
        engine.handle(conversation, understand("rdv", today=context.today), context)
    assert conversation.stack == [] and conversation.slots == {}, "the broken request is dropped"
