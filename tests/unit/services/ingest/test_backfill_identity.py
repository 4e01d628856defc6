"""A history imported again, shifted, re-cut into other batches or renamed, applies no row twice
(services/ingest/backfill.py over an in-memory BackfillStore): a property over drawn histories."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from winback.adapters.backfill_store import BackfillStore, Commit, Pending
from winback.models.erasure import ProfilesRead
from winback.models.profile import Profile
from winback.services.ingest.backfill import apply_batch

NOW = datetime(2026, 6, 1, tzinfo=UTC)


class MemoryBackfill(BackfillStore):
    """Profiles and row-set markers, each transaction all or nothing, read as the real store reads."""

    def __init__(self) -> None:
        super().__init__("activity", "messaging")
        self.profiles: dict[str, Profile] = {}
        self.markers: dict[str, set[frozenset[str]]] = {}

    def read(self, rows: Mapping[str, Collection[str]]) -> tuple[ProfilesRead, set[tuple[str, str]]]:
        held = {u: set().union(*self.markers.get(u, set())) for u in rows}
        return ProfilesRead({u: p for u in rows if (p := self.profiles.get(u))}), {
            (u, r) for u, ids in rows.items() for r in ids if r in held[u]
        }

    def _refused(self, entry: Pending) -> Commit | None:
        if frozenset(entry.row_ids) in self.markers.get(entry.profile.user_id, set()):
            return Commit.ALREADY_APPLIED
        stored = self.profiles.get(entry.profile.user_id)
        return Commit.CONFLICT if (stored.version if stored else 0) != entry.expected_version else None

    def commit_all(self, entries: Sequence[Pending], at: str) -> bool:
        if any(self._refused(e) for e in entries):
            return False
        for entry in entries:
            self.commit(entry, at)
        return True

    def commit(self, entry: Pending, at: str) -> Commit:
        refused = self._refused(entry)
        if refused is not None:
            return refused
        self.profiles[entry.profile.user_id] = entry.profile
        self.markers.setdefault(entry.profile.user_id, set()).add(frozenset(entry.row_ids))
        return Commit.APPLIED


class NoFiles:
    def write_errors(self, run_id: str, batch_id: str, rejected: Sequence[dict[str, Any]]) -> str:
        raise AssertionError("every drawn row is valid")

    def write_progress(self, run_id: str, batch_id: str, counts: dict[str, Any]) -> None:
        pass


def _import(store: MemoryBackfill, key: str, rows: list[dict[str, Any]], batch: int) -> int:
    applied = 0
    for start in range(0, len(rows), batch):
        items = [{"row": r, "index": start + i} for i, r in enumerate(rows[start : start + batch])]
        child = {"Items": items, "BatchInput": {"bucket": "b-1", "key": key, "format": "jsonl", "run_id": "r"}}
        applied += apply_batch(child, store, NoFiles(), "order", NOW).applied
    return applied


orders = st.builds(
    lambda user, minute, cents: {
        "user_id": f"u-{user}",
        "type": "order",
        "occurred_at": (NOW - timedelta(days=30, minutes=minute)).isoformat(),
        "properties": {"amount": f"{cents / 100:.2f}", "currency": "USD"},
    },
    st.integers(0, 4),
    st.integers(0, 5),
    st.integers(100, 110),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(orders, min_size=1, max_size=40), orders, st.integers(1, 12), st.integers(1, 12))
def test_an_export_shifted_by_a_new_first_line_applies_only_the_new_rows(
    history: list[dict[str, Any]], newest: dict[str, Any], first_batch: int, second_batch: int
) -> None:
    """Guard: the row's identity from what it says (models/backfill.row_identity) and the markers
    naming the rows each profile holds: whatever the batch sizes and file names, each distinct row
    counts once."""
    store = MemoryBackfill()
    distinct = {repr(sorted(r.items())) for r in history}
    assert _import(store, "imports/orders.jsonl", history, first_batch) == len(distinct)
    again = _import(store, "imports/orders-again.jsonl", [newest, *history], second_batch)
    assert again == (0 if repr(sorted(newest.items())) in distinct else 1)
    assert sum(p.orders for p in store.profiles.values()) == len(distinct | {repr(sorted(newest.items()))})
