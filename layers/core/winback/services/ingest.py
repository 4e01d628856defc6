"""Ingest: verify the upstream webhook, validate its events, fold them into user profiles."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook

from winback.adapters.activity_store import ActivityStore
from winback.adapters.coupon_store import Redemption
from winback.domain.journey.merge import merge_events
from winback.domain.measurement.attribution import Attribution, attribute
from winback.models.events import ActivityEvent, parse_body
from winback.models.profile import Profile

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.catalog_store import CatalogStore
    from winback.adapters.coupon_store import Redemption
    from winback.adapters.messaging_store import MessagingStore
    from winback.config.program import Program

MAX_WRITE_ATTEMPTS = 5


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


def verify_signature(secret: str, body: str, headers: Mapping[str, str]) -> str:
    """The webhook id, once the Standard Webhooks signature and timestamp (5 minutes) check out."""
    try:
        Webhook(secret).verify(body, dict(headers), json_parse=False)
    except Exception as exc:  # the library raises several types for malformed headers
        raise WebhookRejected(str(exc) or type(exc).__name__) from exc
    return {k.lower(): v for k, v in headers.items()}["webhook-id"]


def _field(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def validate_body(raw: Any) -> list[ActivityEvent]:
    try:
        return parse_body(raw)
    except ValidationError as exc:
        raise InvalidBody(
            [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors(include_url=False)]
        ) from exc


@dataclass(frozen=True)
class AttributionRules:
    signal: str
    window_days: int


class CouponRedeemer(Protocol):
    def redeem(self, code: str, user_id: str, order_at: datetime, order_ref: str) -> Redemption: ...


def redeem_coupons(
    events: Sequence[ActivityEvent], batch_id: str, coupons: CouponRedeemer
) -> dict[str, list[Redemption]]:
    """Redeem the coupon codes orders carry, per user. The order reference (request and position)
    is the same when the request is retried, so a retry finds its redemption done: `redeemed_before`."""
    found: dict[str, list[Redemption]] = defaultdict(list)
    for index, event in enumerate(events):
        code = event.properties.coupon_code
        if event.type == "order" and code:
            found[event.user_id].append(coupons.redeem(code, event.user_id, event.occurred_at, f"{batch_id}#{index}"))
    return found


def apply_events(
    events: Sequence[ActivityEvent],
    batch_id: str,
    store: ActivityStore,
    signal: str,
    attribution: AttributionRules,
    record: Callable[[Attribution], None],
    coupons: CouponRedeemer,
) -> IngestResult:
    """One conditional write per user. A profile that already holds `batch_id` is left alone, so a
    request retried after a partial failure completes without counting anything twice.

    When the events reactivate a user assigned to a campaign (or bring revenue in its window), the
    assignment is updated in the same write and `record` counts it once that write succeeded.
    Coupons are redeemed first: exactly once per code, and a rejected code (expired, used, another
    user's) is counted and logged while the order itself still counts."""
    redemptions = redeem_coupons(events, batch_id, coupons)
    by_user: dict[str, list[ActivityEvent]] = defaultdict(list)
    for event in events:
        by_user[event.user_id].append(event)
    profiles = store.get_many(by_user)
    applied = already = reactivated = 0
    for user_id, user_events in by_user.items():
        current = profiles.get(user_id)
        for _ in range(MAX_WRITE_ATTEMPTS):
            base = current or Profile(user_id=user_id)
            if batch_id in base.recent_batches:
                already += 1
                break
            merged = merge_events(base, user_events, batch_id, signal)
            merged.version = base.version + 1
            found = attribute(base.assignment, user_events, attribution.signal, attribution.window_days)
            redeemed = [r for r in redemptions.get(user_id, []) if r.accepted]
            a = base.assignment
            if a is not None and any(r.campaign_id == a.campaign_id for r in redeemed):
                found = found or Attribution(assignment=a)
                found.counts["coupons_redeemed"] += sum(r.campaign_id == a.campaign_id for r in redeemed)
            if found is not None:
                merged.assignment = found.assignment
            if store.put(merged, expected_version=base.version):
                applied += 1
                if found is not None:
                    record(found)
                    reactivated += found.counts["reactivated"]
                break
            current = store.get(user_id)
        else:
            raise ProfileContention(f"profile kept changing during {MAX_WRITE_ATTEMPTS} attempts")
    statuses = Counter(r.status.value for found in redemptions.values() for r in found)
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
    catalog: CatalogStore | None = None,
) -> dict[str, int]:
    """One webhook request's events under the program's rules; a reactivation (or revenue in the
    attribution window) is counted in the experiment cell of the user's assignment. Products the
    events describe (`properties.product`) are written to the catalog."""
    rules = AttributionRules(program.reactivation_signal(), program.experiments.attribution_window_days)

    def record(found: Attribution) -> None:
        a = found.assignment
        messaging.add_cell(a.campaign_id, None, a.arm, a.segment, found.counts)

    result = apply_events(events, webhook_id, store, program.dormancy.signal, rules, record, coupons).as_dict()
    if catalog is not None:
        from winback.domain.audience.catalog import items_from_events

        products = items_from_events(events)
        if products:
            catalog.put_many(products)
    return result
