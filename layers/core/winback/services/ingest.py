"""Ingest: verify the upstream webhook, validate its events, fold them into user profiles."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook

from winback.adapters.activity_store import ActivityStore, Applied
from winback.adapters.coupon_store import Redemption
from winback.domain.journey.merge import merge_events
from winback.domain.measurement.attribution import Attribution, attribute
from winback.models.events import ActivityEvent, parse_body
from winback.models.profile import RECENT_EVENTS_CAP, Profile

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.catalog_store import CatalogStore
    from winback.adapters.coupon_store import Redemption
    from winback.adapters.messaging_store import MessagingStore
    from winback.config.program import Program

MAX_WRITE_ATTEMPTS = 5
SIGNATURE_TOLERANCE_S = 5 * 60
CLOCK_SKEW = timedelta(minutes=5)


class WebhookRejected(Exception):
    """Missing, malformed, stale or wrong signature."""


class InvalidBody(Exception):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors


class ProfileContention(RuntimeError):
    """A profile kept changing under us; the request fails as a whole and the sender retries it."""


@dataclass(frozen=True)
class IngestResult:
    events: int
    users: int
    applied: int
    already_applied: int
    reactivated: int = 0
    coupons_redeemed: int = 0
    coupons_rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


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


def _field(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def validate_body(raw: Any, now: datetime | None = None, clock_skew: timedelta = CLOCK_SKEW) -> list[ActivityEvent]:
    """The body's events; an `occurred_at` later than `now` plus the allowed clock skew is refused
    (an event from the future would move a profile's times past the present for good)."""
    try:
        events = parse_body(raw)
    except ValidationError as exc:
        raise InvalidBody(
            [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors(include_url=False)]
        ) from exc
    if now is not None:
        limit = now + clock_skew
        batch = isinstance(raw, dict) and "events" in raw
        late = [
            {"field": f"events.{i}.occurred_at" if batch else "occurred_at", "message": "is in the future"}
            for i, event in enumerate(events)
            if event.occurred_at > limit
        ]
        if late:
            raise InvalidBody(late)
    return events


@dataclass(frozen=True)
class AttributionRules:
    signal: str
    window_days: int


class CouponRedeemer(Protocol):
    def redeem(self, code: str, user_id: str, order_at: datetime, order_ref: str) -> Redemption: ...


def redeem_coupons(
    events: Sequence[ActivityEvent],
    batch_id: str,
    coupons: CouponRedeemer,
    event_ids: Sequence[str] | None = None,
) -> dict[str, list[tuple[ActivityEvent, Redemption]]]:
    """Redeem the coupon codes orders carry, per user, each with its order event. The order reference
    (the event's own id, or request and position) is the same when the event is resent, so a resend
    finds its redemption done: `redeemed_before`."""
    found: dict[str, list[tuple[ActivityEvent, Redemption]]] = defaultdict(list)
    for index, event in enumerate(events):
        code = event.properties.coupon_code
        if event.type == "order" and code:
            ref = f"event#{event_ids[index]}" if event_ids is not None else f"{batch_id}#{index}"
            found[event.user_id].append((event, coupons.redeem(code, event.user_id, event.occurred_at, ref)))
    return found


def event_key(event_id: str) -> str:
    """The short form of an event id kept on the profile (bounded size whatever the sender's ids)."""
    return hashlib.blake2b(event_id.encode(), digest_size=8).hexdigest()


def apply_events(
    events: Sequence[ActivityEvent],
    batch_id: str,
    store: ActivityStore,
    signal: str,
    attribution: AttributionRules,
    record: Callable[[Attribution], None],
    coupons: CouponRedeemer,
    now: datetime | None = None,
    event_ids: Sequence[str] | None = None,
) -> IngestResult:
    """One conditional write per user. A profile that already holds `batch_id` is left alone, so a
    request retried after a partial failure completes without counting anything twice.

    When the events reactivate a user assigned to a campaign (or bring revenue in its window), the
    assignment is updated in the same write and `record` counts it once that write succeeded.
    Coupons are redeemed first: exactly once per code, and a rejected code (expired, used, another
    user's) is counted and logged while the order itself still counts.

    With `event_ids` (one per event, e.g. Segment's messageId), an event whose id the profile already
    holds is skipped, whatever request it arrives in: a sender resending events in new batches
    counts each once."""
    redemptions = redeem_coupons(events, batch_id, coupons, event_ids)
    by_user: dict[str, list[ActivityEvent]] = defaultdict(list)
    keys: dict[str, list[str]] = defaultdict(list)
    for index, event in enumerate(events):
        by_user[event.user_id].append(event)
        if event_ids is not None:
            keys[event.user_id].append(event_key(event_ids[index]))
    profiles = store.get_many(by_user)
    applied = already = reactivated = 0
    for user_id, user_events in by_user.items():
        current = profiles.get(user_id)
        for _ in range(MAX_WRITE_ATTEMPTS):
            base = current or Profile(user_id=user_id)
            if batch_id in base.recent_batches:
                already += 1
                break
            todo = user_events
            if event_ids is not None:
                seen = set(base.recent_events)
                fresh = []
                for e, k in zip(user_events, keys[user_id], strict=True):
                    if k not in seen:  # applied before, or twice in this request
                        seen.add(k)
                        fresh.append((e, k))
                if not fresh:
                    already += 1
                    break
                todo = [e for e, _ in fresh]
            merged = merge_events(base, todo, batch_id, signal)
            if event_ids is not None:
                merged.recent_events = [*(k for _, k in fresh), *base.recent_events][:RECENT_EVENTS_CAP]
            merged.version = base.version + 1
            found = attribute(base.assignment, todo, attribution.signal, attribution.window_days)
            # Only orders applied by this write count (a resent event skipped above does not).
            redeemed = [r for e, r in redemptions.get(user_id, []) if r.accepted and any(e is t for t in todo)]
            a = base.assignment
            if a is not None and any(r.campaign_id == a.campaign_id for r in redeemed):
                found = found or Attribution(assignment=a)
                found.counts["coupons_redeemed"] += sum(r.campaign_id == a.campaign_id for r in redeemed)
            if found is not None:
                merged.assignment = found.assignment
            outcome = store.put_applying(merged, base.version, batch_id, now or datetime.now(UTC))
            if outcome is Applied.ALREADY:
                already += 1
                break
            if outcome is Applied.WRITTEN:
                applied += 1
                if found is not None:
                    record(found)
                    reactivated += found.counts["reactivated"]
                break
            current = store.get(user_id)
        else:
            raise ProfileContention(f"profile kept changing during {MAX_WRITE_ATTEMPTS} attempts")
    statuses = Counter(r.status.value for found in redemptions.values() for _, r in found)
    return IngestResult(
        events=len(events),
        users=len(by_user),
        applied=applied,
        already_applied=already,
        reactivated=reactivated,
        coupons_redeemed=statuses["redeemed"],
        coupons_rejected=sum(n for status, n in statuses.items() if status not in ("redeemed", "redeemed_before")),
    )


def ingest_events(
    events: Sequence[ActivityEvent],
    webhook_id: str,
    store: ActivityStore,
    messaging: MessagingStore,
    coupons: CouponRedeemer,
    program: Program,
    now: datetime | None = None,
    event_ids: Sequence[str] | None = None,
    catalog: CatalogStore | None = None,
) -> dict[str, int]:
    """One webhook request's events under the program's rules; a reactivation (or revenue in the
    attribution window) is counted in the experiment cell of the user's assignment. Products the
    events describe (`properties.product`) are written to the catalog."""
    rules = AttributionRules(program.reactivation_signal(), program.experiments.attribution_window_days)

    def record(found: Attribution) -> None:
        a = found.assignment
        messaging.add_cell(a.campaign_id, None, a.arm, a.segment, found.counts)

    result = apply_events(
        events, webhook_id, store, program.dormancy.signal, rules, record, coupons, now, event_ids
    ).as_dict()
    if catalog is not None:
        from winback.domain.audience.catalog import items_from_events

        products = items_from_events(events)
        if products:
            catalog.put_many(products)
    return result
