"""Who may post to /events/segment: the ways Segment and RudderStack can prove a request is theirs.

- Segment's Webhooks destinations with a shared secret send `X-Signature`, the hex HMAC-SHA1 under
  that secret of `JSON.stringify(data)`. For one call that is the body. With batching on, Webhooks
  (Actions) posts the calls as a JSON array and signs only the FIRST call's data (`extendRequest`
  in segmentio/action-destinations, `destinations/webhook/index.ts`), whose JSON.stringify text is
  the exact stretch of the body after the array's `[`: it is checked as sent, never re-serialized.
- RudderStack's webhook destination (or any sender) adds `Authorization: Bearer <secret>`.

A signature over the first call covers the others of the array not at all, so an array of more than
one call needs the bearer header too (set it in the destination mapping's Headers): a signature
alone would let anyone holding one signed request append calls of their own. A request that sends a
signature is judged by it: a wrong one is refused whatever else comes with it. The secret may
rotate (`{"current": ..., "previous": [...]}`): any of its values is accepted, in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class SegmentRejected(Exception):
    """Neither a valid X-Signature nor the bearer secret."""


@dataclass(frozen=True)
class FirstCall:
    """The bytes of a JSON array body's first element, and whether any element follows it."""

    data: bytes
    alone: bool


def first_call(body: bytes) -> FirstCall | None:
    """The first element of a body that is a JSON array as JSON.stringify writes one (no whitespace
    after `[`); None for any other body."""
    if not body.startswith(b"["):
        return None
    try:
        text = body.decode("utf-8")
        _, end = json.JSONDecoder().raw_decode(text, 1)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    rest = text[end:].lstrip()
    if not rest.startswith(("]", ",")):
        return None
    return FirstCall(text[1:end].encode("utf-8"), alone=rest.startswith("]"))


def _signed_by(secrets: Sequence[str], data: bytes, signature: str) -> bool:
    expected = [hmac.new(s.encode(), data, hashlib.sha1).hexdigest().encode() for s in secrets]
    given = signature.strip().lower().encode()
    return any([hmac.compare_digest(given, e) for e in expected])  # every key tried: constant time


def _bearer(secrets: Sequence[str], headers: Mapping[str, str]) -> bool:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    return any([hmac.compare_digest(token.strip().encode(), s.encode()) for s in secrets])


def _by_signature(secrets: Sequence[str], body: bytes, signature: str, bearer: bool) -> str:
    if _signed_by(secrets, body, signature):
        return "signature"
    first = first_call(body)
    if first is None or not _signed_by(secrets, first.data, signature):
        raise SegmentRejected("X-Signature does not match the body")
    if first.alone:
        return "signature"
    if bearer:
        return "signature and bearer"
    raise SegmentRejected("a batch's X-Signature covers its first call only: the bearer header is needed too")


def authenticate(secrets: Sequence[str], body: bytes, headers: Mapping[str, str]) -> str:
    """How the request proved itself (`signature`, `bearer`, or `signature and bearer` for a signed
    batch of several calls); raises SegmentRejected otherwise."""
    keys = [s for s in secrets if s]
    if not keys:
        raise SegmentRejected("no Segment secret configured")
    h = {k.lower(): v for k, v in headers.items()}
    bearer = _bearer(keys, h)
    signature = h.get("x-signature")
    if signature is not None:
        return _by_signature(keys, body, signature, bearer)
    if bearer:
        return "bearer"
    raise SegmentRejected("no valid X-Signature or bearer secret")
