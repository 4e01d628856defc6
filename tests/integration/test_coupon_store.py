"""adapters/coupon_store.py on moto: idempotent issue, budget limits under concurrency, exactly-once redemption."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from tests.integration.helpers import create_keyed_table, fake_aws_env
from winback.adapters import clients
from winback.adapters.coupon_store import CouponStore, CurrencyMismatch, coupon_key, pointer_key
from winback.config.incentives import Budget
from winback.domain.journey.coupons import new_code, normalize_code
from winback.models.coupons import IssuedCoupon, RedemptionStatus
from winback.runtime.deps import reset

TABLE = "messaging"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(days=14)
EPISODE = "2026-01-15T00:00:00+00:00"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[CouponStore]:
    fake_aws_env(monkeypatch)
    with mock_aws():
        reset()
        create_keyed_table(TABLE)
        yield CouponStore(TABLE)
        reset()


@pytest.fixture
def atomic_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's DynamoDB apply each request atomically, as DynamoDB does.

    In-process moto evaluates a condition and writes without a lock, so two threads can both pass
    a check that DynamoDB would let only one pass. The lock gives back DynamoDB's guarantee; what is
    tested is that the store relies on conditional writes, not on reading first.
    """
    lock = threading.RLock()

    def serialized(method: Any) -> Any:
        @functools.wraps(method)
        def locked(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return locked

    for name in ("get_item", "put_item", "update_item", "delete_item", "query", "transact_write_items"):
        monkeypatch.setattr(DynamoDBBackend, name, serialized(getattr(DynamoDBBackend, name)))


def issue(
    store: CouponStore, user: str = "u-1", value: int = 1000, budget: Budget | None = None
) -> IssuedCoupon | None:
    return store.issue(user, "dormant-offer", 0, EPISODE, value, "USD", EXPIRES, budget, NOW)


def issued(store: CouponStore, user: str = "u-1", value: int = 1000) -> IssuedCoupon:
    coupon = issue(store, user, value)
    assert coupon is not None
    return coupon


def item(key: dict[str, str]) -> dict[str, Any] | None:
    reply = boto3.client("dynamodb").get_item(TableName=TABLE, Key={k: {"S": v} for k, v in key.items()})
    found: dict[str, Any] | None = reply.get("Item")
    return found


def test_issue_stores_a_redeemable_coupon_and_the_users_pointer(store: CouponStore) -> None:
    coupon = issued(store)
    assert normalize_code(coupon.code) == coupon.code
    assert coupon.code.startswith("WB-")
    assert (coupon.user_id, coupon.campaign_id, coupon.step, coupon.episode) == ("u-1", "dormant-offer", 0, EPISODE)
    assert (coupon.value_minor, coupon.currency, coupon.expires_at) == (1000, "USD", EXPIRES)
    stored = item(coupon_key(coupon.code))
    assert stored is not None
    assert stored["status"] == {"S": "issued"}
    assert stored["user_id"] == {"S": "u-1"}
    pointer = item(pointer_key("u-1", "dormant-offer", 0, EPISODE))
    assert pointer is not None
    assert pointer["code"] == {"S": coupon.code}


def test_issuing_again_for_the_same_send_returns_the_same_code(store: CouponStore) -> None:
    budget = Budget(max_count=10, max_value=Decimal(1000), currency="USD")
    first = issue(store, budget=budget)
    again = issue(store, budget=budget)
    assert first is not None
    assert again == first
    assert store.spend("dormant-offer")["issued"] == 1  # the retry reserved nothing


def test_a_new_episode_or_step_gets_a_new_code(store: CouponStore) -> None:
    first = issued(store)
    next_step = store.issue("u-1", "dormant-offer", 1, EPISODE, 1000, "USD", EXPIRES, None, NOW)
    next_lapse = store.issue("u-1", "dormant-offer", 0, "2026-06-01T00:00:00+00:00", 1000, "USD", EXPIRES, None, NOW)
    assert next_step is not None
    assert next_lapse is not None
    assert len({first.code, next_step.code, next_lapse.code}) == 3


def test_budget_stops_at_max_count(store: CouponStore) -> None:
    budget = Budget(max_count=3, max_value=Decimal(1000), currency="USD")
    results = [issue(store, f"u-{i}", budget=budget) for i in range(5)]
    assert [r is not None for r in results] == [True, True, True, False, False]
    assert store.spend("dormant-offer")["issued"] == 3


def test_budget_stops_at_max_value(store: CouponStore) -> None:
    budget = Budget(max_count=100, max_value=Decimal(25), currency="USD")  # 2,500 cents
    results = [issue(store, f"u-{i}", value=1000, budget=budget) for i in range(4)]
    assert [r is not None for r in results] == [True, True, False, False]
    # a smaller coupon still fits in what is left
    assert issue(store, "u-small", value=500, budget=budget) is not None
    assert issue(store, "u-more", value=1, budget=budget) is None
    assert store.spend("dormant-offer")["issued_value"] == 2500


def test_coupon_worth_more_than_the_whole_budget_is_never_issued(store: CouponStore) -> None:
    budget = Budget(max_count=100, max_value=Decimal(5), currency="USD")
    assert issue(store, value=1000, budget=budget) is None
    assert store.spend("dormant-offer")["issued"] == 0


@pytest.mark.usefixtures("atomic_writes")
def test_no_over_issue_under_concurrent_issuers(store: CouponStore) -> None:
    budget = Budget(max_count=7, max_value=Decimal(1000), currency="USD")
    clients.dynamodb()  # create the shared client before the threads race for it
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda i: issue(store, f"u-{i}", budget=budget), range(20)))
    granted = [r for r in results if r is not None]
    assert len(granted) == 7
    assert len({c.code for c in granted}) == 7
    assert store.spend("dormant-offer") == {"issued": 7, "issued_value": 7000, "redeemed": 0, "redeemed_value": 0}


def test_budget_in_another_currency_is_a_config_error(store: CouponStore) -> None:
    with pytest.raises(CurrencyMismatch):
        issue(store, budget=Budget(max_count=1, max_value=Decimal(100), currency="EUR"))


def test_campaign_coupons_keep_one_currency(store: CouponStore) -> None:
    issued(store)
    with pytest.raises(CurrencyMismatch):
        store.issue("u-2", "dormant-offer", 0, EPISODE, 1000, "EUR", EXPIRES, None, NOW)


def test_redeem_once_then_reuse_is_rejected(store: CouponStore) -> None:
    coupon = issued(store)
    first = store.redeem(coupon.code, "u-1", NOW + timedelta(days=1), "order-1")
    assert first.status is RedemptionStatus.REDEEMED
    assert first.accepted
    assert (first.campaign_id, first.step, first.value_minor, first.currency) == ("dormant-offer", 0, 1000, "USD")
    second = store.redeem(coupon.code, "u-1", NOW + timedelta(days=2), "order-2")
    assert second.status is RedemptionStatus.ALREADY_USED
    assert not second.accepted


def test_replayed_order_is_redeemed_before_not_an_error(store: CouponStore) -> None:
    coupon = issued(store)
    store.redeem(coupon.code, "u-1", NOW + timedelta(days=1), "order-1")
    replay = store.redeem(coupon.code, "u-1", NOW + timedelta(days=1), "order-1")
    assert replay.status is RedemptionStatus.REDEEMED_BEFORE
    assert replay.accepted
    assert replay.value_minor == 1000
    assert store.spend("dormant-offer")["redeemed"] == 1  # counted once


def test_code_is_accepted_as_typed(store: CouponStore) -> None:
    coupon = issued(store)
    typed = coupon.code.lower().replace("-", " ")
    assert store.redeem(typed, "u-1", NOW, "order-1").status is RedemptionStatus.REDEEMED


def test_expired_coupon_is_rejected(store: CouponStore) -> None:
    coupon = issued(store)
    assert store.redeem(coupon.code, "u-1", EXPIRES, "order-1").status is RedemptionStatus.EXPIRED
    assert store.redeem(coupon.code, "u-1", EXPIRES - timedelta(seconds=1), "order-1").accepted


def test_unknown_and_mistyped_codes_are_rejected(store: CouponStore) -> None:
    coupon = issued(store)
    never_issued = new_code()
    assert normalize_code(never_issued) == never_issued  # a well-formed code nobody got
    assert store.redeem(never_issued, "u-1", NOW, "order-1").status is RedemptionStatus.UNKNOWN
    typo = coupon.code[:-1] + ("0" if coupon.code[-1] != "0" else "1")
    assert store.redeem(typo, "u-1", NOW, "order-1").status is RedemptionStatus.UNKNOWN


def test_someone_elses_coupon_is_rejected(store: CouponStore) -> None:
    coupon = issued(store)
    wrong = store.redeem(coupon.code, "u-2", NOW, "order-9")
    assert wrong.status is RedemptionStatus.WRONG_USER
    assert wrong.campaign_id is None  # nothing about the coupon is revealed
    assert store.redeem(coupon.code, "u-1", NOW, "order-1").status is RedemptionStatus.REDEEMED


@pytest.mark.usefixtures("atomic_writes")
def test_concurrent_redemptions_succeed_exactly_once(store: CouponStore) -> None:
    coupon = issued(store)
    clients.dynamodb()
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda i: store.redeem(coupon.code, "u-1", NOW, f"order-{i}"), range(10)))
    statuses = sorted(r.status for r in results)
    assert statuses.count(RedemptionStatus.REDEEMED) == 1
    assert statuses.count(RedemptionStatus.ALREADY_USED) == 9
    assert store.spend("dormant-offer")["redeemed"] == 1


def test_spend_reports_issued_and_redeemed(store: CouponStore) -> None:
    assert store.spend("dormant-offer") == {"issued": 0, "issued_value": 0, "redeemed": 0, "redeemed_value": 0}
    coupons = [issued(store, f"u-{i}", value=500 + i) for i in range(3)]
    store.redeem(coupons[0].code, "u-0", NOW, "order-a")
    store.redeem(coupons[2].code, "u-2", NOW, "order-b")
    store.redeem(coupons[2].code, "u-2", NOW, "order-b")  # webhook retry
    assert store.spend("dormant-offer") == {"issued": 3, "issued_value": 1503, "redeemed": 2, "redeemed_value": 1002}
    assert store.spend("other-campaign")["issued"] == 0
