"""Secrets that rotate without an outage (pure).

A secret in Secrets Manager is either one plain value (the format so far) or a JSON object
`{"current": "<value>", "previous": ["<value>", ...]}` (`previous` may also be one string).
Signing always uses `current`; verifying accepts `current` and every `previous` value, so a
rotation is: put the old value under `previous` and a new one under `current`, wait until nothing
signed with the old value is still in use, then drop it.

Link tokens carry a key id, a short fingerprint of the key that signed them (`key_id`), so the
verifier picks that key; a token from before key ids (no id) is tried against every key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class KeyRing:
    current: str
    previous: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return (self.current, *self.previous)


def parse_secret(text: str) -> KeyRing:
    """A secret's value as a key ring; a value that is not a JSON object is one plain key."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            return KeyRing(text)
        current = data.get("current")
        if not isinstance(current, str) or not current:
            raise ValueError("a rotating secret needs a non-empty string 'current'")
        previous = data.get("previous") or []
        previous = [previous] if isinstance(previous, str) else previous
        if not all(isinstance(p, str) and p for p in previous):
            raise ValueError("'previous' must be a string or a list of strings")
        return KeyRing(current, tuple(previous))
    return KeyRing(text)


def key_id(key: bytes) -> str:
    """A key's id in the tokens it signs: 8 url-safe characters of its SHA-256 (48 bits, which tell
    an attacker nothing usable about a key of 256 bits)."""
    return base64.urlsafe_b64encode(hashlib.sha256(b"winback-key-id:" + key).digest()[:6]).decode()
