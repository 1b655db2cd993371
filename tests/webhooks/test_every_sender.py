"""Every sender gets a safe answer (issue 12, point 4): a number phonenumbers calls invalid, a foreign one or none at
all still hears 911 / 9-8-8 and can STOP and START; booking is for the clinic's allowed countries only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.bootstrap import Services
from bot.db.models import Appointment, Patient
from bot.sms.numbers import country_of, sender_e164
from rdvbot.chat import SignedSmsClient

INVALID_RANGE = "+19995550100"  # area code 999 is in no plan: a reserved or future range
FOREIGN = "+33655550100"  # a French mobile
CANADIAN = "+15145550137"


@pytest.mark.parametrize("sender", [INVALID_RANGE, FOREIGN])
@pytest.mark.parametrize(
    ("text", "number"),
    [("douleur à la poitrine", "911"), ("I want to kill myself", "988"), ("j'ai le goût d'en finir", "988")],
)
def test_a_red_flag_from_any_number_gets_the_safety_answer(
    texting: Callable[[str], SignedSmsClient], sender: str, text: str, number: str
) -> None:
    answer = " ".join(texting(sender).send(text))
    assert number in answer.replace("9-8-8", "988")


@pytest.mark.parametrize("sender", [INVALID_RANGE, FOREIGN])
def test_stop_and_start_work_for_any_number(
    texting: Callable[[str], SignedSmsClient], services: Services, sender: str
) -> None:
    client = texting(sender)

    def opted_out() -> bool:
        with services.database.transaction() as session:
            return session.scalar(select(Patient.opted_out_at).where(Patient.phone == sender)) is not None

    assert client.send("STOP") and opted_out()
    assert client.send("START") and not opted_out()


def test_a_foreign_number_cannot_book_and_is_sent_to_the_clinic(
    texting: Callable[[str], SignedSmsClient], services: Services
) -> None:
    client = texting(FOREIGN)
    answer = " ".join(client.send("rdv demain matin svp") + client.send("1") + client.send("oui"))
    assert "514-555-0199" in answer and "811" in answer
    with services.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0


def test_a_number_in_a_new_north_american_range_may_book(texting: Callable[[str], SignedSmsClient]) -> None:
    assert country_of(INVALID_RANGE) == "US"
    assert "1)" in " ".join(texting(INVALID_RANGE).send("rdv demain matin svp"))


def test_a_canadian_number_books_as_before(texting: Callable[[str], SignedSmsClient]) -> None:
    assert "1)" in " ".join(texting(CANADIAN).send("rdv demain matin svp"))


def test_a_message_from_no_number_still_gets_the_clinic_and_911(
    texting: Callable[[str], SignedSmsClient], monday_9am: datetime
) -> None:
    assert sender_e164("") is None and sender_e164("CLINIQUE") is None
    client = texting("CLINIQUE")  # an alphanumeric sender id
    assert "911" in " ".join(client.send("douleur à la poitrine"))
    answer = " ".join(client.send("rdv demain"))
    assert "514-555-0199" in answer and "911" in answer and "811" in answer
    assert "ne répond pas" not in answer  # nothing is down: the number is what is missing
