"""Backfill: one Distributed Map child batch of history rows, folded per user into their profiles.

Rows are validated with the webhook's event model and merged with the webhook's merge code
(`merge_events`); each user's profile is written together with the batch's marker (see
`BackfillStore`), so a re-run of the same files, or a retried child batch, changes nothing.
History is history: it moves timestamps and counters but neither redeems coupons nor counts as a
reactivation (the webhook does both for live events), and the products its events describe only
fill catalog items not known yet. Catalog rows update the catalog (an item as stored is a duplicate).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
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
from winback.services.ingest.apply import MAX_WRITE_ATTEMPTS, ProfileContention
from winback.services.privacy.tombstone import drop_erased

if TYPE_CHECKING:
    from winback.adapters.backfill_store import BackfillStore
    from winback.adapters.catalog_store import CatalogStore
    from winback.models.backfill import FileFormat


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
    erased: int = 0  # rows of erased users, dropped (services/privacy/tombstone.py)

    def as_dict(self) -> dict[str, Any]:
        # `erased` only when an erased user's events were dropped (services/privacy/tombstone.py)
        return {k: v for k, v in asdict(self).items() if k != "erased" or v}


def _rejection(key: str, line: int, exc: ValidationError) -> dict[str, Any]:
    first = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "row"
    return {"file": key, "line": line, "field": field, "reason": first["msg"], "errors": len(exc.errors())}


@dataclass
class _Rows:
    """A child batch's rows, read: the events per user, the catalog items, and the rows rejected."""

    ids: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    by_user: dict[str, list[ActivityEvent]] = field(default_factory=lambda: defaultdict(list))
    products: dict[str, CatalogItem] = field(default_factory=dict)
    item_rows: int = 0

    def add(self, key: str, line: int, row: dict[str, Any], row_format: FileFormat) -> None:
        """One row: a catalog item (under `catalog/`) or an event; a row that is neither is rejected."""
        self.ids.append(row_identity(key, line, row))
        try:
            if is_item_row(key, row):
                product = CatalogItem.from_product(Product.model_validate(item_object(row)))
                self.products[product.item_id] = product  # a later line about the same item wins
                self.item_rows += 1
                return
            event = ActivityEvent.model_validate(event_object(row, row_format))
        except ValidationError as exc:
            self.rejected.append(_rejection(key, line, exc))
            return
        self.by_user[event.user_id].append(event)


def _read_rows(batch: ChildBatch) -> _Rows:
    source = batch.batch_input
    rows = _Rows()
    for item in batch.items:
        rows.add(source.key, line_number(item.index, source.format), item.row, source.format)
    return rows


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
    rows = _read_rows(batch)
    batch_id = batch_identity(rows.ids)
    tally = _apply_users(store, rows.by_user, batch_id, signal, now.isoformat())
    if catalog is not None:
        tally.update(_update_catalog(catalog, rows))
    errors_key = files.write_errors(source.run_id, batch_id, rows.rejected) if rows.rejected else None
    result = BackfillResult(
        batch_id=batch_id,
        rows=len(batch.items),
        applied=tally["applied"],
        duplicates=tally["duplicates"],
        rejected=len(rows.rejected),
        users=len(rows.by_user),
        items=len(rows.products),
        errors_key=errors_key,
        erased=tally["erased"],
    )
    files.write_progress(source.run_id, batch_id, result.as_dict())
    return result


def _apply_users(
    store: BackfillStore, by_user: dict[str, list[ActivityEvent]], batch_id: str, signal: str, at: str
) -> Counter[str]:
    """Rows `applied` and `duplicates`: users whose profile holds the batch's marker already are
    duplicates; the others are written USERS_PER_TRANSACTION at a time, one by one after a conflict."""
    tally: Counter[str] = Counter()
    if not by_user:
        return tally
    profiles, marked = store.read(by_user, batch_id)
    tally["erased"] += drop_erased(by_user, getattr(profiles, "erased", frozenset()))
    todo = []
    for user_id, events in by_user.items():
        if user_id in marked:
            tally["duplicates"] += len(events)
        else:
            todo.append(user_id)
    for start in range(0, len(todo), USERS_PER_TRANSACTION):
        chunk = todo[start : start + USERS_PER_TRANSACTION]
        entries = [_pending(profiles.get(u), u, by_user[u], batch_id, signal) for u in chunk]
        if store.commit_all(entries, batch_id, at):
            tally["applied"] += sum(len(by_user[u]) for u in chunk)
            continue
        for user_id in chunk:  # someone changed meanwhile: one user at a time, re-reading on conflict
            outcome = _apply_user(store, profiles.get(user_id), user_id, by_user[user_id], batch_id, signal, at)
            tally["applied" if outcome is Commit.APPLIED else "duplicates"] += len(by_user[user_id])
    return tally


def _update_catalog(catalog: CatalogStore, rows: _Rows) -> Counter[str]:
    """Catalog rows update the catalog (an item as stored, or a later line about the same item, is a
    duplicate); the products that events describe only fill items not known yet."""
    tally: Counter[str] = Counter()
    if rows.products:
        written, unchanged = catalog.update(rows.products.values())
        tally["applied"] += written
        tally["duplicates"] += unchanged + rows.item_rows - len(rows.products)
    if rows.by_user:
        catalog.add_missing(items_from_events(e for events in rows.by_user.values() for e in events))
    return tally


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
