"""Backfill: one Distributed Map child batch of history rows, folded per user into their profiles.

Rows are validated with the webhook's event model and merged with the webhook's merge code
(`merge_events`); each user's profile is written together with a marker naming the rows it applies
(see `BackfillStore`), and a row is known by what it says, not where it sits (models/backfill.py): a
re-run of the same files, a retried child batch, or the same history exported again with lines
added or under another name, applies no row twice. A row dated later than the present (plus the
allowed clock skew) is refused, as the webhook refuses it: it would make its user look active for
good. History is history: it moves timestamps and counters but neither redeems coupons nor counts
as a reactivation (the webhook does both for live events), and the products its events describe
only fill catalog items not known yet. Catalog rows update the catalog (an item as stored is a
duplicate).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
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
    source_event_id,
)
from winback.models.catalog import CatalogItem, Product
from winback.models.events import ActivityEvent
from winback.models.profile import Profile
from winback.services.ingest.apply import MAX_WRITE_ATTEMPTS, ProfileContention
from winback.services.ingest.validation import CLOCK_SKEW
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


@dataclass(frozen=True)
class _Row:
    event: ActivityEvent
    row_id: str


def _rejection(key: str, line: int, exc: ValidationError) -> dict[str, Any]:
    first = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "row"
    return {"file": key, "line": line, "field": field, "reason": first["msg"], "errors": len(exc.errors())}


@dataclass
class _Rows:
    """A child batch's rows, read: the events per user (each row once), the catalog items, and the
    rows rejected or repeated within the batch."""

    latest: datetime
    positions: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    by_user: dict[str, dict[str, _Row]] = field(default_factory=dict)
    products: dict[str, CatalogItem] = field(default_factory=dict)
    item_rows: int = 0
    repeated: int = 0

    def add(self, key: str, line: int, row: dict[str, Any], row_format: FileFormat) -> None:
        """One row: a catalog item (under `catalog/`) or an event; a row that is neither, or that
        happens after `latest`, is rejected."""
        self.positions.append(f"{key}:{line}")
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
        if event.occurred_at > self.latest:
            self.rejected.append({"file": key, "line": line, "field": "occurred_at", "reason": "is in the future"})
            return
        row_id = row_identity(event.model_dump_json(exclude_none=True), source_event_id(row))
        rows = self.by_user.setdefault(event.user_id, {})
        if row_id in rows:
            self.repeated += 1  # the same row twice in this batch
        else:
            rows[row_id] = _Row(event, row_id)

    def events(self) -> list[ActivityEvent]:
        return [r.event for rows in self.by_user.values() for r in rows.values()]


def _read_rows(batch: ChildBatch, latest: datetime) -> _Rows:
    source = batch.batch_input
    rows = _Rows(latest)
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
    clock_skew: timedelta = CLOCK_SKEW,
) -> BackfillResult:
    """Apply one child batch (`{"Items": [...], "BatchInput": {...}}`); raises ValidationError when
    the batch itself is malformed (the child fails; a row's own faults only reject that row)."""
    batch = ChildBatch.model_validate(raw)
    source = batch.batch_input
    rows = _read_rows(batch, now + clock_skew)
    batch_id = batch_identity(rows.positions)
    tally = _Users(store, signal, now.isoformat()).apply({u: list(r.values()) for u, r in rows.by_user.items()})
    tally["duplicates"] += rows.repeated
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


def _update_catalog(catalog: CatalogStore, rows: _Rows) -> Counter[str]:
    """Catalog rows update the catalog (an item as stored, or a later line about the same item, is a
    duplicate); the products that events describe only fill items not known yet."""
    tally: Counter[str] = Counter()
    if rows.products:
        written, unchanged = catalog.update(rows.products.values())
        tally["applied"] += written
        tally["duplicates"] += unchanged + rows.item_rows - len(rows.products)
    if rows.by_user:
        catalog.add_missing(items_from_events(rows.events()))
    return tally


def _pending(current: Profile | None, user_id: str, rows: Sequence[_Row], signal: str) -> Pending:
    base = current or Profile(user_id=user_id)
    merged = merge_events(base, [r.event for r in rows], "", signal)
    # The rows' markers are the dedupe here: keep the webhook ids the profile remembers.
    merged.recent_batches = base.recent_batches
    merged.version = base.version + 1
    return Pending(profile=merged, expected_version=base.version, row_ids=tuple(r.row_id for r in rows))


@dataclass(frozen=True)
class _Users:
    store: BackfillStore
    signal: str
    at: str

    def apply(self, by_user: dict[str, list[_Row]]) -> Counter[str]:
        """Rows `applied` and `duplicates`: rows the user's profile holds already are duplicates; the
        others are written USERS_PER_TRANSACTION users at a time, one user at a time after a
        conflict."""
        tally: Counter[str] = Counter()
        if not by_user:
            return tally
        profiles, applied = self.store.read({u: [r.row_id for r in rows] for u, rows in by_user.items()})
        tally["erased"] += drop_erased(by_user, profiles.erased)
        todo: dict[str, list[_Row]] = {}
        for user_id, rows in by_user.items():
            new = [r for r in rows if (user_id, r.row_id) not in applied]
            tally["duplicates"] += len(rows) - len(new)
            if new:
                todo[user_id] = new
        users = list(todo)
        for start in range(0, len(users), USERS_PER_TRANSACTION):
            tally.update(self._apply_group(users[start : start + USERS_PER_TRANSACTION], todo, profiles))
        return tally

    def _apply_group(self, group: list[str], todo: dict[str, list[_Row]], profiles: dict[str, Profile]) -> Counter[str]:
        entries = [_pending(profiles.get(u), u, todo[u], self.signal) for u in group]
        if self.store.commit_all(entries, self.at):
            return Counter({"applied": sum(len(todo[u]) for u in group)})
        tally: Counter[str] = Counter()
        for user_id in group:  # someone changed meanwhile: one user at a time, re-reading on conflict
            tally.update(self._apply_user(profiles.get(user_id), user_id, todo[user_id]))
        return tally

    def _apply_user(self, current: Profile | None, user_id: str, rows: list[_Row]) -> Counter[str]:
        """After a refused write, the profile and the rows it holds are read again: the rows applied
        meanwhile are duplicates, the others are merged into the profile as it is now."""
        tally: Counter[str] = Counter()
        for _ in range(MAX_WRITE_ATTEMPTS):
            if not rows:
                return tally
            if self.store.commit(_pending(current, user_id, rows, self.signal), self.at) is Commit.APPLIED:
                tally["applied"] += len(rows)
                return tally
            profiles, applied = self.store.read({user_id: [r.row_id for r in rows]})
            current = profiles.get(user_id)
            tally["duplicates"] += sum((user_id, r.row_id) in applied for r in rows)
            rows = [r for r in rows if (user_id, r.row_id) not in applied]
        raise ProfileContention(f"profile kept changing during {MAX_WRITE_ATTEMPTS} attempts")
