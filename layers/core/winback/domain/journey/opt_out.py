"""Recognizing SMS opt-out and opt-in replies (pure).

The opt-out keywords are those AWS End User Messaging SMS treats as required: ARRET, CANCEL, END,
OPT-OUT, OPTOUT, QUIT, REMOVE, STOP, TD, UNSUBSCRIBE, plus 退订 for Chinese recipients. A reply that
is one of them, ignoring case and spaces ("opt out", " Stop "), opts out; so does STOP, TD,
UNSUBSCRIBE or 退订 anywhere in a reply as a whole word ("STOP please"). START or UNSTOP opts back in.
"""

from __future__ import annotations

import re
import unicodedata

OPT_OUT_KEYWORDS = frozenset(
    {"ARRET", "CANCEL", "END", "OPT-OUT", "OPTOUT", "QUIT", "REMOVE", "STOP", "TD", "UNSUBSCRIBE", "退订"}
)
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP"})
_LATIN = re.compile(r"(?<![A-Za-z])(STOP|TD|UNSUBSCRIBE)(?![A-Za-z])", re.IGNORECASE)
_CJK = ("退订",)


def _keyword(body: str) -> str:
    """The reply as a keyword: NFKC (full-width letters), upper case, no spaces, no closing punctuation."""
    text = unicodedata.normalize("NFKC", body).upper()
    return "".join(text.split()).rstrip(".!。！")


def is_opt_out(body: str) -> bool:
    word = _keyword(body)
    return (
        word in OPT_OUT_KEYWORDS
        or word.replace("-", "") in OPT_OUT_KEYWORDS
        or bool(_LATIN.search(body))
        or any(w in body for w in _CJK)
    )


def is_opt_in(body: str) -> bool:
    return _keyword(body) in OPT_IN_KEYWORDS
