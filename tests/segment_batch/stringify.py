"""JSON.stringify(value) with no replacer and no indent, written from the ECMAScript specification's
text (ECMA-262, 25.5.2 JSON.stringify: SerializeJSONProperty, QuoteJSONString, SerializeJSONObject,
SerializeJSONArray; 6.1.6.1.20 Number::toString), independently of winback's code and of Python's
json module, for the tests that sign a Segment batch the way Segment does.

Values are Python's JSON-like values standing for JavaScript's: None is null, bool, int and float
are Numbers (IEEE doubles), str is a String (its code points; a lone surrogate is escaped, as a
well-formed JSON.stringify does), list is an Array, dict is an ordinary Object whose own keys come
in JavaScript's order: array-index keys ascending, then the other keys in creation order.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

_ESCAPES = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}
_MAX_INDEX = 2**32 - 2


def quote(text: str) -> str:
    """QuoteJSONString."""
    out = ['"']
    for char in text:
        c = ord(char)
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif c < 0x20 or 0xD800 <= c <= 0xDFFF:
            out.append(f"\\u{c:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def number(x: float) -> str:
    """Number::toString(x) in base 10, and JSON's null for a value that is not finite."""
    if not math.isfinite(x):
        return "null"
    if x == 0:
        return "0"  # +0 and -0 alike
    if x < 0:
        return "-" + number(-x)
    # s, k, n: the fewest digits s (k of them) such that s x 10^(n-k) is x. repr() gives the
    # shortest round-tripping digits, which is what the specification asks for.
    _, digits, exponent = Decimal(repr(float(x))).as_tuple()
    s = "".join(map(str, digits)).rstrip("0") or "0"
    k = len(s)
    n = int(exponent) + len(digits)
    if k <= n <= 21:
        return s + "0" * (n - k)
    if 0 < n <= 21:
        return s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + s
    e = n - 1
    mark = "+" if e > 0 else "-"
    mantissa = s if k == 1 else s[0] + "." + s[1:]
    return f"{mantissa}e{mark}{abs(e)}"


def _is_index(key: str) -> bool:
    """CanonicalNumericIndexString for an array index: ASCII digits, no leading zero, below 2^32 - 1."""
    return key.isascii() and key.isdigit() and str(int(key)) == key and int(key) <= _MAX_INDEX


def own_keys(obj: dict[str, Any]) -> list[str]:
    """OrdinaryOwnPropertyKeys: array indices ascending, then strings in creation order."""
    indices = sorted((k for k in obj if _is_index(k)), key=int)
    return indices + [k for k in obj if not _is_index(k)]


def stringify(value: Any) -> str:
    """SerializeJSONProperty of `value` (never undefined here: every value is JSON's)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, int | float):
        return number(float(value))
    if isinstance(value, list):
        return "[" + ",".join(stringify(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(quote(k) + ":" + stringify(value[k]) for k in own_keys(value)) + "}"
    raise TypeError(f"not a JSON value: {type(value).__name__}")
