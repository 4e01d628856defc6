"""No input to a public route (/events, /unsubscribe, /reasons, /preferences) gets a 5xx or writes half
of anything.

Hypothesis drives the real handlers with API Gateway HTTP API v2 events: raw bytes and text bodies,
the isBase64Encoded flag, header values of any length, JSON of any shape, events with fuzzed fields,
tokens and forms. Most /events examples are correctly signed, so they reach validation and the store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, get_profile, suppression_item
from winback.config.campaigns import CHANNELS
from winback.domain.journey.preferences import CHOICES
from winback.domain.journey.reasons import ANSWERS
from winback.domain.links.preference_links import sign_preference_token
from winback.domain.links.reason_links import sign_reason_token
from winback.domain.links.tokens import sign_token
from winback.runtime.deps import reset
from winback_dev.handlers import load_module
from winback_dev.lambda_events import http_event
from winback_dev.signing import signed_headers

MAX_FORM_FIELDS: int = load_module("preferences").MAX_FORM_FIELDS
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NOW = datetime.now(UTC)


# --- an independent Standard Webhooks signer over bytes (the spec, not the library) ----------------
def sign_bytes(secret: str, body: bytes, msg_id: str, at: datetime | None = None) -> dict[str, str]:
    stamp = str(int((at or datetime.now(UTC)).timestamp()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }


def _table_items(name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb").scan(TableName=name)["Items"]
    return sorted(items, key=json.dumps)


def _events_call(stack: Stack, body: bytes, headers: dict[str, str], base64_flag: bool) -> dict[str, Any]:
    text = base64.b64encode(body).decode() if base64_flag else body.decode("utf-8", "surrogateescape")
    event = http_event("POST", "/events", "", headers)
    event["body"] = text
    event["isBase64Encoded"] = base64_flag
    reply: dict[str, Any] = stack.invoke("ingest", event)
    return reply


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
# Events close to valid, with any field swapped for something else: they reach deep validation.
event_fields = st.fixed_dictionaries(
    {
        "user_id": st.sampled_from(["u-1", "u-2", "", "x" * 200, "é", "u 1"]) | st.text(max_size=20),
        "type": st.sampled_from(["login", "order", "view", "profile", "signup", "nope", ""]),
        "occurred_at": st.sampled_from(
            [
                (NOW - timedelta(days=3)).isoformat(),
                (NOW + timedelta(days=3)).isoformat(),
                "2026-13-40T00:00:00Z",
                "9999-12-31T23:59:59+00:00",
                "0001-01-01T00:00:00+00:00",
                "2026-01-01T00:00:00",
            ]
        )
        | st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    },
    optional={
        "properties": st.fixed_dictionaries(
            {},
            optional={
                "amount": st.sampled_from(["1.5", "-1", "1e400", "NaN", 3, "0.00001"]) | json_values,
                "currency": st.sampled_from(["EUR", "eur", "€€€"]),
                "email": st.sampled_from(["a@b.co", "not-an-email", "A@B.CO "]) | st.text(max_size=300),
                "phone": st.sampled_from(["+14155550100", "+1", "0000"]) | st.text(max_size=40),
                "time_zone": st.sampled_from(["Europe/Paris", "Europe", "../../etc/passwd", "Nowhere/Zone"]),
                "locale": st.sampled_from(["en", "zh-CN", "xx-INVALID-TOO-LONG-9", ""]),
                "consent": st.dictionaries(st.sampled_from(["email", "sms", "ads", "fax"]), json_values, max_size=3),
                "item_id": json_values,
            },
        ),
        "extra": json_values,
    },
)
bodies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: json.dumps(v).encode()),
    event_fields.map(lambda e: json.dumps(e).encode()),
    st.lists(event_fields, max_size=3).map(lambda es: json.dumps({"events": es}).encode()),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
)
webhook_ids = st.one_of(st.just(None), st.text(min_size=1, max_size=300))


@FUZZ
@given(body=bodies, base64_flag=st.booleans(), webhook_id=webhook_ids, signed=st.integers(0, 9), junk=st.text())
def test_events_never_5xx_and_rejected_requests_write_nothing(
    stack: Stack, body: bytes, base64_flag: bool, webhook_id: str | None, signed: int, junk: str
) -> None:
    """Guards: runtime/request.py's bounds (body size, base64, UTF-8, header lengths), the 400 for a
    body that is not UTF-8 or JSON (including RecursionError), validation before any write."""
    msg_id = webhook_id or f"msg_{time.monotonic_ns()}"
    if signed:  # most examples are genuine requests, so they get past the signature check
        headers = {"content-type": "application/json", **sign_bytes(stack.webhook_secret, body, msg_id)}
    else:
        headers = {"webhook-id": msg_id, "webhook-timestamp": junk, "webhook-signature": junk}
    before = _table_items(stack.table("ActivityTable"))
    reply = _events_call(stack, body, headers, base64_flag or signed == 1)
    assert reply["statusCode"] < 500, reply
    if reply["statusCode"] != 200:
        assert _table_items(stack.table("ActivityTable")) == before


def test_a_signed_body_that_is_not_utf8_is_400_and_an_unsigned_one_401(stack: Stack) -> None:
    """Guard: post_events verifies a non-UTF-8 body over its bytes before answering 400."""
    body = b'{"user_id":"u-1","type":"login","occurred_at":"2026-01-01T00:00:00Z","x":"\xff\xfe"}'
    reply = _events_call(stack, body, sign_bytes(stack.webhook_secret, body, "msg_bad_utf8"), True)
    assert reply["statusCode"] == 400
    assert json.loads(reply["body"])["errors"] == [{"field": "body", "message": "not valid UTF-8"}]
    forged = sign_bytes("whsec_" + base64.b64encode(b"another secret").decode(), body, "msg_bad_utf8")
    assert _events_call(stack, body, forged, True)["statusCode"] == 401


def test_an_event_from_the_future_is_400_naming_the_field(stack: Stack) -> None:
    """Guard: validate_body's clock-skew check (default 5 minutes)."""
    soon = datetime.now(UTC) + timedelta(minutes=4)
    late = datetime.now(UTC) + timedelta(minutes=6)
    events = [
        {"user_id": "u-1", "type": "login", "occurred_at": soon.isoformat()},
        {"user_id": "u-2", "type": "login", "occurred_at": late.isoformat()},
    ]
    body = json.dumps({"events": events})
    reply = _events_call(stack, body.encode(), signed_headers(stack.webhook_secret, body), False)
    assert reply["statusCode"] == 400
    assert json.loads(reply["body"])["errors"] == [{"field": "events.1.occurred_at", "message": "is in the future"}]
    assert get_profile("u-1") is None  # nothing half-written
    body = json.dumps({"events": events[:1]})
    assert _events_call(stack, body.encode(), signed_headers(stack.webhook_secret, body), False)["statusCode"] == 200
    profile = get_profile("u-1")
    assert profile is not None and profile.last_seen_at is not None
    assert profile.last_seen_at <= datetime.now(UTC) + timedelta(minutes=5)


def test_an_overlong_webhook_id_is_400_naming_the_header(stack: Stack) -> None:
    """Guard: bounded_headers' limits."""
    body = json.dumps({"user_id": "u-1", "type": "login", "occurred_at": NOW.isoformat()})
    reply = _events_call(stack, body.encode(), signed_headers(stack.webhook_secret, body, "m" * 129), False)
    assert reply["statusCode"] == 400
    assert json.loads(reply["body"])["errors"][0]["field"] == "header webhook-id"


def test_a_retry_days_later_never_counts_twice(stack: Stack) -> None:
    """Guard: the (user, webhook id) marker written with the profile (ActivityStore.put_applying).
    The Powertools record has expired and 10 later requests pushed the id out of the profile's
    recent_batches; only the marker still knows the first request was applied."""
    order = {
        "user_id": "u-1",
        "type": "order",
        "occurred_at": (NOW - timedelta(hours=1)).isoformat(),
        "properties": {"amount": "10.00", "currency": "EUR"},
    }
    first = json.dumps(order)
    assert (
        _events_call(stack, first.encode(), signed_headers(stack.webhook_secret, first, "msg_first"), False)[
            "statusCode"
        ]
        == 200
    )
    for n in range(10):
        view = json.dumps({"user_id": "u-1", "type": "view", "occurred_at": NOW.isoformat()})
        headers = signed_headers(stack.webhook_secret, view, f"msg_later_{n}")
        assert _events_call(stack, view.encode(), headers, False)["statusCode"] == 200
    table = stack.table("IdempotencyTable")
    for item in boto3.client("dynamodb").scan(TableName=table)["Items"]:
        boto3.client("dynamodb").delete_item(TableName=table, Key={"id": item["id"]})
    retry = _events_call(stack, first.encode(), signed_headers(stack.webhook_secret, first, "msg_first"), False)
    assert retry["statusCode"] == 200 and json.loads(retry["body"])["already_applied"] == 1
    profile = get_profile("u-1")
    assert profile is not None and profile.orders == 1 and profile.spend_minor == {"EUR": 1000}


# --- /unsubscribe and /reasons -----------------------------------------------------------------------
def _link_call(stack: Stack, function: str, method: str, token: str | None, body: bytes, b64: bool) -> dict[str, Any]:
    path = "/" + function
    event = http_event(method, path, "", {"content-type": "application/x-www-form-urlencoded"})
    event["queryStringParameters"] = None if token is None else {"token": token}
    event["body"] = base64.b64encode(body).decode() if b64 else body.decode("utf-8", "surrogateescape")
    event["isBase64Encoded"] = b64
    reply: dict[str, Any] = stack.invoke(function, event)
    return reply


def _genuine(stack: Stack, function: str) -> str:
    key, valid = stack.unsubscribe_key, timedelta(days=30)
    if function == "unsubscribe":
        return sign_token(key, "u1", "email", "dormant-offer", NOW, valid)
    if function == "reasons":
        return sign_reason_token(key, "u1", "lost-question", "e1", "forgot", NOW, valid)
    return sign_preference_token(key, "u1", "dormant-offer", "email", "e1", "coupon", NOW, valid)


def _mutations(token: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=300),
        st.just(token),
        st.integers(0, len(token) - 1).map(lambda i: token[:i] + "A" + token[i + 1 :]),
        st.integers(0, len(token)).map(lambda i: token[:i]),
        st.just(token + "." + "x" * 5000),
        st.just(token.replace(".", "..")),
    )


@FUZZ
@given(data=st.data(), method=st.sampled_from(["GET", "POST"]), b64=st.booleans(), body=st.binary(max_size=200))
def test_link_routes_never_5xx_and_only_a_genuine_post_writes(
    stack: Stack, data: st.DataObject, method: str, b64: bool, body: bytes
) -> None:
    """Guards: query_value's bound, _form_token's tolerance of any body, InvalidToken → 400."""
    dormant_profile("u1", NOW - timedelta(days=100)) if get_profile("u1") is None else None
    function = data.draw(st.sampled_from(["unsubscribe", "reasons", "preferences"]))
    genuine = _genuine(stack, function)
    token = data.draw(st.none() | _mutations(genuine))
    before = _table_items(stack.table("SuppressionTable")), _table_items(stack.table("MessagingTable"))
    reply = _link_call(stack, function, method, token, body, b64)
    assert reply["statusCode"] in (200, 400), reply
    if not (reply["statusCode"] == 200 and method == "POST"):
        after = _table_items(stack.table("SuppressionTable")), _table_items(stack.table("MessagingTable"))
        assert after == before


def _zh_user_and_a_broken_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A zh-CN user, and functions pointed at a program.yaml that does not parse."""
    dormant_profile("u1", NOW - timedelta(days=100), locale="zh-CN")
    broken = tmp_path / "program.yaml"
    broken.write_text("brand: [this is: not a program\n", encoding="utf-8")
    monkeypatch.setenv("WINBACK_PROGRAM_PATH", str(broken))
    reset()


def test_unsubscribe_and_reasons_work_when_the_program_is_broken(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard: runtime/page_defaults.py (a default brand and locale when program.yaml fails)."""
    _zh_user_and_a_broken_program(tmp_path, monkeypatch)
    token = sign_token(stack.unsubscribe_key, "u1", "email", "dormant-offer", NOW, timedelta(days=30))
    assert _link_call(stack, "unsubscribe", "GET", token, b"", False)["statusCode"] == 200
    reply = _link_call(stack, "unsubscribe", "POST", token, b"List-Unsubscribe=One-Click", False)
    assert reply["statusCode"] == 200 and "退订成功" in reply["body"]
    assert suppression_item("email#u1@mail.example.com") is not None
    assert _link_call(stack, "unsubscribe", "POST", "garbage", b"", False)["statusCode"] == 400
    reason = sign_reason_token(stack.unsubscribe_key, "u1", "lost-question", "e1", "forgot", NOW, timedelta(days=3))
    assert _link_call(stack, "reasons", "POST", None, f"token={reason}".encode(), False)["statusCode"] == 200


@FUZZ
@given(
    choice=st.text(max_size=40) | st.sampled_from(["fewer", "channels", "unsubscribe_all"]),
    channels=st.lists(st.text(max_size=20) | st.sampled_from(["email", "sms", "fax"]), max_size=12),
    reason=st.none() | st.text(max_size=40) | st.just("privacy"),
)
def test_preference_forms_of_any_shape_never_5xx_and_write_only_what_the_page_offers(
    stack: Stack, choice: str, channels: list[str], reason: str | None
) -> None:
    """Guard: parse_form (a choice, channel or reason the page never offers is a 400) and the form's
    field bound (MAX_FORM_FIELDS)."""
    dormant_profile("u1", NOW - timedelta(days=100)) if get_profile("u1") is None else None
    fields = [("token", _genuine(stack, "preferences")), ("choice", choice)] + [("channel", c) for c in channels]
    fields += [("reason", reason)] if reason is not None else []
    before = _table_items(stack.table("SuppressionTable")), _table_items(stack.table("MessagingTable"))
    reply = _link_call(stack, "preferences", "POST", None, urlencode(fields).encode(), False)
    assert reply["statusCode"] in (200, 400), reply
    assert (reply["statusCode"] == 200) == (len(fields) <= MAX_FORM_FIELDS and _offered(choice, channels, reason))
    if reply["statusCode"] == 400:
        after = _table_items(stack.table("SuppressionTable")), _table_items(stack.table("MessagingTable"))
        assert after == before


def _offered(choice: str, channels: list[str], reason: str | None) -> bool:
    """What the page could have posted (a blank field is no field, as parse_qs reads it)."""
    picked, answer = choice or None, reason or None
    return (
        (picked is None or picked in CHOICES)
        and (answer is None or answer in ANSWERS)
        and all(ch in CHANNELS for ch in channels if ch)
        and (picked is not None or answer is not None)
    )


def test_the_preference_page_works_when_the_program_is_broken(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard: runtime/page_defaults.py (the default brand, locale and "fewer" cap)."""
    _zh_user_and_a_broken_program(tmp_path, monkeypatch)
    token = _genuine(stack, "preferences")
    shown = _link_call(stack, "preferences", "GET", token, b"", False)
    assert shown["statusCode"] == 200 and "每 14 天 1 条消息" in shown["body"]
    reply = _link_call(stack, "preferences", "POST", None, f"token={token}&choice=fewer".encode(), False)
    assert reply["statusCode"] == 200 and "已保存" in reply["body"]
    profile = get_profile("u1")
    assert profile is not None and profile.preferences is not None and profile.preferences.cap is not None


def test_tokens_signed_with_the_previous_key_verify_after_a_rotation(stack: Stack) -> None:
    """Guard: deps().unsubscribe_keys reads {"current", "previous"} and verify_token tries both."""
    dormant_profile("u1", NOW - timedelta(days=100))
    old = sign_token(stack.unsubscribe_key, "u1", "email", "dormant-offer", NOW, timedelta(days=30))
    rotated = json.dumps({"current": "a-brand-new-key", "previous": stack.unsubscribe_key.decode()})
    boto3.client("secretsmanager").put_secret_value(
        SecretId=stack.resources.physical["UnsubscribeSecret"], SecretString=rotated
    )
    reset()
    assert _link_call(stack, "unsubscribe", "POST", old, b"", False)["statusCode"] == 200
    assert suppression_item("email#u1@mail.example.com") is not None


def test_webhooks_signed_with_the_previous_secret_verify_after_a_rotation(stack: Stack) -> None:
    """Guard: verify_signature tries every secret of the ring."""
    new = "whsec_" + base64.b64encode(b"a brand new webhook secret!!").decode()
    rotated = json.dumps({"current": new, "previous": [stack.webhook_secret]})
    boto3.client("secretsmanager").put_secret_value(
        SecretId=stack.resources.physical["WebhookSecret"], SecretString=rotated
    )
    reset()
    body = json.dumps({"user_id": "u-9", "type": "login", "occurred_at": NOW.isoformat()})
    for secret in (stack.webhook_secret, new):
        assert _events_call(stack, body.encode(), signed_headers(secret, body), False)["statusCode"] == 200
    other = "whsec_" + base64.b64encode(b"not one of ours, not at all").decode()
    assert _events_call(stack, body.encode(), signed_headers(other, body), False)["statusCode"] == 401
