"""Every channel can be refused: SMS keywords (and START to come back), the in-app inbox opt-out, a
privacy answer that withdraws advertising use, and an audience export without refusing users."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import boto3

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, get_profile, suppression_item
from winback.adapters.inbox_store import InboxChannel, InboxStore
from winback.adapters.suppression_store import SuppressionStore
from winback.config.loader import load_program
from winback.content.rendering import Rendered
from winback.domain.audience.hashing import audience_row
from winback.domain.clock import SystemClock
from winback.domain.links.reason_links import sign_reason_token
from winback.models.outbound import Outbound
from winback.services.send.content import Message, unsubscribe_url
from winback_dev.lambda_events import sms_reply, sns_event

NOW = datetime.now(UTC)
TOPIC = "arn:aws:sns:us-east-1:123456789012:feedback"
PHONE = "+14155550123"


def _feed(stack: Stack, body: str) -> dict[str, int]:
    reply: dict[str, int] = stack.invoke("feedback", sns_event([sms_reply(PHONE, body)], TOPIC))
    return reply


def test_sms_opt_out_keywords_and_start_to_opt_back_in(stack: Stack) -> None:
    """Guards: is_opt_out's AWS keyword list (OPT OUT), is_opt_in + SuppressionStore.lift (START
    lifts only a keyword's suppression, never a bounce's or a complaint's)."""
    assert _feed(stack, " opt out ") == {"sms_stop": 1}
    assert suppression_item(f"sms#{PHONE}") is not None
    assert _feed(stack, "Start") == {"sms_start": 1}
    assert suppression_item(f"sms#{PHONE}") is None
    assert _feed(stack, "ARRET") == {"sms_stop": 1}
    SuppressionStore(stack.table("SuppressionTable")).suppress("sms#+14155550124", "complaint", "ses", NOW)
    reply = stack.invoke("feedback", sns_event([sms_reply("+14155550124", "UNSTOP")], TOPIC))
    assert reply == {"sms_reply": 1} and suppression_item("sms#+14155550124") is not None


def test_the_app_can_turn_the_inbox_off(stack: Stack) -> None:
    """Guard: POST /users/{id}/inbox/opt-out suppresses `inbox#<id>`, which the send path checks."""
    assert stack.runner.http("POST", "/users/u1/inbox/opt-out", {})["statusCode"] == 403  # IAM only
    assert stack.runner.http("POST", "/users/u1/inbox/opt-out", {}, iam=True)["statusCode"] == 200
    assert SuppressionStore(stack.table("SuppressionTable")).suppressed(["inbox#u1"]) == {"inbox#u1"}


def test_a_privacy_answer_withdraws_advertising_use_too(stack: Stack) -> None:
    """Guard: reasons.WITHDRAWN includes "ads"."""
    dormant_profile("u1", NOW - timedelta(days=100), consent={"email": True, "ads": True})
    token = sign_reason_token(stack.unsubscribe_key, "u1", "lost-question", "e1", "privacy", NOW, timedelta(days=3))
    assert stack.runner.http("POST", "/reasons", {"token": token})["statusCode"] == 200
    profile = get_profile("u1")
    assert profile is not None and profile.consent["ads"] is False and profile.consent["email"] is False


def test_the_audience_export_leaves_out_suppressed_and_sunset_users(stack: Stack) -> None:
    """Guard: export_audiences' suppressed/sunset checks (ads consent alone is not enough)."""
    last = NOW - timedelta(days=200)
    common = {"tier": "dormant", "consent": {"email": True, "ads": True}}
    for user in ("keep", "unsubscribed", "sunset"):
        dormant_profile(user, last, **common, **({"journeys": {"failed": 9}} if user == "sunset" else {}))
    SuppressionStore(stack.table("SuppressionTable")).suppress(
        "email#unsubscribed@mail.example.com", "unsubscribe", "link", NOW
    )
    stack.runner.fire_schedule(NOW, "export")
    s3, bucket = boto3.client("s3"), stack.table("AudienceBucket")
    cells: set[str] = set()
    for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        if obj["Key"].endswith(".csv"):
            text = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
            cells |= {cell for row in csv.reader(io.StringIO(text)) for cell in row}

    def exported(user: str) -> bool:
        return (audience_row(f"{user}@mail.example.com", None) or ("",))[0] in cells

    assert exported("keep") and not exported("unsubscribed") and not exported("sunset")


def test_an_inbox_message_carries_a_signed_opt_out_link_that_turns_the_inbox_off(stack: Stack) -> None:
    """Guards: InboxChannel stores the message's own unsubscribe link (signed for channel `inbox`) as
    `opt_out_url`, and the one-click unsubscribe route honours it (inbox suppressed, consent withdrawn)."""
    app_user = dormant_profile("u1", NOW - timedelta(days=100), event_counts={"login": 2})
    link = unsubscribe_url(
        Message(app_user, "inbox", "dormant-offer", 0, "a", "e1", "en"),
        load_program(),
        stack.unsubscribe_key,
        "https://api.example.com",
        NOW,
    )
    inbox = InboxStore(stack.table("MessagingTable"))
    outbound = Outbound(
        channel="inbox",
        user_id="u1",
        address="u1",
        key="dormant-offer#0#e1",
        content=Rendered("Hi", "", "Back?"),
        campaign_id="dormant-offer",
        step=0,
        cta_url="https://shop.example.com/",
        unsubscribe_url=link,
    )
    InboxChannel(inbox, SystemClock(), 30).send(outbound)
    listed = json.loads(stack.runner.http("GET", "/users/u1/inbox", {}, iam=True)["body"])["messages"]
    assert [m["opt_out_url"] for m in listed] == [link]
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert stack.runner.http("POST", "/unsubscribe", {"token": token})["statusCode"] == 200
    assert SuppressionStore(stack.table("SuppressionTable")).suppressed(["inbox#u1"]) == {"inbox#u1"}
    profile = get_profile("u1")
    assert profile is not None and profile.consent.get("inbox") is False
