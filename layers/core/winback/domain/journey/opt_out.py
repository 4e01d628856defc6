"""Recognizing an SMS opt-out reply, in English and Chinese (pure)."""

from __future__ import annotations

import re

_LATIN = re.compile(r"(?<![A-Za-z])(STOP|TD|UNSUBSCRIBE)(?![A-Za-z])", re.IGNORECASE)
_CJK = ("退订",)


def is_opt_out(body: str) -> bool:
    """True when the reply asks to stop: a keyword as a whole word (STOP, TD, UNSUBSCRIBE) or 退订."""
    return bool(_LATIN.search(body)) or any(word in body for word in _CJK)
