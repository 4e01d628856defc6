"""POST /events/segment: Segment-spec calls from a Segment or RudderStack webhook destination, folded
into profiles by the same ingest code as POST /events (merge, attribution, coupons), each call once
per (user, call) whatever request carries it (`calls`).

A batch is many records: each call is validated on its own, the good ones are applied, and the bad
ones are answered (index, field, reason) in a 200 (Segment does not retry a 4xx, so a 400 would lose
the good calls with the bad). What a call may get wrong without being refused:
- a total sent as a JavaScript number (3.3000000000000003) is rounded to the currency's minor unit;
- a negative total is a refund, which winback does not keep: the call is `ignored`;
- a contact trait or an item field winback cannot use (a name over 128 characters, an email that is
  not one, a product id over 128 characters...) is left out, and the rest of the call applies.
A call is refused when what it is, whose or when is wrong (type, userId, timestamp, messageId,
a timestamp later than the allowed clock skew), when its money is (an unknown currency such as
`US$`), or when its consent is not one winback can read. A body that is not a Segment payload at
all, or a single call that is refused, is a 400 naming each bad field.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from winback.models.events import ActivityEvent
from winback.models.segment import SegmentMessage, dedupe_key, event_type, map_message, split_calls
from winback.services.ingest.calls import Call
from winback.services.ingest.live import ingest_calls
from winback.services.ingest.segment_auth import SegmentRejected, authenticate
from winback.services.ingest.validation import CLOCK_SKEW, InvalidBody, field_name

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.messaging_store import MessagingStore
    from winback.config.program import Program
    from winback.models.segment import Mapped
    from winback.services.ingest.coupons import CouponRedeemer

__all__ = [
    "LENIENT_FIELDS",
    "SegmentOutcome",
    "SegmentRejected",
    "Translated",
    "authenticate",
    "ingest_segment",
    "translate",
]

# Fields a call may carry in a form winback cannot use without being refused: they are left out.
LENIENT_FIELDS = frozenset(
    f"properties.{name}"
    for name in ("name", "email", "phone", "push_endpoint", "locale", "time_zone", "item_id", "category", "coupon_code")
)


@dataclass
class Translated:
    """A body's calls, sorted: those to apply, those set aside (`ignored`, `anonymous`), those refused
    (`rejected`: index, field, reason) and the fields left out of applied calls (`left_out`)."""

    in_batch: bool
    calls: list[Call] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    left_out: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    def refuse(self, index: int, faults: Sequence[tuple[str, str]]) -> None:
        self.rejected.extend({"index": index, "field": f, "reason": r} for f, r in faults)

    def rejected_calls(self) -> int:
        return len({r["index"] for r in self.rejected})

    def as_errors(self) -> list[dict[str, str]]:
        """The refusals as a 400's errors, each field located as the sender wrote it."""
        prefix = "batch.{}." if self.in_batch else ""
        return [{"field": prefix.format(r["index"]) + r["field"], "message": r["reason"]} for r in self.rejected]


def _faults(exc: ValidationError, mapped: Mapped | None = None) -> list[tuple[str, str]]:
    """A validation's errors as (field, reason), named as the sender named them."""
    faults = []
    for error in exc.errors(include_url=False):
        ours = field_name(error["loc"])
        name = ours if mapped is None else mapped.sources.get(ours, "properties" if ours == "body" else ours)
        faults.append((name, error["msg"]))
    return faults


def _validated(mapped: Mapped) -> tuple[ActivityEvent | None, list[tuple[str, str]], list[tuple[str, str]]]:
    """The call's event, what refuses it, and the fields left out of it (see LENIENT_FIELDS)."""
    try:
        return ActivityEvent.model_validate(mapped.event), [], []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        bad = {field_name(e["loc"]) for e in errors}
        if not bad <= LENIENT_FIELDS:
            return None, _faults(exc, mapped), []
        left_out = _faults(exc, mapped)
    properties = {k: v for k, v in mapped.event["properties"].items() if f"properties.{k}" not in bad}
    try:
        return ActivityEvent.model_validate({**mapped.event, "properties": properties}), [], left_out
    except ValidationError as exc:  # pragma: no cover - leaving fields out cannot make a valid call invalid
        return None, _faults(exc, mapped), []


@dataclass(frozen=True)
class _Door:
    """What a call is checked against: the present (plus the allowed clock skew)."""

    now: datetime | None
    clock_skew: timedelta

    def admit(self, index: int, raw: Any, found: Translated) -> None:
        """Sort one call into `found`."""
        try:
            message = SegmentMessage.model_validate(raw)
        except ValidationError as exc:
            found.refuse(index, _faults(exc))
            return
        kind = event_type(message)
        if kind is None:
            found.skipped["ignored"] += 1
        elif not message.userId:
            found.skipped["anonymous"] += 1
        else:
            self._apply(index, message, kind, found)

    def _apply(self, index: int, message: SegmentMessage, kind: str, found: Translated) -> None:
        mapped = map_message(message, kind)
        event, refused, left_out = _validated(mapped)
        if event is not None and self.now is not None and event.occurred_at > self.now + self.clock_skew:
            refused = [(message.time_field, "is in the future")]
        if event is None or refused:
            found.refuse(index, refused)
            return
        found.left_out.extend({"index": index, "field": f, "reason": r} for f, r in left_out)
        found.calls.append(Call(event, dedupe_key(message), index))


def translate(raw: Any, now: datetime | None = None, clock_skew: timedelta = CLOCK_SKEW) -> Translated:
    """A body's calls, each sorted on its own (see `Translated`). Raises InvalidBody when the body is
    not a Segment payload at all, or is one call that is refused."""
    try:
        in_batch, calls = split_calls(raw)
    except ValidationError as exc:
        raise InvalidBody.from_validation(exc) from exc
    found = Translated(in_batch=in_batch, total=len(calls))
    door = _Door(now, clock_skew)
    for index, call in enumerate(calls):
        door.admit(index, call, found)
    if found.rejected and not in_batch:
        raise InvalidBody(found.as_errors())
    return found


@dataclass(frozen=True)
class SegmentOutcome:
    """The reply's body, and what the handler counts and logs beside it."""

    reply: dict[str, Any]
    rejected_calls: int = 0
    reused_at: tuple[int, ...] = ()


def ingest_segment(
    raw: Any,
    body: bytes,
    store: ActivityStore,
    messaging: MessagingStore,
    coupons: CouponRedeemer,
    program: Program,
    now: datetime | None = None,
    clock_skew: timedelta = CLOCK_SKEW,
) -> SegmentOutcome:
    """Apply a verified body's good calls; the reply counts every call and lists the refused ones."""
    found = translate(raw, now, clock_skew)
    reply: dict[str, Any] = {
        "calls": found.total,
        "ignored": found.skipped["ignored"],
        "anonymous": found.skipped["anonymous"],
        "rejected": found.rejected,
        "left_out": found.left_out,
    }
    if not found.calls:
        empty = {"events": 0, "users": 0, "applied": 0, "already_applied": 0, "duplicates": 0, "message_id_reused": 0}
        return SegmentOutcome(reply | empty, found.rejected_calls())
    batch_id = "segment:" + hashlib.sha256(body).hexdigest()[:32]
    result = ingest_calls(found.calls, batch_id, store, messaging, coupons, program, now)
    return SegmentOutcome(reply | result.counts(), found.rejected_calls(), result.reused_at)
