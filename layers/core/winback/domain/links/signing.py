"""HMAC-SHA256 signed claims, `<payload>.<mac>`, with a purpose that keeps token kinds apart (pure).

The MAC covers `purpose + payload`. A purpose ends with "." (`"reason."`), a character the
url-safe base64 payload never contains, so a token signed for one purpose never verifies for
another, even under the same key. The unsubscribe tokens of `tokens.py` predate purposes: theirs
is the empty one (links already in inboxes keep working), which no other purpose can collide with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping


class InvalidSignature(ValueError):
    """The token is malformed or its MAC does not match."""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, payload: str) -> str:
    return b64(hmac.new(key, (purpose + payload).encode(), hashlib.sha256).digest())


UNSUBSCRIBE_PURPOSE = ""


def _check_purpose(purpose: str) -> None:
    if purpose != UNSUBSCRIBE_PURPOSE and not purpose.endswith("."):
        raise ValueError("a purpose must end with '.'")


def seal(key: bytes, purpose: str, claim: Mapping[str, object]) -> str:
    """`claim` as compact JSON, base64url-encoded and signed for `purpose`."""
    _check_purpose(purpose)
    payload = b64(json.dumps(claim, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_mac(key, purpose, payload)}"


def unseal(key: bytes, purpose: str, token: str) -> bytes:
    """The JSON claim of a token signed for `purpose` with `key`; raises InvalidSignature otherwise."""
    _check_purpose(purpose)
    payload, _, mac = token.partition(".")
    if not payload or not mac or not hmac.compare_digest(_mac(key, purpose, payload).encode(), mac.encode()):
        raise InvalidSignature("signature does not match")
    try:
        return unb64(payload)
    except ValueError as exc:
        raise InvalidSignature("malformed payload") from exc
