"""Money (pure): amounts in minor units, the way each currency counts them, and formatted for people."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


# ISO 4217 (List One, the currencies and funds in use; and codes withdrawn since 2014, which order
# histories still hold) with their minor units: 2 unless listed below. Precious metals, testing and
# "no currency" codes (XAU, XTS, XXX...) have no minor unit and are not currencies an order is paid in.
def _codes(text: str) -> list[str]:
    return text.split()


_TWO = _codes(
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD "
    "CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP "
    "GMD GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL LTL "
    "LVL MAD MDL MGA MKD MMK MNT MOP MRO MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN "
    "PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STD STN SVC SYP SZL "
    "THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VEF VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
)
_ZERO = _codes("BIF BYR CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF")
_THREE = _codes("BHD IQD JOD KWD LYD OMR TND")
_FOUR = _codes("CLF UYW")
CURRENCY_EXPONENTS: dict[str, int] = (
    dict.fromkeys(_TWO, 2) | dict.fromkeys(_ZERO, 0) | dict.fromkeys(_THREE, 3) | dict.fromkeys(_FOUR, 4)
)


def is_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 currency an amount can be counted in (minor units known)."""
    return code in CURRENCY_EXPONENTS


def minor_units(amount: Decimal, currency: str) -> int:
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    return int((amount * (10**exponent)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_minor_precision(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-up to the currency's minor unit (a JavaScript float total such as
    3.3000000000000003 USD becomes 3.30)."""
    return amount.quantize(Decimal(1).scaleb(-CURRENCY_EXPONENTS.get(currency, 2)), rounding=ROUND_HALF_UP)


_SYMBOL = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$", "TWD": "NT$"}


def exponent(currency: str) -> int:
    """Decimal places of `currency` (2 for most; from the same table ingest uses)."""
    return CURRENCY_EXPONENTS.get(currency, 2)


def format_amount(value_minor: int, currency: str) -> str:
    places = exponent(currency)
    amount = Decimal(value_minor).scaleb(-places)
    text = f"{amount:,.{places}f}"
    symbol = _SYMBOL.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"
