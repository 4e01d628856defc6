"""The SMS part counter (winback_dev/sms_segments.py) against the figures AWS End User Messaging
documents (160 / 153 GSM-7 characters, 70 / 67 otherwise) and against an independent GSM 03.38
codec (the gsm0338 package): which texts are GSM-7, and how many septets each takes."""

from __future__ import annotations

import math

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from winback_dev.sms_segments import GSM7_BASIC, GSM7_EXTENSION, is_gsm7, sms_parts

GSM_TEXT = st.text(alphabet=st.sampled_from(sorted(set(GSM7_BASIC + GSM7_EXTENSION) - {"\x1b"})), max_size=400)
# Characters often pasted into an SMS that are NOT in GSM 03.38: curly quotes, an en dash, é's neighbours.
NEAR_MISSES = "’“”–`çáíóúâêîôûÀ\u00a0"
ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(sorted(set(GSM7_BASIC + GSM7_EXTENSION + NEAR_MISSES) - {"\x1b"})), st.characters()
    ),
    max_size=300,
)


@pytest.mark.parametrize(
    ("text", "encoding", "parts"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),  # 2 x 153
        ("a" * 307, "GSM-7", 3),
        ("中" * 70, "UCS-2", 1),
        ("中" * 71, "UCS-2", 2),
        ("中" * 134, "UCS-2", 2),  # 2 x 67
        ("中" * 135, "UCS-2", 3),
        ("a" * 69 + "中", "UCS-2", 1),  # one Chinese character makes the whole message UCS-2
        ("a" * 70 + "中", "UCS-2", 2),
    ],
)
def test_the_documented_limits(text: str, encoding: str, parts: int) -> None:
    """AWS: 160 GSM 03.38 characters in one message, 153 per part once split; 70 and 67 otherwise."""
    counted = sms_parts(text)
    assert (counted.encoding, counted.parts) == (encoding, parts)


def test_extension_characters_count_two_and_are_never_split() -> None:
    """Guard: _unit_sizes gives an extension character two septets, _split_count keeps them together."""
    assert sms_parts("€" * 80).parts == 1  # 160 septets
    assert sms_parts("€" * 81).parts == 2
    assert sms_parts("a" * 159 + "[").units == 161
    # 152 septets, then a two-septet character that would straddle 153: it opens the second part.
    assert sms_parts("a" * 152 + "€" + "a" * 152).parts == 3
    assert sms_parts("a" * 151 + "€" + "a" * 153).parts == 2


def test_an_emoji_takes_two_utf16_units_and_is_never_split() -> None:
    assert sms_parts("🙂" * 35).units == 70 and sms_parts("🙂" * 35).parts == 1
    assert sms_parts("🙂" * 36).parts == 2
    assert sms_parts("a" * 66 + "🙂" + "a" * 67).parts == 3


@given(GSM_TEXT)
def test_gsm_text_takes_as_many_septets_as_the_codec_writes(text: str) -> None:
    """Independent implementation: gsm0338 writes an extension character as ESC + code, one byte each."""
    counted = sms_parts(text)
    assert counted.encoding == "GSM-7"
    assert counted.units == len(text.encode("gsm03.38"))


@given(ANY_TEXT)
def test_a_text_is_gsm7_exactly_when_the_codec_can_write_it(text: str) -> None:
    try:
        text.encode("gsm03.38")
    except UnicodeEncodeError:
        encodable = False
    else:
        encodable = "\x1b" not in text
    assert is_gsm7(text) == encodable


@given(st.text(alphabet="abc€", max_size=500))
def test_parts_hold_at_most_their_limit_and_no_fewer_parts_would_do(text: str) -> None:
    counted = sms_parts(text)
    if counted.units <= 160:
        assert counted.parts == 1
    else:
        assert counted.parts >= math.ceil(counted.units / 153)
        assert counted.parts <= math.ceil(counted.units / 152)  # at most one septet lost per part
