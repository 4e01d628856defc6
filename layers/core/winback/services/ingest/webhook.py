"""POST /events: the upstream webhook's Standard Webhooks signature, and its body's events."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook

from winback.models.events import ActivityEvent, parse_body
from winback.services.ingest.validation import CLOCK_SKEW, InvalidBody, from_the_future

SIGNATURE_TOLERANCE_S = 5 * 60


class WebhookRejected(Exception):
    """Missing, malformed, stale or wrong signature."""


def verify_signature(secrets: str | Sequence[str], body: bytes | str, headers: Mapping[str, str]) -> str:
    """The webhook id, once the Standard Webhooks signature and timestamp (5 minutes) check out under
    one of `secrets` (the current one, then the previous ones of a rotation)."""
    ring = [secrets] if isinstance(secrets, str) else list(secrets)
    headers = {k.lower(): v for k, v in headers.items()}
    problem = "no secret"
    for secret in ring:
        try:
            if isinstance(body, str):
                Webhook(secret).verify(body, headers, json_parse=False)
            else:
                verify_raw_signature(secret, body, headers, datetime.now(UTC))
        except Exception as exc:  # the library raises several types for malformed headers
            problem = str(exc) or type(exc).__name__
            continue
        return headers["webhook-id"]
    raise WebhookRejected(problem)


def verify_raw_signature(secret: str, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    """Standard Webhooks over a body that is not UTF-8 (the library takes text only), so such a
    body is answered 400 once it is proven to come from the sender, and 401 otherwise. The spec:
    HMAC-SHA256 under the base64 secret (after `whsec_`) of `id.timestamp.body`, `v1,<base64>`
    signatures separated by spaces, a timestamp within 5 minutes."""
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(now.timestamp() - int(stamp)) > SIGNATURE_TOLERANCE_S:
        raise WebhookRejected("timestamp outside the tolerance")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    for signature in headers["webhook-signature"].split(" "):
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(base64.b64decode(value), expected):
            return
    raise WebhookRejected("no matching signature")


def validate_body(raw: Any, now: datetime | None = None, clock_skew: timedelta = CLOCK_SKEW) -> list[ActivityEvent]:
    """The body's events; an `occurred_at` later than `now` plus the allowed clock skew is refused
    (an event from the future would move a profile's times past the present for good)."""
    try:
        events = parse_body(raw)
    except ValidationError as exc:
        raise InvalidBody.from_validation(exc) from exc
    if now is not None:
        batch = isinstance(raw, dict) and "events" in raw
        late = [
            {"field": f"events.{i}.occurred_at" if batch else "occurred_at", "message": "is in the future"}
            for i in from_the_future(events, now, clock_skew)
        ]
        if late:
            raise InvalidBody(late)
    return events
