"""Segment-spec calls -> activity events, and the request authentication, on Segment's own examples
(tests/segment_spec/, copied from Segment's documentation; see SOURCES.md there)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from winback.models.events import Consent
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
    found = translate(spec("identify.json"))
    events, keys = [c.event for c in found.calls], [c.key for c in found.calls]
    assert [e.type for e in events] == ["profile"]
    props = events[0].properties
    assert (events[0].user_id, props.email, props.name) == ("97980cfea0067", "peter@example.com", "Peter Gibbons")
    assert keys == ["identify:022bb90c-bbac-11e4-8dfc-aa07a5b093db"]
    assert not found.skipped


def test_page_and_screen_examples_are_views_and_stay_distinct_from_identify() -> None:
    """Guard: the spec's examples share one messageId across identify/page/screen; the dedupe key
    includes the call type, so none of them is mistaken for a resend of another."""
    batch = {"batch": [spec("identify.json"), spec("page.json"), spec("screen.json")]}
    calls = translate(batch).calls
    assert [c.event.type for c in calls] == ["profile", "view", "view"]
    assert len({c.key for c in calls}) == 3


def test_order_completed_example_is_an_order_with_total_currency_first_product_and_coupon() -> None:
    """Guard: the e-commerce spec's Order Completed becomes an order (total 27.50 USD, not revenue
    25.00; first product and its category; its coupon)."""
    (call,) = translate(track("Order Completed", "order_completed_properties.json", "ajs-order-1")).calls
    order = call.event
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
    (call,) = translate(track("Product Viewed", "product_viewed_properties.json", "ajs-view-1")).calls
    view = call.event
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
    found = translate({"batch": [spec("track.json"), anonymous]})
    assert found.calls == []
    assert found.skipped == {"ignored": 1, "anonymous": 1}


def test_signed_in_is_a_login_and_identify_context_gives_locale_and_time_zone() -> None:
    call = spec("identify.json")
    call["context"] |= {"locale": "zh-CN", "timezone": "Asia/Shanghai"}
    call["traits"]["consent"] = {"email": True, "sms": False}
    signed_in = spec("track.json") | {"event": "Signed In", "messageId": "ajs-login-1"}
    profile, login = (c.event for c in translate({"batch": [call, signed_in]}).calls)
    assert (profile.properties.locale, profile.properties.time_zone) == ("zh-CN", "Asia/Shanghai")
    assert profile.properties.consent is not None and profile.properties.consent.email is True
    assert login.type == "login"


def test_http_api_batch_example_answers_each_bad_call_by_index_and_field_as_segment_names_it() -> None:
    """Guard: per-call validation (`_Door.admit`). The HTTP Tracking API's batch example, as written,
    has no messageId (what dedupe keys on) and two timestamps `2015-2-02`: each of its calls is
    refused by index and field in Segment's terms, instead of a 400 for the whole body."""
    found = translate(spec("http_api_batch.json"))
    assert found.calls == [] and found.rejected_calls() == 4
    refused = {(r["index"], r["field"]) for r in found.rejected}
    assert {(i, "messageId") for i in range(4)} <= refused
    assert {(2, "timestamp"), (3, "timestamp")} <= refused


def test_an_email_winback_cannot_use_is_left_out_and_the_rest_of_the_identify_applies() -> None:
    """Guard: LENIENT_FIELDS. A contact trait in a form winback cannot use no longer costs the call's
    other traits (its consent above all): it is left out and named by its Segment path."""
    call = spec("identify.json")
    call["traits"]["email"] = "not-an-address"
    call["traits"]["consent"] = {"email": False}
    found = translate({"batch": [spec("page.json"), call]})
    assert [(r["index"], r["field"]) for r in found.left_out] == [(1, "traits.email")]
    profile = found.calls[1].event.properties
    assert (profile.email, profile.name, profile.consent) == (None, "Peter Gibbons", Consent(email=False))


# --- authentication ---------------------------------------------------------------------------


def test_segment_signature_computed_independently_is_accepted() -> None:
    """Guard: X-Signature is the hex HMAC-SHA1 of the raw body under the shared secret, as Segment's
    Webhooks destination documents it; computed here with the standard library, not our code."""
    body = json.dumps(spec("identify.json")).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert authenticate([SECRET], body, {"X-Signature": signature}) == "signature"


def test_bearer_secret_is_accepted() -> None:
    """Guard: RudderStack's webhook destination can only add headers; the bearer secret is enough."""
    assert authenticate([SECRET], b"{}", {"Authorization": f"Bearer {SECRET}"}) == "bearer"


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
        authenticate([SECRET], b"{}", headers)


def test_no_configured_secret_rejects_everything() -> None:
    with pytest.raises(SegmentRejected):
        authenticate([""], b"{}", {"Authorization": "Bearer "})


# --- a batch from real traffic: odd calls beside good ones -----------------------------------------

NOW = datetime(2026, 6, 2, 12, 20, tzinfo=UTC)


def order_call(message_id: str, total: Any, currency: str = "USD", at: str = "2026-06-02T12:15:00Z") -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Completed",
        "userId": "u-1001",
        "messageId": message_id,
        "timestamp": at,
        "properties": {"total": total, "currency": currency},
    }


def odd_batch() -> dict[str, Any]:
    identify = {
        "type": "identify",
        "userId": "u-1002",
        "messageId": "ajs-5",
        "timestamp": "2026-06-02T12:10:00Z",
        "traits": {"name": "N" * 129, "email": "ada@example.com", "consent": {"email": True}},
    }
    return {
        "batch": [
            order_call("ajs-0", Decimal("3.3000000000000003")),  # 1.1 * 3 in JavaScript
            order_call("ajs-1", Decimal("-27.50")),  # a refund
            order_call("ajs-2", Decimal("19.99"), currency="US$"),
            order_call("ajs-3", Decimal("5"), at="2026-06-02T12:40:00Z"),  # 20 minutes ahead
            spec("page.json"),
            identify,
        ]
    }


def test_each_odd_call_gets_its_documented_fate_and_the_good_ones_apply() -> None:
    """Guards: the rounding to minor units (_Builder._round_amount), refunds ignored (is_refund), an
    unknown currency refused (EventProperties._currency), the future refused (_Door._apply), an
    overlong name left out (LENIENT_FIELDS): one bad call no longer refuses the other five."""
    found = translate(odd_batch(), NOW)
    assert [c.index for c in found.calls] == [0, 4, 5]
    order, _, identify = (c.event for c in found.calls)
    assert (order.properties.amount, order.properties.currency) == (Decimal("3.30"), "USD")
    assert found.skipped == {"ignored": 1}
    assert [(r["index"], r["field"]) for r in found.rejected] == [(2, "properties.currency"), (3, "timestamp")]
    assert found.rejected[1]["reason"] == "is in the future"
    assert [(r["index"], r["field"]) for r in found.left_out] == [(5, "traits.name")]
    assert (identify.properties.name, identify.properties.email) == (None, "ada@example.com")


def test_a_single_refused_call_is_a_400_naming_its_field() -> None:
    with pytest.raises(InvalidBody) as caught:
        translate(order_call("ajs-2", 19.99, currency="US$"), NOW)
    assert [e["field"] for e in caught.value.errors] == ["properties.currency"]


@pytest.mark.parametrize(
    "body",
    [[], [1, 2], "text", 12, {"batch": []}, {"batch": "calls"}, {"batch": [{"type": "page"}] * 101}],
    ids=["empty-array", "not-objects", "string", "number", "empty-batch", "batch-not-a-list", "101-calls"],
)
def test_a_body_that_is_not_a_segment_payload_is_a_400(body: Any) -> None:
    with pytest.raises(InvalidBody):
        translate(body, NOW)


def test_a_call_within_the_clock_skew_is_accepted() -> None:
    found = translate({"batch": [order_call("ajs-3", 5, at="2026-06-02T12:24:00Z")]}, NOW)
    assert len(found.calls) == 1 and not found.rejected


# --- RudderStack ----------------------------------------------------------------------------------


def test_rudderstacks_identify_sets_email_and_name_from_context_traits() -> None:
    """Guard: TRAIT_PLACES and the originalTimestamp fallback. RudderStack's webhook destination
    forwards its identify as its docs show it: traits under context.traits and no `timestamp`; it
    used to apply as an empty profile event ("applied", no email, no name)."""
    (call,) = translate(spec("rudderstack_identify.json")).calls
    event = call.event
    assert (event.user_id, event.type) == ("my-user-id", "profile")
    assert (event.properties.email, event.properties.name) == ("user@domain.com", "User name")
    assert event.occurred_at == datetime(2020, 4, 22, 8, 6, 20, 337000, tzinfo=UTC)
    assert call.key == "identify:508d5e8c-96e4-4301-bd46-1890dba5c866"


def test_top_level_traits_come_before_context_traits() -> None:
    call = spec("identify.json")
    call["context"]["traits"] = {"email": "other@example.com", "phone": "+14155550100"}
    (found,) = translate(call).calls
    assert (found.event.properties.email, found.event.properties.phone) == ("peter@example.com", "+14155550100")
