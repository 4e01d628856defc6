"""The preference page end to end on moto, through the real handlers (the local runner plays the HTTP
API): GET changes nothing; each choice is written at once and honoured by the next send; the report
counts each choice per campaign; a bad link is a 400 that changes nothing and asks no one to reply."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, get_profile, sent_emails, suppression_item, use_program
from winback.adapters.deferral_store import DeferralStore
from winback.adapters.messaging_store import MessagingStore
from winback.config.settings import get_settings
from winback.domain.links.preference_links import sign_preference_token
from winback.domain.links.reason_links import sign_reason_token
from winback.domain.links.tokens import sign_token
from winback.models.jobs import SendJob
from winback.models.profile import Assignment
from winback.models.send_state import ClaimNote, SendState
from winback_dev.lambda_events import sqs_event, sqs_record

NOW = datetime.now(UTC)
LAST_ORDER = NOW - timedelta(days=100)
CAMPAIGN = "dormant-offer"


@pytest.fixture(autouse=True)
def _any_hour(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A message that is not held would go out whatever hour the tests run: no quiet hours."""
    use_program(tmp_path, monkeypatch, quiet_hours={})


def _token(stack: Stack, user_id: str = "u1", at: datetime = NOW, days: int = 365, arm: str = "coupon") -> str:
    return sign_preference_token(
        stack.unsubscribe_key, user_id, CAMPAIGN, "email", LAST_ORDER.isoformat(), arm, at, timedelta(days=days)
    )


def _get(stack: Stack, token: str) -> dict[str, Any]:
    return stack.runner.http("GET", "/preferences", {"token": token})


def _post(stack: Stack, token: str, **fields: str | list[str]) -> dict[str, Any]:
    return stack.runner.http("POST", "/preferences", {}, body=urlencode({"token": token, **fields}, doseq=True))


def _user(user_id: str, **fields: Any) -> None:
    assignment = Assignment(
        campaign_id=CAMPAIGN, arm="coupon", segment="at_risk", tier="dormant", episode=LAST_ORDER.isoformat(),
        assigned_at=NOW - timedelta(days=1),
    )  # fmt: skip
    dormant_profile(user_id, LAST_ORDER, assignment=assignment, **fields)


def _send(stack: Stack, *user_ids: str) -> None:
    job = {
        "run_id": "r",
        "campaign_id": CAMPAIGN,
        "step": 0,
        "tier": "dormant",
        "recipients": [
            {"user_id": u, "episode": LAST_ORDER.isoformat(), "arm": "coupon", "segment": "at_risk"} for u in user_ids
        ],
    }
    stack.invoke("send", sqs_event([sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:send")]))


def _emailed() -> list[str]:
    return sorted(d for m in sent_emails() for d in m.destinations["ToAddresses"])


def _tables(stack: Stack) -> list[list[dict[str, Any]]]:
    dynamodb = boto3.client("dynamodb")
    names = ("ActivityTable", "MessagingTable", "SuppressionTable", "DeferralTable")
    return [sorted(dynamodb.scan(TableName=stack.table(n))["Items"], key=str) for n in names]


def test_get_shows_the_page_in_the_users_language_and_changes_nothing(stack: Stack) -> None:
    _user("u1", locale="zh-CN")
    before = _tables(stack)
    reply = _get(stack, _token(stack))
    assert reply["statusCode"] == 200
    assert "暂停全部消息 30 天" in reply["body"] and 'value="unsubscribe_all"' in reply["body"]
    assert "frame-ancestors 'none'" in reply["headers"]["Content-Security-Policy"]
    assert reply["headers"]["Cache-Control"] == "no-store"
    assert _tables(stack) == before


def _held(kind: str) -> list[str]:
    jobs = DeferralStore(get_settings().deferral_table).due(NOW + timedelta(days=400), 100)
    return sorted(r.user_id for j in jobs if j.kind == kind for r in SendJob.model_validate_json(j.body).recipients)


@pytest.mark.parametrize(
    ("fields", "held"),
    [
        ({"choice": "pause_30"}, "user_paused"),
        ({"choice": "pause_90"}, "user_paused"),
        ({"choice": "channels"}, None),  # nothing ticked: every channel off
        ({"choice": "unsubscribe_all"}, None),
    ],
)
def test_each_choice_is_honoured_by_the_next_send(stack: Stack, fields: dict[str, str], held: str | None) -> None:
    """Guards: guards.py's `_paused_by_user`, targeting's `channel_allowed`, consent withdrawn on every
    channel. u2, who chose nothing, is emailed by the same job."""
    _user("u1")
    _user("u2")
    assert _post(stack, _token(stack), **fields)["statusCode"] == 200
    _send(stack, "u1", "u2")
    assert _emailed() == ["u2@mail.example.com"]
    if held is not None:
        assert _held(held) == ["u1"]


def test_fewer_holds_the_next_message_the_programs_cap_would_send(stack: Stack) -> None:
    """Guard: claim.py's `own_cap_room_at`. Both got an SMS of another campaign 3 days ago; the program
    allows 2 emails a week, so u2 is emailed; u1 chose at most 1 message in 14 days and waits."""
    messaging = MessagingStore(get_settings().messaging_table)
    for user_id in ("u1", "u2"):
        _user(user_id)
        key = f"lapsing-nudge#0#{LAST_ORDER.isoformat()}"
        at = NOW - timedelta(days=3)
        messaging.claim(user_id, key, "sms", SendState(), {}, at, ClaimNote(at=int(at.timestamp()), channel="sms"))
    assert _post(stack, _token(stack), choice="fewer")["statusCode"] == 200
    profile = get_profile("u1")
    assert profile is not None and profile.preferences is not None and profile.preferences.cap is not None
    _send(stack, "u1", "u2")
    assert _emailed() == ["u2@mail.example.com"]
    assert _held("capped") == ["u1"]


def test_unsubscribe_from_all_suppresses_every_address(stack: Stack) -> None:
    _user("u1", phone="+14155550100", consent={"email": True, "sms": True})
    reply = _post(stack, _token(stack), choice="unsubscribe_all")
    assert reply["statusCode"] == 200 and "unsubscribed from every message" in reply["body"]
    assert suppression_item("email#u1@mail.example.com") is not None
    assert suppression_item("sms#+14155550100") is not None


def test_the_report_counts_each_choice_per_campaign(stack: Stack) -> None:
    for user_id in ("u1", "u2", "u3"):
        _user(user_id)
    _post(stack, _token(stack, "u1"), choice="fewer")
    _post(stack, _token(stack, "u2"), choice="pause_30")
    _post(stack, _token(stack, "u2"), choice="pause_30")  # posted twice: counted once
    _post(stack, _token(stack, "u3", arm="no-coupon"), choice="unsubscribe_all")
    _post(stack, _token(stack, "u1"), reason="too_many_messages")
    reply = stack.runner.http("GET", f"/campaigns/{CAMPAIGN}/report", {}, iam=True)
    report = json.loads(reply["body"])
    assert report["choices"] == {"fewer": 1, "pause_30": 1, "unsubscribe_all": 1}
    assert report["reasons"] == {"at_risk": {"too_many_messages": 1}}
    unsubscribed = {row["arm"]: row["unsubscribed"] for row in report["arms"]}
    assert unsubscribed["coupon"] == 1  # counted in the user's own cell, as the one-click link does


def test_bad_links_are_400_change_nothing_and_ask_no_one_to_reply(stack: Stack) -> None:
    _user("u1")
    genuine = _token(stack)
    payload, mac, kid = genuine.split(".")
    tampered = f"{payload}.{'B' if mac[0] == 'A' else 'A'}{mac[1:]}.{kid}"
    expired = _token(stack, at=NOW - timedelta(days=40), days=30)
    unsubscribe = sign_token(stack.unsubscribe_key, "u1", "email", CAMPAIGN, NOW, timedelta(days=30))
    reason = sign_reason_token(stack.unsubscribe_key, "u1", CAMPAIGN, "e", "forgot", NOW, timedelta(days=3))
    before = _tables(stack)
    for token in (tampered, expired, unsubscribe, reason, "garbage", ""):
        for reply in (_get(stack, token), _post(stack, token, choice="unsubscribe_all")):
            assert reply["statusCode"] == 400
            assert "reply" not in reply["body"].lower() and "nothing was changed" in reply["body"]
    assert _tables(stack) == before


def test_a_form_the_page_never_offers_is_400_and_changes_nothing(stack: Stack) -> None:
    _user("u1")
    before = _tables(stack)
    for fields in ({"choice": "delete_my_account"}, {"choice": "channels", "channel": "fax"}, {}):
        assert _post(stack, _token(stack), **fields)["statusCode"] == 400
    assert _tables(stack) == before
