"""POST /events/segment: Segment-spec calls from a Segment or RudderStack webhook destination, folded
into profiles by the same ingest code as POST /events (merge, per-event dedupe, attribution, coupons).

Authentication, either of the ways those tools can prove a request is theirs:
- Segment's Webhooks destination with a shared secret signs the body: `X-Signature` is the hex
  HMAC-SHA1 of the raw body under that secret;
- RudderStack's webhook destination (or any sender) adds a header: `Authorization: Bearer <secret>`.
Both are checked against the one configured secret, in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from winback.models.events import ActivityEvent
from winback.models.segment import dedupe_key, event_type, map_message, parse_messages
from winback.services.ingest.live import ingest_events
from winback.services.ingest.validation import InvalidBody, field_name, from_the_future

if TYPE_CHECKING:
    from datetime import datetime

    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.messaging_store import MessagingStore
    from winback.config.program import Program
    from winback.models.segment import SegmentMessage
    from winback.services.ingest.coupons import CouponRedeemer


class SegmentRejected(Exception):
    """Neither a valid X-Signature nor the bearer secret."""


def authenticate(secret: str, body: bytes, headers: Mapping[str, str]) -> str:
    """How the request proved itself (`signature` or `bearer`); raises SegmentRejected otherwise."""
    if not secret:
        raise SegmentRejected("no Segment secret configured")
    h = {k.lower(): v for k, v in headers.items()}
    signature = h.get("x-signature")
    if signature is not None:
        expected = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
        if hmac.compare_digest(signature.strip().lower().encode(), expected.encode()):
            return "signature"
        raise SegmentRejected("X-Signature does not match the body")
    authorization = h.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token and hmac.compare_digest(token.strip().encode(), secret.encode()):
        return "bearer"
    raise SegmentRejected("no valid X-Signature or bearer secret")


def _validated(message: SegmentMessage, kind: str, prefix: str, errors: list[dict[str, str]]) -> ActivityEvent | None:
    """The call as an activity event; None when it is not a valid one, its faults then added to `errors`,
    each under the field name the sender used (`traits.email`, after `prefix`)."""
    mapped = map_message(message, kind)
    try:
        return ActivityEvent.model_validate(mapped.event)
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            ours = field_name(e["loc"])
            source = mapped.sources.get(ours, "properties" if ours == "body" else ours)
            errors.append({"field": prefix + source, "message": e["msg"]})
        return None


def translate(raw: Any) -> tuple[list[ActivityEvent], list[str], Counter[str]]:
    """The activity events of a body (with each one's dedupe key) and how many calls were set aside
    (`anonymous`: no userId; `ignored`: a call winback has no use for). Raises InvalidBody naming every
    bad field as the sender wrote it (`batch.2.traits.email`); nothing is applied then."""
    try:
        in_batch, messages = parse_messages(raw)
    except ValidationError as exc:
        raise InvalidBody.from_validation(exc) from exc
    events: list[ActivityEvent] = []
    keys: list[str] = []
    skipped: Counter[str] = Counter()
    errors: list[dict[str, str]] = []
    for index, message in enumerate(messages):
        kind = event_type(message)
        if kind is None:
            skipped["ignored"] += 1
        elif not message.userId:
            skipped["anonymous"] += 1
        elif (event := _validated(message, kind, f"batch.{index}." if in_batch else "", errors)) is not None:
            events.append(event)
            keys.append(dedupe_key(message))
    if errors:
        raise InvalidBody(errors)
    return events, keys, skipped


def ingest_segment(
    raw: Any,
    body: bytes,
    store: ActivityStore,
    messaging: MessagingStore,
    coupons: CouponRedeemer,
    program: Program,
    now: datetime | None = None,
) -> dict[str, int]:
    """Apply a verified body's calls; a call resent (same type and messageId) is applied once."""
    events, keys, skipped = translate(raw)
    if now is not None and from_the_future(events, now):
        # The webhook's rule: an event from the future would move a profile's times past the present.
        raise InvalidBody([{"field": "timestamp", "message": "is in the future"}])
    result = {
        "calls": len(keys) + sum(skipped.values()),
        "ignored": skipped["ignored"],
        "anonymous": skipped["anonymous"],
    }
    if not events:
        return result | {"events": 0, "users": 0, "applied": 0, "already_applied": 0}
    batch_id = "segment:" + hashlib.sha256(body).hexdigest()[:32]
    return result | ingest_events(events, batch_id, store, messaging, coupons, program, now, event_ids=keys)
