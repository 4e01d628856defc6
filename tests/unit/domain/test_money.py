from __future__ import annotations

import pytest

from winback.domain.money import exponent, format_amount


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [(1000, "USD", "$10.00"), (2050, "CNY", "¥20.50"), (500, "JPY", "¥500"), (1234, "KWD", "1.234 KWD")],
)
def test_amounts_use_the_currencys_symbol_and_decimals(minor: int, currency: str, text: str) -> None:
    assert format_amount(minor, currency) == text


def test_exponents_follow_iso_4217() -> None:
    assert (exponent("USD"), exponent("JPY"), exponent("BHD")) == (2, 0, 3)
