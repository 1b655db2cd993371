"""SMS segment counting: encodings, single and concatenated limits, and characters never split across segments."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sms.segments import GSM7_BASIC, GSM7_EXTENSION, Encoding, SegmentInfo, segment_count, segment_info

BASIC_ALPHABET = sorted(GSM7_BASIC)
# Every kind of character: GSM-7 basic and extension, UCS-2 in the BMP, and an emoji outside it.
MIXED_ALPHABET = [*BASIC_ALPHABET, *sorted(GSM7_EXTENSION), "ê", "ç", "«", "’", "😀"]


def test_the_default_alphabet_has_127_characters_besides_escape() -> None:
    assert len(GSM7_BASIC) == 127
    assert "\x1b" not in GSM7_BASIC


def test_empty_text_costs_one_segment() -> None:
    assert segment_info("") == SegmentInfo(Encoding.GSM7, 0, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, SegmentInfo(Encoding.GSM7, 160, 1)),
        ("a" * 161, SegmentInfo(Encoding.GSM7, 161, 2)),
        ("a" * 306, SegmentInfo(Encoding.GSM7, 306, 2)),
        ("a" * 307, SegmentInfo(Encoding.GSM7, 307, 3)),
        ("ê" * 70, SegmentInfo(Encoding.UCS2, 70, 1)),
        ("ê" * 71, SegmentInfo(Encoding.UCS2, 71, 2)),
        ("ê" * 134, SegmentInfo(Encoding.UCS2, 134, 2)),
        ("ê" * 135, SegmentInfo(Encoding.UCS2, 135, 3)),
    ],
    ids=["gsm-160", "gsm-161", "gsm-306", "gsm-307", "ucs2-70", "ucs2-71", "ucs2-134", "ucs2-135"],
)
def test_single_and_concatenated_limits(text: str, expected: SegmentInfo) -> None:
    assert segment_info(text) == expected


@pytest.mark.parametrize("letter", ["é", "è", "à", "ù", "É", "Ç", "ì", "ò", "ü", "ö", "ä", "ñ"])
def test_french_letters_in_the_gsm7_alphabet(letter: str) -> None:
    assert segment_info(f"Votre rendez-vous {letter}").encoding is Encoding.GSM7


@pytest.mark.parametrize("char", ["ê", "â", "î", "ô", "û", "ç", "ë", "ï", "œ", "À", "È", "Ê", "«", "»", "’", "“", "–"])
def test_characters_that_force_ucs2(char: str) -> None:
    info = segment_info(f"Votre rendez-vous {char}")
    assert info.encoding is Encoding.UCS2
    assert info.units == len("Votre rendez-vous ") + 1


def test_a_typical_french_reply_stays_gsm7() -> None:
    reply = "Votre rendez-vous est confirmé le mardi 12 mars à 14h30 avec la Dre Tremblay. Répondez ANNULER au besoin."
    assert segment_info(reply) == SegmentInfo(Encoding.GSM7, len(reply), 1)


@pytest.mark.parametrize("char", sorted(GSM7_EXTENSION))
def test_extension_characters_count_two_septets(char: str) -> None:
    assert segment_info(f"Prix {char}") == SegmentInfo(Encoding.GSM7, len("Prix ") + 2, 1)


def test_euro_and_brackets_count_two_septets_up_to_the_single_limit() -> None:
    assert segment_info("€" * 80) == SegmentInfo(Encoding.GSM7, 160, 1)
    assert segment_info("[]" * 40) == SegmentInfo(Encoding.GSM7, 160, 1)
    assert segment_info("€" * 80 + "a") == SegmentInfo(Encoding.GSM7, 161, 2)


def test_an_emoji_counts_two_code_units() -> None:
    assert segment_info("😀") == SegmentInfo(Encoding.UCS2, 2, 1)
    assert segment_info("😀" * 35) == SegmentInfo(Encoding.UCS2, 70, 1)
    assert segment_info("😀" * 36) == SegmentInfo(Encoding.UCS2, 72, 2)


def test_an_escape_pair_is_never_split_across_segments() -> None:
    # 152 septets, then "€" would straddle the 153-septet boundary: it moves whole to the second segment,
    # which then overflows by one septet into a third, although 306 septets would fit in two by division.
    text = "a" * 152 + "€" + "a" * 152
    assert segment_info(text) == SegmentInfo(Encoding.GSM7, 306, 3)
    assert segment_count("a" * 151 + "€" + "a" * 153) == 2  # the pair ends exactly at the boundary
    # Only euros: 76 pairs (152 septets) per segment, so 153 of them (306 septets) need three segments.
    assert segment_count("€" * 153) == 3


def test_a_surrogate_pair_is_never_split_across_segments() -> None:
    text = "ê" * 66 + "😀" + "ê" * 66
    assert segment_info(text) == SegmentInfo(Encoding.UCS2, 134, 3)
    assert segment_count("ê" * 65 + "😀" + "ê" * 67) == 2


@given(st.text(alphabet=MIXED_ALPHABET, max_size=400), st.sampled_from(MIXED_ALPHABET))
def test_appending_a_character_never_lowers_the_segment_count(text: str, char: str) -> None:
    assert segment_count(text + char) >= segment_count(text)


@given(st.text(alphabet=BASIC_ALPHABET, max_size=1000))
def test_basic_gsm7_text_segments_by_formula(text: str) -> None:
    n = len(text)
    assert segment_info(text) == SegmentInfo(Encoding.GSM7, n, 1 if n <= 160 else math.ceil(n / 153))
