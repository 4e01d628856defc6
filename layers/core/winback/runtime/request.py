"""Bounds on what a public route reads from a request (pure): the body's size, base64 and
encoding, and the length of every header and query value it uses. Anything out of bounds is a
`BadRequest` naming the field, which the route answers with a 400, never an exception."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

# API Gateway HTTP APIs take up to 10 MB; a webhook of 100 events is far below this.
MAX_BODY_BYTES = 1024 * 1024
MAX_QUERY_VALUE = 4096
# Standard Webhooks: an id is an opaque string (msg_<ksuid> in practice), a timestamp whole
# seconds, a signature header a few space-separated `v1,<base64>` values.
HEADER_LIMITS = {"webhook-id": 128, "webhook-timestamp": 20, "webhook-signature": 2048, "content-type": 256}


class BadRequest(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def as_error(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def raw_body(event: Mapping[str, Any]) -> bytes:
    """The request body's bytes as the client sent them (base64 undone when API Gateway applied it)."""
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise BadRequest("body", "not a string")
    if len(body) > MAX_BODY_BYTES * 4 // 3 + 4:
        raise BadRequest("body", f"larger than {MAX_BODY_BYTES} bytes")
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise BadRequest("body", "isBase64Encoded but not valid base64") from exc
    else:
        try:
            data = body.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate in a JSON-decoded string
            raise BadRequest("body", "not valid UTF-8") from exc
    if len(data) > MAX_BODY_BYTES:
        raise BadRequest("body", f"larger than {MAX_BODY_BYTES} bytes")
    return data


def body_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("body", "not valid UTF-8") from exc


def bounded_headers(event: Mapping[str, Any], names: Mapping[str, int] = HEADER_LIMITS) -> dict[str, str]:
    """The headers in `names` (lower-cased), each within its length; the others are not read."""
    found: dict[str, str] = {}
    for key, value in (event.get("headers") or {}).items():
        name = str(key).lower()
        if name not in names:
            continue
        if not isinstance(value, str):
            raise BadRequest(f"header {name}", "not a string")
        if len(value) > names[name]:
            raise BadRequest(f"header {name}", f"longer than {names[name]} characters")
        found[name] = value
    return found


def query_value(event: Mapping[str, Any], name: str, limit: int = MAX_QUERY_VALUE) -> str:
    """A query string value ('' when absent); one longer than `limit` counts as absent."""
    value = (event.get("queryStringParameters") or {}).get(name)
    if not isinstance(value, str) or len(value) > limit:
        return ""
    return value
