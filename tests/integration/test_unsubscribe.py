"""GET /unsubscribe shows a page and changes nothing; POST (RFC 8058) unsubscribes at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import (
    dormant_profile,
    get_profile,
    sample_event,
    sent_emails,
    suppression_item,
    use_program,
)
from winback.adapters import clients
from winback.adapters.activity_store import ActivityStore
from winback.config.settings import get_settings
from winback.domain.links.tokens import sign_token
from winback_dev.lambda_events import sqs_event, sqs_record

NOW = datetime.now(UTC)


def _token(stack: Stack, user_id: str = "u1", at: datetime = NOW, days: int = 30) -> str:
    return sign_token(stack.unsubscribe_key, user_id, "email", "dormant-offer", at, timedelta(days=days))


def _call(stack: Stack, sample: str, token: str) -> dict[str, Any]:
    event = sample_event(sample)
    event["queryStringParameters"] = {"token": token}
    event["rawQueryString"] = f"token={token}"
    reply: dict[str, Any] = stack.invoke("unsubscribe", event)
    return reply


def test_get_shows_a_confirmation_page_in_the_users_language_and_changes_nothing(stack: Stack) -> None:
    dormant_profile("u1", NOW - timedelta(days=100), locale="zh-CN")
    reply = _call(stack, "unsubscribe_get.json", _token(stack))
    assert reply["statusCode"] == 200
    assert "确认退订" in reply["body"] and 'method="post"' in reply["body"]
    assert suppression_item("email#u1@mail.example.com") is None


def test_one_click_post_suppresses_the_address_and_withdraws_consent(stack: Stack) -> None:
    dormant_profile("u1", NOW - timedelta(days=100))
    reply = _call(stack, "unsubscribe_post.json", _token(stack))
    assert reply["statusCode"] == 200 and "unsubscribed" in reply["body"]
    item = suppression_item("email#u1@mail.example.com")
    assert item is not None and item["reason"]["S"] == "unsubscribe"
    profile = get_profile("u1")
    assert profile is not None and profile.consent["email"] is False
    assert _call(stack, "unsubscribe_post.json", _token(stack))["statusCode"] == 200  # repeatable


def test_tampered_token_is_400_and_changes_nothing(stack: Stack) -> None:
    dormant_profile("u1", NOW - timedelta(days=100))
    payload, _, mac = _token(stack).partition(".")
    forged = _token(stack, user_id="u2").split(".")[0] + "." + mac
    # The first MAC symbol replaced by one it is not (a fixed "x" left the token intact once in 64 runs).
    tampered = payload + "." + ("y" if mac[0] == "x" else "x") + mac[1:]
    for token in (forged, tampered, "garbage", "é.é"):
        assert _call(stack, "unsubscribe_post.json", token)["statusCode"] == 400
    assert suppression_item("email#u1@mail.example.com") is None


def test_expired_token_is_400_and_changes_nothing(stack: Stack) -> None:
    dormant_profile("u1", NOW - timedelta(days=100))
    old = _token(stack, at=NOW - timedelta(days=40), days=30)
    assert _call(stack, "unsubscribe_post.json", old)["statusCode"] == 400
    assert _call(stack, "unsubscribe_get.json", old)["statusCode"] == 400
    profile = get_profile("u1")
    assert profile is not None and profile.consent["email"] is True


def test_a_job_already_queued_is_not_sent_after_unsubscribing(stack: Stack) -> None:
    last_order = NOW - timedelta(days=100)
    dormant_profile("u1", last_order)
    job = {
        "run_id": "r",
        "campaign_id": "dormant-offer",
        "step": 0,
        "tier": "dormant",
        "recipients": [{"user_id": "u1", "episode": last_order.isoformat(), "arm": "a", "segment": "all"}],
    }
    _call(stack, "unsubscribe_post.json", _token(stack))
    stack.invoke("send", sqs_event([sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:send")]))
    assert sent_emails() == []


def _send_job(stack: Stack, user_id: str, last_order: datetime) -> None:
    job = {
        "run_id": "r",
        "campaign_id": "dormant-offer",
        "step": 0,
        "tier": "dormant",
        "recipients": [{"user_id": user_id, "episode": last_order.isoformat(), "arm": "a", "segment": "all"}],
    }
    stack.invoke("send", sqs_event([sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:send")]))


def test_unsubscribe_suppresses_the_address_the_link_was_sent_to_not_the_profiles_new_one(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard: services/recipient/unsubscribe.py `_suppression_key` (the token carries the hash of the
    address the sender mailed, services/send/content.py `unsubscribe_url`)."""
    use_program(tmp_path, monkeypatch, quiet_hours={})
    last_order = NOW - timedelta(days=100)
    dormant_profile("u1", last_order)
    headers: list[dict[str, str]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        headers.append({h["Name"]: h["Value"] for h in params["Content"]["Simple"]["Headers"]})

    clients.sesv2().meta.events.register("before-parameter-build.sesv2.SendEmail", capture)
    _send_job(stack, "u1", last_order)
    assert [m.destinations["ToAddresses"] for m in sent_emails()] == [["u1@mail.example.com"]]
    link = headers[0]["List-Unsubscribe"].strip("<>")
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert "u1@mail.example.com" not in token and "mail.example" not in token

    store = ActivityStore(get_settings().activity_table)
    before = get_profile("u1")
    assert before is not None
    moved = before.model_copy(update={"email": "u1-new@other.example.org", "version": before.version + 1})
    assert store.put(moved, expected_version=before.version)

    assert _call(stack, "unsubscribe_post.json", token)["statusCode"] == 200
    item = suppression_item("email#u1@mail.example.com")
    assert item is not None and item["reason"]["S"] == "unsubscribe"
    # The new address never received this link; consent is withdrawn for the user, so it is not mailed.
    assert suppression_item("email#u1-new@other.example.org") is None
    after = get_profile("u1")
    assert after is not None and after.consent["email"] is False


def test_a_token_minted_without_the_address_hash_still_suppresses_the_profiles_address(stack: Stack) -> None:
    """Links already in inboxes (no `a` in the claim) keep working as before: the profile's address."""
    dormant_profile("u1", NOW - timedelta(days=100), email="u1-now@mail.example.com")
    assert _call(stack, "unsubscribe_post.json", _token(stack))["statusCode"] == 200
    assert suppression_item("email#u1-now@mail.example.com") is not None
