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


def test_the_currency_table_lists_each_code_once_with_one_exponent() -> None:
    from winback.domain import money

    listed = [*money._TWO, *money._ZERO, *money._THREE, *money._FOUR]
    assert len(listed) == len(set(listed)) == len(money.CURRENCY_EXPONENTS)
    assert all(len(code) == 3 and code.isupper() for code in listed)
    assert (exponent("XPF"), exponent("CLF"), exponent("TWD")) == (0, 4, 2)


@pytest.mark.parametrize("code", ["US$", "usd", "XYZ", "XAU", "XTS", ""])
def test_what_is_not_an_iso_4217_currency_is_not_one(code: str) -> None:
    from winback.domain.money import is_currency

    assert not is_currency(code)


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("3.3000000000000003", "USD", "3.30"),
        ("19.995", "EUR", "20.00"),
        ("1200.4", "JPY", "1200"),
        ("1.23456", "KWD", "1.235"),
    ],
)
def test_an_amount_rounds_half_up_to_the_currencys_minor_unit(amount: str, currency: str, rounded: str) -> None:
    from decimal import Decimal

    from winback.domain.money import to_minor_precision

    assert str(to_minor_precision(Decimal(amount), currency)) == rounded
