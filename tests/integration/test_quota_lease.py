"""adapters/quota_lease.py on MessagingTable (moto, from template.yaml): the email quota's one lease
counter, written by compare-and-set, so containers that each cache what they last saw never lease
more than the limit together, and one lease is usually one call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.conftest import Stack
from tests.integration.helpers import count_calls
from winback.adapters.quota_lease import QuotaLeaseStore
from winback.config.settings import get_settings
from winback.domain.journey.quota_window import WINDOW_HOURS

T0 = datetime(2026, 6, 10, 15, 20, tzinfo=UTC)
LIMIT = 100


def test_containers_interleaving_never_lease_more_than_the_limit(stack: Stack) -> None:
    """Guard: the condition on the item's version `v` (a write from a stale view is refused and the
    lease computed again on the item as it is). Without it each store would grant from its own view."""
    table = get_settings().messaging_table
    stores = [QuotaLeaseStore(table) for _ in range(3)]
    granted = 0
    for turn in range(40):
        granted += stores[turn % 3].lease(7, LIMIT, T0 + timedelta(seconds=turn)).granted
    assert granted == LIMIT
    assert all(s.lease(7, LIMIT, T0 + timedelta(minutes=5)).granted == 0 for s in stores)


def test_a_lease_is_one_call_when_no_other_container_wrote_in_between(stack: Stack) -> None:
    """The budget: one UpdateItem per block once the container has seen the item."""
    store = QuotaLeaseStore(get_settings().messaging_table)
    store.lease(10, LIMIT, T0)
    with count_calls() as calls:
        for i in range(5):
            assert store.lease(10, LIMIT, T0 + timedelta(seconds=i)).granted == 10
    assert dict(calls) == {"UpdateItem": 5}


def test_the_quota_frees_when_the_leased_hour_leaves_the_window(stack: Stack) -> None:
    table = get_settings().messaging_table
    first, other = QuotaLeaseStore(table), QuotaLeaseStore(table)
    assert first.lease(LIMIT, LIMIT, T0).granted == LIMIT
    spent = other.lease(1, LIMIT, T0 + timedelta(hours=WINDOW_HOURS))
    assert spent.granted == 0 and spent.free_at == T0.replace(minute=0) + timedelta(hours=WINDOW_HOURS + 1)
    assert other.lease(1, LIMIT, spent.free_at).granted == 1
