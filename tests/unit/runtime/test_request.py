"""Bounds on what a public route reads from a request."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from winback.runtime.request import MAX_BODY_BYTES, BadRequest, body_text, bounded_headers, query_value, raw_body
from winback.services.ingest.validation import InvalidBody
from winback.services.ingest.webhook import validate_body


def test_raw_body_undoes_base64_and_refuses_what_is_not() -> None:
    assert raw_body({"body": base64.b64encode(b"\xff").decode(), "isBase64Encoded": True}) == b"\xff"
    assert raw_body({"body": "héllo"}) == "héllo".encode()
    assert raw_body({}) == b""
    for event in ({"body": "***", "isBase64Encoded": True}, {"body": "\udcff"}, {"body": 12}):
        with pytest.raises(BadRequest) as caught:
            raw_body(event)
        assert caught.value.field == "body"


def test_raw_body_is_bounded() -> None:
    with pytest.raises(BadRequest, match="larger than"):
        raw_body({"body": "x" * (MAX_BODY_BYTES + 1)})


def test_body_text_names_utf8() -> None:
    with pytest.raises(BadRequest, match="UTF-8"):
        body_text(b"\xc3\x28")


def test_headers_are_bounded_and_only_those_used_are_read() -> None:
    assert bounded_headers({"headers": {"Webhook-Id": "m1", "x-other": "y" * 10000}}) == {"webhook-id": "m1"}
    with pytest.raises(BadRequest) as caught:
        bounded_headers({"headers": {"webhook-id": "m" * 129}})
    assert caught.value.field == "header webhook-id"
    assert bounded_headers({"headers": None}) == {}


def test_query_values_are_bounded() -> None:
    assert query_value({"queryStringParameters": {"token": "t"}}, "token") == "t"
    assert query_value({"queryStringParameters": {"token": "t" * 5000}}, "token") == ""
    assert query_value({"queryStringParameters": None}, "token") == ""


def test_an_event_later_than_now_plus_the_skew_is_refused_naming_the_field() -> None:
    """Guard: validate_body's clock-skew check."""
    now = datetime(2026, 7, 1, tzinfo=UTC)
    event = {"user_id": "u", "type": "login", "occurred_at": (now + timedelta(minutes=6)).isoformat()}
    with pytest.raises(InvalidBody) as caught:
        validate_body(event, now)
    assert caught.value.errors == [{"field": "occurred_at", "message": "is in the future"}]
    assert validate_body(event, now, clock_skew=timedelta(minutes=10))
    assert validate_body({**event, "occurred_at": (now + timedelta(minutes=4)).isoformat()}, now)
