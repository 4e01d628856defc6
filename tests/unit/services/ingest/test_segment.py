"""Segment-spec calls -> activity events, and the request authentication, on Segment's own examples
(tests/segment_spec/, copied from Segment's documentation; see SOURCES.md there)."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from winback.services.ingest.segment import SegmentRejected, authenticate, translate
from winback.services.ingest.validation import InvalidBody

SPEC = Path(__file__).resolve().parents[3] / "segment_spec"
SECRET = "seg-shared-secret-1"


def spec(name: str) -> Any:
    return json.loads((SPEC / name).read_text(encoding="utf-8"), parse_float=Decimal)


def track(event: str, properties_file: str, message_id: str) -> dict[str, Any]:
    """A track call around an e-commerce spec example's properties (the spec shows only those)."""
    call: dict[str, Any] = spec("track.json")
    return call | {"event": event, "properties": spec(properties_file), "messageId": message_id}


def test_identify_example_sets_name_and_email_and_ignores_unknown_traits() -> None:
    """Guard: identify traits map onto the profile's contact fields (plan, logins, address ignored)."""
    events, keys, skipped = translate(spec("identify.json"))
    assert [e.type for e in events] == ["profile"]
    props = events[0].properties
    assert (events[0].user_id, props.email, props.name) == ("97980cfea0067", "peter@example.com", "Peter Gibbons")
    assert keys == ["identify:022bb90c-bbac-11e4-8dfc-aa07a5b093db"]
    assert not skipped


def test_page_and_screen_examples_are_views_and_stay_distinct_from_identify() -> None:
    """Guard: the spec's examples share one messageId across identify/page/screen; the dedupe key
    includes the call type, so none of them is mistaken for a resend of another."""
    batch = {"batch": [spec("identify.json"), spec("page.json"), spec("screen.json")]}
    events, keys, _ = translate(batch)
    assert [e.type for e in events] == ["profile", "view", "view"]
    assert len(set(keys)) == 3


def test_order_completed_example_is_an_order_with_total_currency_first_product_and_coupon() -> None:
    """Guard: the e-commerce spec's Order Completed becomes an order (total 27.50 USD, not revenue
    25.00; first product and its category; its coupon)."""
    events, _, _ = translate(track("Order Completed", "order_completed_properties.json", "ajs-order-1"))
    (order,) = events
    p = order.properties
    assert order.type == "order"
    assert (p.amount, p.currency, p.item_id, p.category, p.coupon_code) == (
        Decimal("27.50"),
        "USD",
        "507f1f77bcf86cd799439011",
        "Games",
        "hasbros",
    )


def test_product_viewed_example_is_a_view_of_the_product_without_redeeming_its_coupon() -> None:
    """Guard: a coupon on a product view is not an order's coupon (only orders redeem)."""
    (view,), _, _ = translate(track("Product Viewed", "product_viewed_properties.json", "ajs-view-1"))
    assert view.type == "view"
    assert (view.properties.item_id, view.properties.category, view.properties.coupon_code) == (
        "507f1f77bcf86cd799439011",
        "Games",
        None,
    )


def test_unmapped_track_and_anonymous_calls_are_counted_not_applied() -> None:
    """Guard: a track event winback has no use for (the spec's Course Clicked) and a call with only an
    anonymousId are set aside and counted, never a 400 that would make the sender retry forever."""
    anonymous = spec("page.json")
    del anonymous["userId"]
    events, _, skipped = translate({"batch": [spec("track.json"), anonymous]})
    assert events == []
    assert skipped == {"ignored": 1, "anonymous": 1}


def test_signed_in_is_a_login_and_identify_context_gives_locale_and_time_zone() -> None:
    call = spec("identify.json")
    call["context"] |= {"locale": "zh-CN", "timezone": "Asia/Shanghai"}
    call["traits"]["consent"] = {"email": True, "sms": False}
    signed_in = spec("track.json") | {"event": "Signed In", "messageId": "ajs-login-1"}
    (profile, login), _, _ = translate({"batch": [call, signed_in]})
    assert (profile.properties.locale, profile.properties.time_zone) == ("zh-CN", "Asia/Shanghai")
    assert profile.properties.consent is not None and profile.properties.consent.email is True
    assert login.type == "login"


def test_http_api_batch_example_is_rejected_naming_each_bad_field_as_segment_names_it() -> None:
    """Guard: the HTTP Tracking API's batch example, as written, has no messageId (what dedupe keys
    on) and two timestamps `2015-2-02`: the 400 names those fields in Segment's terms."""
    with pytest.raises(InvalidBody) as caught:
        translate(spec("http_api_batch.json"))
    fields = {e["field"] for e in caught.value.errors}
    assert {f"batch.{i}.messageId" for i in range(4)} <= fields
    assert {"batch.2.timestamp", "batch.3.timestamp"} <= fields


def test_a_bad_trait_is_named_by_its_segment_path() -> None:
    call = spec("identify.json")
    call["traits"]["email"] = "not-an-address"
    with pytest.raises(InvalidBody) as caught:
        translate({"batch": [spec("page.json"), call]})
    assert [e["field"] for e in caught.value.errors] == ["batch.1.traits.email"]


# --- authentication ---------------------------------------------------------------------------


def test_segment_signature_computed_independently_is_accepted() -> None:
    """Guard: X-Signature is the hex HMAC-SHA1 of the raw body under the shared secret, as Segment's
    Webhooks destination documents it; computed here with the standard library, not our code."""
    body = json.dumps(spec("identify.json")).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert authenticate(SECRET, body, {"X-Signature": signature}) == "signature"


def test_bearer_secret_is_accepted() -> None:
    """Guard: RudderStack's webhook destination can only add headers; the bearer secret is enough."""
    assert authenticate(SECRET, b"{}", {"Authorization": f"Bearer {SECRET}"}) == "bearer"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Signature": hmac.new(b"other-secret", b"{}", hashlib.sha1).hexdigest()},
        {"X-Signature": hmac.new(SECRET.encode(), b"{ }", hashlib.sha1).hexdigest()},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {SECRET}"},
        # A valid bearer does not rescue a wrong signature: a signed request is judged by its signature.
        {"X-Signature": "00" * 20, "Authorization": f"Bearer {SECRET}"},
    ],
    ids=["unsigned", "other-secret", "other-body", "wrong-bearer", "not-bearer", "bad-sig-good-bearer"],
)
def test_anything_else_is_rejected(headers: dict[str, str]) -> None:
    with pytest.raises(SegmentRejected):
        authenticate(SECRET, b"{}", headers)


def test_no_configured_secret_rejects_everything() -> None:
    with pytest.raises(SegmentRejected):
        authenticate("", b"{}", {"Authorization": "Bearer "})
