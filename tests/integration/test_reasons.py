"""Reason links end to end on moto: GET changes nothing, POST records the answer once, a changed
answer moves its count, bad tokens change nothing, and a privacy answer withdraws consent."""

from __future__ import annotations

import base64
import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.integration.helpers import (
    create_keyed_table,
    create_user_table,
    fake_aws_env,
    get_profile,
    put_profile,
    sample_event,
)
from winback.adapters.reason_store import ReasonStore
from winback.domain.journey.reasons import Answer
from winback.domain.links.reason_links import sign_reason_token
from winback.domain.links.tokens import sign_token
from winback.models.reasons import StoredAnswer
from winback.runtime.deps import reset
from winback.services.recipient.reasons import Recorded, answer_for, reason_counts, record_answer
from winback_dev.lambda_events import FakeContext

APP = Path(__file__).resolve().parents[2] / "functions" / "reasons" / "app.py"
KEY = "reason-test-key-not-a-secret"
ACTIVITY, MESSAGING, SECRET = "activity", "messaging", "unsubscribe-key"
CAMPAIGN = "lost-question"
EPISODE = "2025-01-01T00:00:00+00:00"
NOW = datetime.now(UTC)


@cache
def handler_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("winback_functions.reasons", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _create_tables() -> None:
    create_user_table(ACTIVITY)
    create_keyed_table(MESSAGING)


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    fake_aws_env(
        monkeypatch,
        ACTIVITY_TABLE=ACTIVITY,
        SUPPRESSION_TABLE="suppression",
        MESSAGING_TABLE=MESSAGING,
        UNSUBSCRIBE_SECRET_NAME=SECRET,
    )
    monkeypatch.delenv("WINBACK_PROGRAM_PATH", raising=False)
    with mock_aws():
        reset()
        _create_tables()
        boto3.client("secretsmanager").create_secret(Name=SECRET, SecretString=KEY)
        yield
        reset()


def user(user_id: str = "u1", locale: str = "en") -> None:
    put_profile(
        user_id=user_id,
        first_seen_at=NOW - timedelta(days=400),
        last_seen_at=NOW - timedelta(days=200),
        email=f"{user_id}@mail.example.com",
        locale=locale,
        consent={"email": True, "sms": True},
    )


def token(reason: Answer = "competitor", user_id: str = "u1", at: datetime = NOW, days: int = 30) -> str:
    return sign_reason_token(KEY.encode(), user_id, CAMPAIGN, EPISODE, reason, at, timedelta(days=days))


def get(tok: str) -> dict[str, Any]:
    event = sample_event("reasons_get.json")
    event["queryStringParameters"] = {"token": tok}
    event["rawQueryString"] = f"token={tok}"
    return invoke(event)


def post(tok: str, in_query: bool = False) -> dict[str, Any]:
    event = sample_event("reasons_post.json")
    if in_query:
        event["queryStringParameters"] = {"token": tok}
        event["rawQueryString"] = f"token={tok}"
        event["body"], event["isBase64Encoded"] = None, False
    else:
        event["body"] = base64.b64encode(f"token={tok}".encode()).decode()
    return invoke(event)


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    reply: dict[str, Any] = handler_module().lambda_handler(event, FakeContext(function_name="reasons"))
    return reply


def messaging_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb").scan(TableName=MESSAGING)["Items"]
    return items


def store() -> ReasonStore:
    return ReasonStore(MESSAGING)


def test_get_shows_the_answer_in_the_users_language_and_writes_nothing() -> None:
    user(locale="zh-CN")
    before = get_profile("u1")
    reply = get(token("competitor"))
    assert reply["statusCode"] == 200
    assert "我改用其他产品了" in reply["body"] and 'method="post"' in reply["body"]
    assert messaging_items() == []
    assert get_profile("u1") == before


def test_get_of_a_privacy_link_withdraws_nothing() -> None:
    user()
    assert get(token("privacy"))["statusCode"] == 200
    profile = get_profile("u1")
    assert profile is not None and profile.consent == {"email": True, "sms": True}
    assert messaging_items() == []


def test_post_records_the_answer_and_counts_it() -> None:
    user()
    reply = post(token("competitor"))
    assert reply["statusCode"] == 200 and "Thank you" in reply["body"]
    assert answer_for(store(), "u1", CAMPAIGN, EPISODE) == "competitor"
    assert reason_counts(store(), CAMPAIGN) == {"all": {"competitor": 1}}


def test_post_takes_the_token_from_the_query_too() -> None:
    user()
    assert post(token("forgot"), in_query=True)["statusCode"] == 200
    assert answer_for(store(), "u1", CAMPAIGN, EPISODE) == "forgot"


def test_repeating_the_same_answer_counts_it_once() -> None:
    user()
    for _ in range(3):
        assert post(token("competitor"))["statusCode"] == 200
    assert reason_counts(store(), CAMPAIGN) == {"all": {"competitor": 1}}


def test_a_changed_answer_moves_the_count() -> None:
    user()
    user("u2")
    post(token("competitor"))
    post(token("competitor", user_id="u2"))
    post(token("need_changed"))
    assert answer_for(store(), "u1", CAMPAIGN, EPISODE) == "need_changed"
    assert reason_counts(store(), CAMPAIGN) == {"all": {"competitor": 1, "need_changed": 1}}


def test_tampered_expired_and_unsubscribe_tokens_are_400_and_change_nothing() -> None:
    user()
    payload, _, mac = token("competitor").partition(".")
    forged = token("privacy").partition(".")[0] + "." + mac
    expired = token(at=NOW - timedelta(days=40), days=30)
    unsubscribe = sign_token(KEY.encode(), "u1", "email", CAMPAIGN, NOW, timedelta(days=30))
    tampered = payload + "." + ("y" if mac[0] == "x" else "x") + mac[1:]  # never the MAC it was
    for bad in (forged, tampered, expired, unsubscribe, "garbage"):
        assert post(bad)["statusCode"] == 400
        assert get(bad)["statusCode"] == 400
    assert messaging_items() == []
    profile = get_profile("u1")
    assert profile is not None and profile.consent == {"email": True, "sms": True}


def test_a_privacy_answer_withdraws_consent_on_every_channel() -> None:
    user()
    reply = post(token("privacy"))
    assert reply["statusCode"] == 200 and "marketing messages" in reply["body"]
    profile = get_profile("u1")
    assert profile is not None and profile.consent == {
        "email": False,
        "sms": False,
        "push": False,
        "inbox": False,
        "ads": False,  # advertising use (the audience export) too
    }
    assert profile.updated_at["consent.email"] >= NOW
    assert post(token("privacy"))["statusCode"] == 200  # repeatable


def test_answers_are_counted_per_episode_and_segment() -> None:
    s = store()
    assert record_answer(s, "u1", CAMPAIGN, EPISODE, "forgot", "vip", now=NOW) is Recorded.NEW
    assert record_answer(s, "u1", CAMPAIGN, "2026-01-01T00:00:00+00:00", "forgot", "vip", now=NOW) is Recorded.NEW
    assert record_answer(s, "u2", CAMPAIGN, EPISODE, "forgot", now=NOW) is Recorded.NEW
    assert record_answer(s, "u2", CAMPAIGN, EPISODE, "forgot", now=NOW) is Recorded.UNCHANGED
    assert reason_counts(s, CAMPAIGN) == {"vip": {"forgot": 2}, "all": {"forgot": 1}}
    assert reason_counts(s, "another-campaign") == {}


def test_a_changed_answer_in_another_segment_moves_the_count_between_segments() -> None:
    s = store()
    record_answer(s, "u1", CAMPAIGN, EPISODE, "forgot", "new", now=NOW)
    assert record_answer(s, "u1", CAMPAIGN, EPISODE, "privacy", "vip", now=NOW) is Recorded.CHANGED
    assert reason_counts(s, CAMPAIGN) == {"new": {"forgot": 0}, "vip": {"privacy": 1}}


def test_a_write_decided_on_a_stale_read_writes_nothing() -> None:
    s = store()
    record_answer(s, "u1", CAMPAIGN, EPISODE, "forgot", now=NOW)
    stale = s.replace("u1", CAMPAIGN, EPISODE, StoredAnswer("competitor", "all"), None, NOW)
    assert stale is False
    assert answer_for(s, "u1", CAMPAIGN, EPISODE) == "forgot"
    assert reason_counts(s, CAMPAIGN) == {"all": {"forgot": 1}}


def test_the_answer_item_lives_in_the_users_partition_and_expires() -> None:
    record_answer(store(), "u1", CAMPAIGN, EPISODE, "forgot", now=NOW)
    keys = {(i["pk"]["S"], i["sk"]["S"]) for i in messaging_items()}
    assert keys == {("user#u1", f"reason#{CAMPAIGN}#{EPISODE}"), (f"reasons#{CAMPAIGN}", "all")}
    answer = next(i for i in messaging_items() if i["pk"]["S"] == "user#u1")
    assert int(answer["expires_at"]["N"]) > NOW.timestamp() + 300 * 86400


def test_an_answer_counts_under_the_segment_the_user_was_assigned_in() -> None:
    from winback.models.profile import Assignment

    assignment = Assignment(
        campaign_id=CAMPAIGN, arm="a", segment="cant_lose", tier="lost", episode=EPISODE, assigned_at=NOW
    )
    put_profile(user_id="u1", email="u1@mail.example.com", locale="en", assignment=assignment)
    assert post(token())["statusCode"] == 200
    assert reason_counts(store(), CAMPAIGN) == {"cant_lose": {"competitor": 1}}
