"""Coupon codes and values (pure; no AWS).

A code looks like `WB-7KQ2-M9XD-4TPR-A3CJ`: an optional prefix, then 16 symbols of Crockford's
base32 (digits and upper-case letters without I, L, O, U) in groups of four, easy to read aloud
and to type. 15 symbols (75 bits) come from a cryptographic random source; the last one is a check
symbol, so a mistyped code is refused before any lookup.

The check symbol is a weighted sum over GF(32): position i (of n prefix and random symbols) has the
weight alpha**(n - i), the check symbol alpha**0, and every weighted symbol XORs to zero. The weights
are distinct and nonzero (n <= 30 < 31, the order of alpha), so the check catches every single
wrong symbol and every swap of two different symbols, adjacent or not.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from winback.config.incentives import DEFAULT_SEGMENT, CouponIncentive
from winback.domain.money import minor_units

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_SYMBOLS = 15
BODY_SYMBOLS = RANDOM_SYMBOLS + 1
GROUP = 4
MAX_PREFIX = 6
ENTROPY_BITS = RANDOM_SYMBOLS * 5

_VALUE = {symbol: i for i, symbol in enumerate(ALPHABET)}
# What people type for the symbols Crockford's alphabet leaves out.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-]+")
_GF_MODULUS = 0b100101  # x^5 + x^2 + 1, irreducible, so alpha = x generates all 31 nonzero elements


class RandomBits(Protocol):
    """A source of random bits; `secrets.SystemRandom()` in production."""

    def getrandbits(self, k: int, /) -> int: ...


SYSTEM_RANDOM: RandomBits = secrets.SystemRandom()


def _gf_mul(a: int, b: int) -> int:
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= _GF_MODULUS
    return product


_ALPHA_POWERS = [1]
for _ in range(30):
    _ALPHA_POWERS.append(_gf_mul(_ALPHA_POWERS[-1], 2))


def _check_symbol(symbols: str) -> str:
    n = len(symbols)
    total = 0
    for i, symbol in enumerate(symbols):
        total ^= _gf_mul(_ALPHA_POWERS[n - i], _VALUE[symbol])
    return ALPHABET[total]


def _format(prefix: str, body: str) -> str:
    groups = [body[i : i + GROUP] for i in range(0, len(body), GROUP)]
    return "-".join([prefix, *groups] if prefix else groups)


def new_code(rng: RandomBits = SYSTEM_RANDOM, prefix: str = "WB") -> str:
    """A fresh, unguessable coupon code (75 random bits), with a check symbol at the end."""
    if len(prefix) > MAX_PREFIX or any(symbol not in _VALUE for symbol in prefix):
        raise ValueError(f"a code prefix is up to {MAX_PREFIX} of {ALPHABET} (no I, L, O or U)")
    bits = rng.getrandbits(ENTROPY_BITS)
    random_part = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(RANDOM_SYMBOLS))
    return _format(prefix, random_part + _check_symbol(prefix + random_part))


def normalize_code(text: str) -> str | None:
    """The canonical form of a code as a person typed it, or None when it cannot be one of ours.

    Case, spaces and dashes do not matter; O reads as 0, and I or L as 1. None when a symbol is not
    in the alphabet, the length is wrong, or the check symbol does not match (a typo).
    """
    symbols = _SEPARATORS.sub("", text).upper().translate(_LOOKALIKES)
    if not BODY_SYMBOLS <= len(symbols) <= BODY_SYMBOLS + MAX_PREFIX:
        return None
    if any(symbol not in _VALUE for symbol in symbols):
        return None
    if _check_symbol(symbols[:-1]) != symbols[-1]:
        return None
    return _format(symbols[:-BODY_SYMBOLS], symbols[-BODY_SYMBOLS:])


def coupon_value(incentive: CouponIncentive, segment: str) -> Decimal:
    """The amount off (major units) for a user in `segment`; unlisted segments get the default."""
    return incentive.value_by_segment.get(segment, incentive.value_by_segment[DEFAULT_SEGMENT])


def coupon_value_minor(incentive: CouponIncentive, segment: str) -> int:
    """The amount off in the currency's minor units (cents, fen; yen are already whole)."""
    return minor_units(coupon_value(incentive, segment), incentive.currency)


def coupon_expiry(incentive: CouponIncentive, issued_at: datetime) -> datetime:
    return issued_at + timedelta(days=incentive.valid_days)
