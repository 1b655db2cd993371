"""The inbound spool on a real disk: whole files only, oldest first, each message claimed by one process only,
claims of dead processes taken back, and a replay that stops at the first message the database still refuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import OperationalError

from bot.channels.sms_sender import TwilioSender
from bot.core.vocabulary import Channel
from bot.engine.replies import BotTurn, Reply
from bot.spool import FAILED_DIR, STALE_CLAIM_S, InboundSpool, SpooledMessage, SpoolReplay
from fakes.twilio_recorder import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, TwilioRecorder

T0 = datetime(2026, 11, 23, 14, tzinfo=UTC)


def message(n: int, text: str = "rdv demain") -> SpooledMessage:
    return SpooledMessage(
        "+15145550100", f"+151455501{n:02d}", text, Channel.SMS, f"SM{n:032d}", T0 + timedelta(seconds=n)
    )


def test_messages_come_back_whole_and_oldest_first(tmp_path: Path) -> None:
    spool = InboundSpool(tmp_path / "spool")
    assert not spool.has_pending()
    for n in (3, 1, 2):
        spool.keep(message(n, f"texte {n} é"))
    (tmp_path / "spool" / ".half-written.tmp").write_text('{"clinic_num', encoding="utf-8")  # a crash mid-write
    assert spool.has_pending()
    claimed = list(spool.claim_each())
    assert [m.text for _, m in claimed] == ["texte 1 é", "texte 2 é", "texte 3 é"]
    assert claimed[0][1] == message(1, "texte 1 é")
    for path, _ in claimed:
        spool.done(path)
    assert not spool.has_pending() and [p.name for p in (tmp_path / "spool").iterdir()] == [".half-written.tmp"]


def test_two_processes_never_take_the_same_message(tmp_path: Path) -> None:
    spool = InboundSpool(tmp_path)
    for n in range(40):
        spool.keep(message(n))
    taker = (
        "import sys; from pathlib import Path; from bot.spool import InboundSpool\n"
        "for path, m in InboundSpool(Path(sys.argv[1])).claim_each(): print(m.sid, flush=True)\n"
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", taker, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    taken = [line for run in runs for line in run.communicate(timeout=60)[0].split()]
    assert sorted(taken) == sorted(message(n).sid for n in range(40))  # type: ignore[type-var]


def test_a_claim_left_by_a_dead_process_is_taken_back(tmp_path: Path) -> None:
    spool = InboundSpool(tmp_path)
    spool.keep(message(1))
    [(claimed, _)] = list(spool.claim_each())  # and then the process died
    assert list(spool.claim_each()) == []
    old = time.time() - STALE_CLAIM_S - 1
    os.utime(claimed, (old, old))
    assert [m.sid for _, m in spool.claim_each()] == [message(1).sid]


def test_a_replay_texts_answers_sets_aside_what_fails_and_stops_while_the_database_refuses(tmp_path: Path) -> None:
    spool = InboundSpool(tmp_path)
    for n in (1, 2, 3, 4):
        spool.keep(message(n))

    def answer(m: SpooledMessage) -> BotTurn | None:
        if m.sid == message(2).sid:
            raise ValueError("a bug that this message triggers every time")
        if m.sid == message(3).sid:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError())
        return BotTurn(replies=[Reply(f"réponse à {m.patient_number}")])

    with TwilioRecorder() as recorder:
        sender = TwilioSender(FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, api_base_url=recorder.base_url)
        assert SpoolReplay(spool, answer, sender).run() == 1
        assert [m.body for m in recorder.messages] == ["réponse à +15145550101"]
    [set_aside] = (tmp_path / FAILED_DIR).iterdir()
    assert json.loads(set_aside.read_text(encoding="utf-8"))["sid"] == message(2).sid, "kept for a person to see"
    assert [m.sid for _, m in spool.claim_each()] == [message(3).sid, message(4).sid], "both wait, in order"
