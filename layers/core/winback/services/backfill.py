"""Backfill: one Distributed Map child batch of history rows, folded per user into their profiles.

Rows are validated with the webhook's event model and merged with the webhook's merge code
(`merge_events`); each user's profile is written together with the batch's marker (see
`BackfillStore`), so a re-run of the same files, or a retried child batch, changes nothing.
History is history: it moves timestamps and counters but neither redeems coupons nor counts as a
reactivation (the webhook does both for live events), and the products its events describe only
fill catalog items not known yet. Catalog rows update the catalog (an item as stored is a duplicate).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from winback.adapters.backfill_store import USERS_PER_TRANSACTION, Commit, Pending
from winback.domain.audience.catalog import items_from_events
from winback.domain.journey.merge import merge_events
from winback.models.backfill import (
    ChildBatch,
    batch_identity,
    event_object,
    is_item_row,
    item_object,
    line_number,
    row_identity,
)
from winback.models.catalog import CatalogItem, Product
from winback.models.events import ActivityEvent
from winback.models.profile import Profile
from winback.services.ingest import MAX_WRITE_ATTEMPTS, ProfileContention

if TYPE_CHECKING:
    from winback.adapters.backfill_store import BackfillStore
    from winback.adapters.catalog_store import CatalogStore


class RejectSink(Protocol):
    def write_errors(self, run_id: str, batch_id: str, rejected: Sequence[dict[str, Any]]) -> str: ...
    def write_progress(self, run_id: str, batch_id: str, counts: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class BackfillResult:
    batch_id: str
    rows: int
    applied: int
    duplicates: int
    rejected: int
    users: int
    items: int = 0
    errors_key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rejection(key: str, line: int, exc: ValidationError) -> dict[str, Any]:
    first = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "row"
    return {"file": key, "line": line, "field": field, "reason": first["msg"], "errors": len(exc.errors())}


def apply_batch(
    raw: dict[str, Any],
    store: BackfillStore,
    files: RejectSink,
    signal: str,
    now: datetime,
    catalog: CatalogStore | None = None,
) -> BackfillResult:
    """Apply one child batch (`{"Items": [...], "BatchInput": {...}}`); raises ValidationError when
    the batch itself is malformed (the child fails; a row's own faults only reject that row)."""
    batch = ChildBatch.model_validate(raw)
    source = batch.batch_input
    row_ids: list[str] = []
    rejected: list[dict[str, Any]] = []
    by_user: dict[str, list[ActivityEvent]] = defaultdict(list)
    products: dict[str, CatalogItem] = {}
    item_rows = 0
    for item in batch.items:
        line = line_number(item.index, source.format)
        row_ids.append(row_identity(source.key, line, item.row))
        try:
            if is_item_row(source.key, item.row):
                product = CatalogItem.from_product(Product.model_validate(item_object(item.row)))
                products[product.item_id] = product  # a later line about the same item wins
                item_rows += 1
                continue
            event = ActivityEvent.model_validate(event_object(item.row, source.format))
        except ValidationError as exc:
            rejected.append(_rejection(source.key, line, exc))
            continue
        by_user[event.user_id].append(event)
    batch_id = batch_identity(row_ids)
    applied = duplicates = 0
    profiles, marked = store.read(by_user, batch_id) if by_user else ({}, set())
    todo = []
    for user_id, events in by_user.items():
        if user_id in marked:
            duplicates += len(events)
        else:
            todo.append(user_id)
    at = now.isoformat()
    for start in range(0, len(todo), USERS_PER_TRANSACTION):
        chunk = todo[start : start + USERS_PER_TRANSACTION]
        entries = [_pending(profiles.get(u), u, by_user[u], batch_id, signal) for u in chunk]
        if store.commit_all(entries, batch_id, at):
            applied += sum(len(by_user[u]) for u in chunk)
            continue
        for user_id in chunk:  # someone changed meanwhile: one user at a time, re-reading on conflict
            outcome = _apply_user(store, profiles.get(user_id), user_id, by_user[user_id], batch_id, signal, at)
            if outcome is Commit.APPLIED:
                applied += len(by_user[user_id])
            else:
                duplicates += len(by_user[user_id])
    if catalog is not None and products:
        written, unchanged = catalog.update(products.values())
        applied += written
        duplicates += unchanged + item_rows - len(products)
    if catalog is not None and by_user:
        catalog.add_missing(items_from_events(e for events in by_user.values() for e in events))
    errors_key = files.write_errors(source.run_id, batch_id, rejected) if rejected else None
    result = BackfillResult(
        batch_id=batch_id,
        rows=len(batch.items),
        applied=applied,
        duplicates=duplicates,
        rejected=len(rejected),
        users=len(by_user),
        items=len(products),
        errors_key=errors_key,
    )
    files.write_progress(source.run_id, batch_id, result.as_dict())
    return result


def _pending(current: Profile | None, user_id: str, events: list[ActivityEvent], batch_id: str, signal: str) -> Pending:
    base = current or Profile(user_id=user_id)
    merged = merge_events(base, events, batch_id, signal)
    # The batch's marker is the dedupe here: keep the webhook ids the profile remembers.
    merged.recent_batches = base.recent_batches
    merged.version = base.version + 1
    return Pending(profile=merged, expected_version=base.version, rows=len(events))


def _apply_user(
    store: BackfillStore,
    current: Profile | None,
    user_id: str,
    events: list[ActivityEvent],
    batch_id: str,
    signal: str,
    at: str,
) -> Commit:
    for _ in range(MAX_WRITE_ATTEMPTS):
        outcome = store.commit(_pending(current, user_id, events, batch_id, signal), batch_id, at)
        if outcome is not Commit.CONFLICT:
            return outcome
        profiles, marked = store.read([user_id], batch_id)
        if user_id in marked:
            return Commit.ALREADY_APPLIED
        current = profiles.get(user_id)
    raise ProfileContention(f"profile kept changing during {MAX_WRITE_ATTEMPTS} attempts")
