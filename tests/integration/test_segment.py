"""POST /events/segment through the real handler on moto: Segment's own examples in a batch change
the profiles; a resend in another batch changes nothing; unauthenticated requests write nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import get_profile, sample_event
from winback.runtime.deps import reset
from winback_dev.lambda_events import http_event

SPEC = Path(__file__).resolve().parents[1] / "segment_spec"
USER = "97980cfea0067"


def _spec(name: str) -> Any:
    return json.loads((SPEC / name).read_text(encoding="utf-8"))


def _secret(stack: Stack) -> str:
    arn = stack.resources.physical["SegmentSecret"]
    return str(boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])


def _batch() -> list[dict[str, Any]]:
    identify = _spec("identify.json")
    identify["context"] |= {"locale": "en-US", "timezone": "America/Los_Angeles"}
    identify["traits"]["consent"] = {"email": True, "sms": False}
    order = _spec("track.json") | {
        "userId": USER,
        "event": "Order Completed",
        "messageId": "ajs-order-50314b8e9bcf",
        "properties": _spec("order_completed_properties.json"),
    }
    viewed = _spec("track.json") | {
        "userId": USER,
        "event": "Product Viewed",
        "messageId": "ajs-view-1",
        "properties": _spec("product_viewed_properties.json"),
    }
    return [identify, _spec("page.json"), _spec("screen.json"), order, viewed, _spec("track.json")]


def _signed(stack: Stack, payload: Any) -> dict[str, Any]:
    body = json.dumps(payload)
    signature = hmac.new(_secret(stack).encode(), body.encode(), hashlib.sha1).hexdigest()
    return stack.runner.post_segment(body, {"X-Signature": signature})


def _signed_whole(stack: Stack, payload: Any) -> dict[str, Any]:
    """A body signed whole (any sender may sign an array that way: it covers every call)."""
    return _signed(stack, payload)


def test_spec_batch_changes_profiles_and_a_resend_changes_nothing(stack: Stack) -> None:
    """Guards: the mapping (identify -> contact and consent, Order Completed -> order and revenue,
    Product Viewed/page/screen -> views) applied through the ingest service; per-call dedupe on
    (type, messageId): the same calls resent in a different batch are applied once."""
    reply = _signed(stack, {"batch": _batch()})
    assert reply["statusCode"] == 200, reply["body"]
    result = json.loads(reply["body"])
    assert result == {
        "calls": 6,
        "ignored": 1,  # the spec's "Course Clicked"
        "anonymous": 0,
        "events": 5,
        "users": 1,
        "applied": 1,
        "already_applied": 0,
        "duplicates": 0,
        "message_id_reused": 0,
        "rejected": [],
        "left_out": [],
        "reactivated": 0,
        "coupons_redeemed": 0,
        "coupons_rejected": 1,  # "hasbros" is not a winback code: rejected and counted, the order counts
    }
    profile = get_profile(USER)
    assert profile is not None
    assert (profile.email, profile.name) == ("peter@example.com", "Peter Gibbons")
    assert (profile.locale, profile.time_zone) == ("en-US", "America/Los_Angeles")
    assert profile.consent == {"email": True, "sms": False}
    assert profile.orders == 1 and profile.spend_minor == {"USD": 2750}
    assert profile.event_counts == {"profile": 1, "view": 3, "order": 1}
    assert profile.bought_items == ["507f1f77bcf86cd799439011"]

    resent = _signed_whole(stack, list(reversed(_batch())))  # the array shape, signed whole
    assert resent["statusCode"] == 200
    assert json.loads(resent["body"])["already_applied"] == 1
    again = get_profile(USER)
    assert again is not None and again.orders == 1 and again.spend_minor == {"USD": 2750}
    assert again.event_counts == profile.event_counts


def test_bearer_secret_is_accepted(stack: Stack) -> None:
    body = json.dumps(_spec("page.json"))
    reply = stack.runner.post_segment(body, {"Authorization": f"Bearer {_secret(stack)}"})
    assert reply["statusCode"] == 200
    profile = get_profile(USER)
    assert profile is not None and profile.event_counts == {"view": 1}


@pytest.mark.parametrize("how", ["unsigned", "wrong-signature", "wrong-bearer"])
def test_unauthenticated_request_is_401_and_writes_nothing(stack: Stack, how: str) -> None:
    """Guard: authentication comes before anything is parsed or written."""
    body = json.dumps({"batch": _batch()})
    headers = {
        "unsigned": {},
        "wrong-signature": {"X-Signature": hmac.new(b"guess", body.encode(), hashlib.sha1).hexdigest()},
        "wrong-bearer": {"Authorization": "Bearer guess"},
    }[how]
    reply = stack.runner.post_segment(body, headers)
    assert reply["statusCode"] == 401
    assert get_profile(USER) is None


def test_an_invalid_single_call_is_400_naming_the_field_and_nothing_is_written(stack: Stack) -> None:
    order = _batch()[3]
    order["properties"]["currency"] = "US$"
    reply = _signed(stack, order)
    assert reply["statusCode"] == 400
    assert [e["field"] for e in json.loads(reply["body"])["errors"]] == ["properties.currency"]
    assert get_profile(USER) is None


def test_decimal_amounts_survive_as_written(stack: Stack) -> None:
    order = _batch()[3]
    order["properties"]["total"] = Decimal("19.99")
    reply = _signed(stack, json.loads(json.dumps(order, default=str).replace('"19.99"', "19.99")))
    assert reply["statusCode"] == 200
    profile = get_profile(USER)
    assert profile is not None and profile.spend_minor == {"USD": 1999}


def test_sample_event_is_accepted_once_signed(stack: Stack) -> None:
    """events/segment_post_batch.json (for `sam local invoke -e`) goes through the handler as written,
    given a signature of its body."""
    event = sample_event("segment_post_batch.json")
    event["headers"]["x-signature"] = hmac.new(
        _secret(stack).encode(), event["body"].encode(), hashlib.sha1
    ).hexdigest()
    reply = stack.invoke("segment", event)
    assert reply["statusCode"] == 200, reply["body"]
    profile = get_profile(USER)
    assert profile is not None and profile.orders == 1


def test_a_call_twice_in_one_batch_counts_once(stack: Stack) -> None:
    """Guard: per-call dedupe also within one request (a destination's batch may repeat a call)."""
    order = _batch()[3]
    reply = _signed(stack, {"batch": [order, order]})
    assert reply["statusCode"] == 200
    profile = get_profile(USER)
    assert profile is not None and profile.orders == 1 and profile.spend_minor == {"USD": 2750}


def _signed_raw(stack: Stack, body: str, base64_flag: bool = False) -> dict[str, Any]:
    signed_over = base64.b64decode(body) if base64_flag else body.encode()
    signature = hmac.new(_secret(stack).encode(), signed_over, hashlib.sha1).hexdigest()
    event = http_event("POST", "/events/segment", body, {"x-signature": signature, "content-type": "application/json"})
    event["isBase64Encoded"] = base64_flag
    reply: dict[str, Any] = stack.invoke("segment", event)
    return reply


def test_hostile_bodies_are_400_naming_the_field_never_5xx(stack: Stack) -> None:
    """Guards: the public-route bounds of runtime/request.py on this route too (raw_body's size and
    base64 checks) and the 400 on JSON nested past the parser's recursion limit."""
    nested = "[" * 100_000 + "]" * 100_000  # past the JSON parser's recursion limit
    too_big = json.dumps({"batch": [], "pad": "x" * (1024 * 1024)})
    not_base64 = "%%% not base64 %%%"
    for body, flag in ((nested, False), (too_big, False), (not_base64, True)):
        if flag:
            event = http_event("POST", "/events/segment", body, {"content-type": "application/json"})
            event["isBase64Encoded"] = True
            reply = stack.invoke("segment", event)
        else:
            reply = _signed_raw(stack, body)
        assert reply["statusCode"] == 400, (body[:20], reply["statusCode"], reply["body"][:200])
        assert json.loads(reply["body"])["errors"][0]["field"] == "body"
    assert get_profile(USER) is None


# --- no good call lost with a bad one ---------------------------------------------------------------


def _order(message_id: str, total: Any, currency: str = "USD", at: str | None = None) -> dict[str, Any]:
    call: dict[str, Any] = _spec("track.json")
    return call | {
        "userId": USER,
        "event": "Order Completed",
        "messageId": message_id,
        "timestamp": at or datetime.now(UTC).isoformat(),
        "properties": {"total": total, "currency": currency},
    }


def test_a_batch_with_odd_calls_applies_every_good_one_and_names_the_others(stack: Stack) -> None:
    """Guard: per-call validation through the handler. Segment does not retry a 4xx, so the old 400
    for the whole batch lost the good calls: now they apply and the reply names each refused call."""
    ahead = (datetime.now(UTC) + timedelta(minutes=20)).isoformat()
    body = (
        '{"batch": ['
        + json.dumps(_order("ajs-float", 1))[:-1].replace('"total": 1', '"total": 3.3000000000000003')
        + "}, "
        + ", ".join(
            json.dumps(c)
            for c in (
                _order("ajs-refund", -27.5),
                _order("ajs-dollar", 19.99, currency="US$"),
                _order("ajs-ahead", 5, at=ahead),
                _spec("page.json"),
            )
        )
        + "]}"
    )
    signature = hmac.new(_secret(stack).encode(), body.encode(), hashlib.sha1).hexdigest()
    reply = stack.runner.post_segment(body, {"X-Signature": signature})
    assert reply["statusCode"] == 200, reply["body"]
    result = json.loads(reply["body"])
    assert (result["calls"], result["events"], result["ignored"]) == (5, 2, 1)
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [(2, "properties.currency"), (3, "timestamp")]
    profile = get_profile(USER)
    assert profile is not None and profile.orders == 1 and profile.spend_minor == {"USD": 330}
    assert profile.event_counts == {"order": 1, "view": 1}


def test_an_order_resent_after_fifty_page_views_in_other_batches_counts_once(stack: Stack) -> None:
    """Guard: the (user, call) marker with its TTL (ActivityStore.put_marking_calls). The profile
    used to remember the user's last 50 call ids: an order re-sent after 50 page views in other
    batches counted twice (orders and revenue feed RFM, attribution and lift)."""
    order = _order("ajs-order-once", 27.5)
    assert _signed(stack, {"batch": [order]})["statusCode"] == 200
    for n in range(6):
        views = [_spec("page.json") | {"messageId": f"ajs-pv-{n}-{i}"} for i in range(10)]
        assert _signed(stack, {"batch": views})["statusCode"] == 200
    again = json.loads(_signed(stack, {"batch": [_spec("page.json") | {"messageId": "ajs-last"}, order]})["body"])
    profile = get_profile(USER)
    assert profile is not None and profile.orders == 1 and profile.spend_minor == {"USD": 2750}
    assert profile.event_counts == {"order": 1, "view": 61}
    assert (again["duplicates"], again["applied"]) == (1, 1)


def test_a_message_id_reused_with_another_body_is_counted_and_logged_without_personal_data(
    stack: Stack, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Guard: the digest each call marker keeps. A second call reusing a messageId for a different
    statement used to vanish silently: it is still dropped (the first stands), now counted in the
    reply and the SegmentMessageIdReused metric, and logged by position only."""
    assert _signed(stack, {"batch": [_order("ajs-same-id", 27.5)]})["statusCode"] == 200
    capsys.readouterr()
    caplog.clear()
    reply = json.loads(_signed(stack, {"batch": [_spec("page.json"), _order("ajs-same-id", 99)]})["body"])
    assert (reply["message_id_reused"], reply["duplicates"]) == (1, 1)
    assert '"SegmentMessageIdReused":[1.0]' in capsys.readouterr().out
    (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert warning.__dict__["positions"] == [1]
    logged = json.dumps([{k: str(v) for k, v in r.__dict__.items()} for r in caplog.records])
    assert USER not in logged and "ajs-same-id" not in logged
    profile = get_profile(USER)
    assert profile is not None and profile.spend_minor == {"USD": 2750}


# --- partners' real formats -----------------------------------------------------------------------

SIGNER = Path(__file__).resolve().parents[1] / "segment_batch" / "signer.js"


def test_a_batch_signed_as_segments_actions_destination_signs_it_is_applied(stack: Stack) -> None:
    """Guard: the first-call signature (services/ingest/segment_auth.py) through the handler. Segment
    signs a batch's first call only, so every signed batch used to be a 401; a batch of several
    also needs the bearer header, which the destination mapping's Headers can send."""
    from tests.segment_batch.stringify import stringify

    calls = [_order("ajs-b1", 27.5), _spec("page.json") | {"messageId": "ajs-b2"}]
    body = stringify(json.loads(json.dumps(calls)))
    signature = hmac.new(_secret(stack).encode(), stringify(calls[0]).encode(), hashlib.sha1).hexdigest()
    refused = stack.runner.post_segment(body, {"X-Signature": signature})
    assert refused["statusCode"] == 401 and get_profile(USER) is None
    reply = stack.runner.post_segment(body, {"X-Signature": signature, "Authorization": f"Bearer {_secret(stack)}"})
    assert reply["statusCode"] == 200, reply["body"]
    profile = get_profile(USER)
    assert profile is not None and profile.orders == 1 and profile.event_counts == {"order": 1, "view": 1}


@pytest.mark.parametrize("delivered", ["as-documented", "with-timestamp"])
def test_rudderstacks_identify_as_its_docs_show_it_stores_email_and_name(stack: Stack, delivered: str) -> None:
    """Guard: traits read under context.traits, and the time from originalTimestamp when there is no
    timestamp (the docs' sample has none; RudderStack's server adds one). Such an identify used to
    answer 200 "applied" and store no email or name."""
    call = _spec("rudderstack_identify.json")
    if delivered == "with-timestamp":
        call["timestamp"] = "2020-04-22T08:06:20.401Z"
    body = json.dumps(call)
    reply = stack.runner.post_segment(body, {"Authorization": f"Bearer {_secret(stack)}"})
    assert reply["statusCode"] == 200, reply["body"]
    profile = get_profile("my-user-id")
    assert profile is not None and (profile.email, profile.name) == ("user@domain.com", "User name")


def test_a_rotated_segment_secret_keeps_the_previous_value_working(stack: Stack) -> None:
    """Guard: SegmentSecret read as a key ring (`{"current": ..., "previous": [...]}`), as the
    webhook secret is: senders still on the old value keep working during a rotation."""
    old = _secret(stack)
    arn = stack.resources.physical["SegmentSecret"]
    boto3.client("secretsmanager").put_secret_value(
        SecretId=arn, SecretString=json.dumps({"current": "a-brand-new-segment-secret", "previous": [old]})
    )
    reset()  # a new container: Powertools keeps secrets for 5 minutes
    body = json.dumps(_spec("page.json"))
    signature = hmac.new(old.encode(), body.encode(), hashlib.sha1).hexdigest()
    assert stack.runner.post_segment(body, {"X-Signature": signature})["statusCode"] == 200
    fresh = hmac.new(b"a-brand-new-segment-secret", body.encode(), hashlib.sha1).hexdigest()
    assert stack.runner.post_segment(body, {"X-Signature": fresh})["statusCode"] == 200
