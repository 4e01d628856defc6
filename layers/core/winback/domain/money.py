"""Money (pure): amounts in minor units, the way each currency counts them, and formatted for people."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor-unit exponents that differ from the usual 2.
_EXPONENT = {c: 0 for c in ("JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF")} | {
    c: 3 for c in ("BHD", "KWD", "JOD", "OMR", "TND", "IQD", "LYD")
}


def minor_units(amount: Decimal, currency: str) -> int:
    exponent = _EXPONENT.get(currency, 2)
    return int((amount * (10**exponent)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


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
