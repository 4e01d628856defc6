"""Amounts for people: minor units formatted with the currency's symbol and decimals (pure)."""

from __future__ import annotations

from decimal import Decimal

from winback.domain.profile_merge import minor_units

_SYMBOL = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$", "TWD": "NT$"}


def exponent(currency: str) -> int:
    """Decimal places of `currency` (2 for most; from the same table ingest uses)."""
    return len(str(minor_units(Decimal(1), currency))) - 1


def format_amount(value_minor: int, currency: str) -> str:
    places = exponent(currency)
    amount = Decimal(value_minor).scaleb(-places)
    text = f"{amount:,.{places}f}"
    symbol = _SYMBOL.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"
