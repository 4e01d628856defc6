"""POST /events/segment through the real handler on moto: Segment's own examples in a batch change
the profiles; a resend in another batch changes nothing; unauthenticated requests write nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import get_profile, sample_event
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

    resent = _signed(stack, list(reversed(_batch())))  # the Actions destination's array shape
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


def test_invalid_call_is_400_naming_the_field_and_nothing_is_written(stack: Stack) -> None:
    batch = _batch()
    batch[0]["traits"]["phone"] = "12"
    reply = _signed(stack, {"batch": batch})
    assert reply["statusCode"] == 400
    assert [e["field"] for e in json.loads(reply["body"])["errors"]] == ["batch.0.traits.phone"]
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
