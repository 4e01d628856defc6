"""POST /events: signature, validation, replay, one write per user, monotonic timestamps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import count_calls, get_profile, sample_event
from winback.adapters.activity_store import ActivityStore, Applied
from winback_dev.signing import signed_headers


def _post(stack: Stack, body: str, headers: dict[str, str]) -> dict[str, Any]:
    event = sample_event("ingest_post_events.json")
    event["body"] = body
    event["headers"] = {**headers, "host": "api.example.com"}
    reply: dict[str, Any] = stack.invoke("ingest", event)
    return reply


def _signed(stack: Stack, payload: Any, webhook_id: str | None = None, at: datetime | None = None) -> dict[str, Any]:
    body = json.dumps(payload)
    return _post(stack, body, signed_headers(stack.webhook_secret, body, webhook_id, at))


def _sample_body() -> Any:
    return json.loads(sample_event("ingest_post_events.json")["body"])


def test_sample_batch_is_folded_into_one_profile_per_user(stack: Stack) -> None:
    with count_calls() as calls:
        reply = _signed(stack, _sample_body())
    assert reply["statusCode"] == 200
    assert json.loads(reply["body"]) == {
        "events": 5,
        "users": 2,
        "applied": 2,
        "already_applied": 0,
        "reactivated": 0,
        "coupons_redeemed": 0,
        "coupons_rejected": 0,
    }
    # one transaction per user (the profile and its webhook marker); the idempotency record is a PutItem
    assert calls["TransactWriteItems"] == 2 and calls["PutItem"] == 1
    assert calls["BatchGetItem"] == 1
    xiaoming = get_profile("u-1001")
    assert xiaoming is not None
    assert xiaoming.email == "xiaoming@example.com"
    assert xiaoming.phone == "+8613800138000"
    assert xiaoming.orders == 1 and xiaoming.spend_minor == {"CNY": 19900}
    assert xiaoming.consent == {"email": True, "sms": True, "push": False}
    alex = get_profile("u-1002")
    assert alex is not None and alex.recent_items == ["sku-7"]
    assert alex.last_seen_at == datetime(2026, 7, 4, 15, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h: {**h, "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
        lambda h: {k: v for k, v in h.items() if k != "webhook-signature"},
        lambda h: {**h, "webhook-signature": "garbage"},
        lambda h: {**h, "webhook-id": "msg_other"},
    ],
    ids=["wrong-signature", "missing-header", "malformed-signature", "id-not-signed"],
)
def test_bad_signature_is_401_and_writes_nothing(stack: Stack, mangle: Any) -> None:
    body = json.dumps(_sample_body())
    reply = _post(stack, body, mangle(signed_headers(stack.webhook_secret, body)))
    assert reply["statusCode"] == 401
    assert get_profile("u-1001") is None


def test_stale_signature_is_401(stack: Stack) -> None:
    reply = _signed(stack, _sample_body(), at=datetime.now(UTC) - timedelta(minutes=6))
    assert reply["statusCode"] == 401
    assert get_profile("u-1001") is None


def test_invalid_body_is_400_naming_each_field_and_writes_nothing(stack: Stack) -> None:
    payload = _sample_body()
    payload["events"][1]["occurred_at"] = "2026-06-02T20:15:00"  # no offset
    payload["events"][3]["type"] = "teleport"
    payload["events"][2]["properties"]["phone"] = "12"
    reply = _signed(stack, payload)
    assert reply["statusCode"] == 400
    fields = {e["field"] for e in json.loads(reply["body"])["errors"]}
    assert {"events.1.occurred_at", "events.3.type", "events.2.properties.phone"} <= fields
    assert get_profile("u-1001") is None and get_profile("u-1002") is None


def test_body_that_is_not_json_is_400(stack: Stack) -> None:
    body = "{not json"
    reply = _post(stack, body, signed_headers(stack.webhook_secret, body))
    assert reply["statusCode"] == 400
    assert json.loads(reply["body"])["errors"][0]["field"] == "body"


def test_more_than_100_events_is_400(stack: Stack) -> None:
    event = {"user_id": "u-1", "type": "login", "occurred_at": "2026-07-01T00:00:00Z"}
    reply = _signed(stack, {"events": [event] * 101})
    assert reply["statusCode"] == 400
    assert get_profile("u-1") is None


def test_replayed_webhook_id_is_applied_once(stack: Stack) -> None:
    first = _signed(stack, _sample_body(), webhook_id="msg_once")
    again = _signed(stack, _sample_body(), webhook_id="msg_once")
    assert first["statusCode"] == again["statusCode"] == 200
    profile = get_profile("u-1001")
    assert profile is not None
    assert profile.orders == 1 and profile.spend_minor == {"CNY": 19900}
    assert profile.event_counts["order"] == 1


def test_older_event_never_moves_last_active_backwards(stack: Stack) -> None:
    _signed(
        stack,
        {
            "user_id": "u-9",
            "type": "order",
            "occurred_at": "2026-09-01T00:00:00Z",
            "properties": {"amount": "10", "currency": "USD"},
        },
    )
    _signed(
        stack,
        {
            "user_id": "u-9",
            "type": "order",
            "occurred_at": "2026-03-01T00:00:00Z",
            "properties": {"amount": "5", "currency": "USD"},
        },
    )
    profile = get_profile("u-9")
    assert profile is not None
    assert profile.last_event_at["order"] == datetime(2026, 9, 1, tzinfo=UTC)
    assert profile.last_seen_at == datetime(2026, 9, 1, tzinfo=UTC)
    assert profile.orders == 2 and profile.spend_minor == {"USD": 1500}


def test_retry_after_a_partial_failure_completes_without_double_counting(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = ActivityStore.put_applying
    writes = {"n": 0}

    def flaky_put(self: ActivityStore, *args: Any) -> Applied:
        writes["n"] += 1
        if writes["n"] == 2:
            raise RuntimeError("connection reset")
        return original(self, *args)

    monkeypatch.setattr(ActivityStore, "put_applying", flaky_put)
    with pytest.raises(RuntimeError):
        _signed(stack, _sample_body(), webhook_id="msg_flaky")
    monkeypatch.setattr(ActivityStore, "put_applying", original)
    retry = _signed(stack, _sample_body(), webhook_id="msg_flaky")
    assert retry["statusCode"] == 200
    assert json.loads(retry["body"])["already_applied"] == 1
    xiaoming, alex = get_profile("u-1001"), get_profile("u-1002")
    assert xiaoming is not None and alex is not None
    assert xiaoming.orders == 1
    assert alex.event_counts == {"profile": 1, "login": 1, "view": 1}
