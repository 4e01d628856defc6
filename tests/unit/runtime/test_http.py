"""The HTTP helpers every route shares: replies no cache keeps, the IAM check, invalid tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from pydantic import BaseModel

from winback.domain.links.tokens import InvalidToken
from winback.runtime.http import html_reply, json_reply, reject_invalid_tokens, require_iam
from winback.runtime.observability import metrics
from winback_dev.lambda_events import FakeContext, http_event, iam_identity


class _Figures(BaseModel):
    sent: int


@pytest.fixture(autouse=True)
def no_metrics_left() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


def test_html_replies_are_never_stored() -> None:
    reply = html_reply(200, "<p>退订</p>")
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.content_type == "text/html; charset=utf-8"


def test_json_replies_are_never_stored() -> None:
    cases: list[tuple[dict[str, str] | BaseModel, str]] = [
        ({"message": "no such campaign"}, '{"message": "no such campaign"}'),
        (_Figures(sent=3), '{"sent":3}'),
    ]
    for body, text in cases:
        reply = json_reply(404, body)
        assert reply.headers["Cache-Control"] == "no-store"
        assert reply.content_type == "application/json"
        assert reply.body == text


def _resolve(app: APIGatewayHttpResolver, event: dict[str, Any]) -> dict[str, Any]:
    context: Any = FakeContext()
    reply: dict[str, Any] = app.resolve(event, context)
    return reply


def test_a_link_with_an_invalid_token_gets_the_page_logged_and_counted() -> None:
    app = APIGatewayHttpResolver()
    reject_invalid_tokens(app, "test token rejected", "TestRejected", lambda: "<p>not valid</p>")

    @app.get("/link")
    def link() -> Response[str]:
        raise InvalidToken("expired")

    reply = _resolve(app, http_event("GET", "/link"))
    assert reply["statusCode"] == 400
    assert reply["body"] == "<p>not valid</p>"
    assert reply["headers"]["Cache-Control"] == "no-store"
    assert "TestRejected" in metrics.metric_set


def test_routes_behind_the_iam_check_need_an_iam_identity() -> None:
    app = APIGatewayHttpResolver()
    app.use(middlewares=[require_iam])

    @app.get("/private")
    def private() -> Response[str]:
        return json_reply(200, {"ok": True})

    refused = _resolve(app, http_event("GET", "/private"))
    assert refused["statusCode"] == 403
    assert "IAM" in json.loads(refused["body"])["message"]
    signed = http_event("GET", "/private")
    signed["requestContext"]["authorizer"] = {"iam": iam_identity()}
    assert _resolve(app, signed)["statusCode"] == 200
