"""HMAC-SHA256 signed claims, `<payload>.<mac>`, with a purpose that keeps token kinds apart (pure).

The MAC covers `purpose + payload`. A purpose ends with "." (`"reason."`), a character the
url-safe base64 payload never contains, so a token signed for one purpose never verifies for
another, even under the same key. The unsubscribe tokens of `tokens.py` predate purposes: theirs
is the empty one (links already in inboxes keep working), which no other purpose can collide with.

A token ends in `.<key id>` (keyring.py) so that the verifier, given the current and previous keys,
knows which one signed it; tokens issued before key ids (`<payload>.<mac>`) are tried against each.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence

from winback.domain.links.keyring import key_id


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


def _matches(key: bytes, purpose: str, payload: str, mac: str) -> bool:
    return hmac.compare_digest(_mac(key, purpose, payload).encode(), mac.encode())


def seal(key: bytes, purpose: str, claim: Mapping[str, object]) -> str:
    """`claim` as compact JSON, base64url-encoded and signed for `purpose`."""
    _check_purpose(purpose)
    payload = b64(json.dumps(claim, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_mac(key, purpose, payload)}.{key_id(key)}"


def unseal(keys: bytes | Sequence[bytes], purpose: str, token: str) -> bytes:
    """The JSON claim of a token signed for `purpose` with one of `keys` (the current key first);
    raises InvalidSignature otherwise."""
    _check_purpose(purpose)
    ring = [keys] if isinstance(keys, bytes) else list(keys)
    parts = token.split(".")
    if len(parts) not in (2, 3):
        raise InvalidSignature("signature missing or malformed")
    payload, mac = parts[0], parts[1]
    candidates = [k for k in ring if key_id(k) == parts[2]] if len(parts) == 3 else ring
    if not payload or not mac or not any(_matches(k, purpose, payload, mac) for k in candidates):
        raise InvalidSignature("signature does not match")
    try:
        return unb64(payload)
    except ValueError as exc:
        raise InvalidSignature("malformed payload") from exc
