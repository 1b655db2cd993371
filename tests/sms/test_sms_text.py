"""A turn as one SMS: within two segments, the last numbered options left out before any text is cut."""

from __future__ import annotations

from bot.channels.sms import sms_text
from bot.engine.replies import BotTurn, Reply
from bot.sms.segments import MAX_SEGMENTS, segment_count

HOURS = "Heures de la clinique: lun., mer., ven. 8 h à 17 h; mar., jeu. 8 h à 20 h; fermée sam., dim."
OPTION = "jeudi 10 déc. 16 h {}, Julie Roy, infirmière praticienne"


def test_a_turn_that_fits_keeps_every_option() -> None:
    turn = BotTurn([Reply("Disponible jeudi:", options=(OPTION.format(0), OPTION.format(20), OPTION.format(40)))])
    assert sms_text(turn).splitlines() == [
        "Disponible jeudi:",
        *(f"{n}) {OPTION.format(m)}" for n, m in ((1, 0), (2, 20), (3, 40))),
    ]


def test_too_long_a_turn_drops_its_last_options_whole_rather_than_cut_one() -> None:
    options = tuple(OPTION.format(minutes) for minutes in (0, 20, 40))
    turn = BotTurn([Reply(HOURS), Reply("On reçoit de 8 h à 17 h. Les plus proches:", options=options)])
    text = sms_text(turn)
    assert segment_count(text) <= MAX_SEGMENTS
    assert text.splitlines()[-2:] == [f"1) {options[0]}", f"2) {options[1]}"]
    assert "..." not in text


def test_the_first_option_is_never_dropped_the_text_is_cut_instead() -> None:
    turn = BotTurn([Reply("x" * 400, options=("only one",))])
    text = sms_text(turn)
    assert segment_count(text) <= MAX_SEGMENTS
    assert text.endswith("...")
