"""How many message parts an SMS takes, and in which encoding (3GPP TS 23.038 and 23.040).

A message whose every character is in the GSM 7-bit default alphabet (GSM 03.38) or its extension
table is sent as GSM-7: 160 septets in one part, 153 per part once it is split (each part carries a
user data header). An extension character (`€ [ ] { } \\ ^ ~ |` and form feed) is an escape and a
character, two septets, and is never split across parts. Any other character (Chinese, an emoji, a
curly quote) makes the whole message UCS-2: 70 UTF-16 code units in one part, 67 per part, a
surrogate pair never split. AWS End User Messaging SMS picks the encoding and bills each part
(docs/operate.md cites its page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The default alphabet, in code order (0x00-0x7F); 0x1B is the escape to the extension table.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}
_EXTENSION = frozenset(GSM7_EXTENSION)

Encoding = Literal["GSM-7", "UCS-2"]

LIMITS: dict[Encoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True)
class SmsParts:
    encoding: Encoding
    characters: int  # as a person counts them (code points)
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: int
    single_limit: int  # units one part holds
    part_limit: int  # units each part holds once split

    @property
    def split(self) -> bool:
        return self.parts > 1


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC or ch in _EXTENSION for ch in text)


def _unit_sizes(text: str, encoding: Encoding) -> list[int]:
    """What each character takes: septets (2 for an extension character), or UTF-16 code units."""
    if encoding == "GSM-7":
        return [2 if ch in _EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _split_count(sizes: list[int], per_part: int) -> int:
    """Parts of at most `per_part` units, a character's units never split between two parts."""
    parts, used = 1, 0
    for size in sizes:
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return parts


def sms_parts(text: str) -> SmsParts:
    encoding: Encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    single, per_part = LIMITS[encoding]
    sizes = _unit_sizes(text, encoding)
    units = sum(sizes)
    parts = 1 if units <= single else _split_count(sizes, per_part)
    return SmsParts(encoding, len(text), units, parts, single, per_part)
