"""Journeys through the real handlers: steps deferred and released by the hourly schedule, exit on
reactivation, quiet hours in the user's zone (a DST day), caps and pauses defer instead of drop,
deadlines drop, coupons within a budget and reminded later, answers route the journey, the inbox
and offers granted on the bus."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, sent_emails, sent_sms, use_program
from winback.adapters.deferral_store import DeferralStore
from winback.adapters.messaging_store import MessagingStore
from winback.adapters.reason_store import ReasonStore
from winback.config.settings import get_settings
from winback.domain.clock import SystemClock
from winback.services.recipient.reasons import record_answer
from winback_dev.lambda_events import sqs_event, sqs_record

T0 = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)  # 11:00 in New York, 23:00 in Shanghai
LAST_ORDER = T0 - timedelta(days=100)
SEND_ARN = "arn:aws:sqs:us-east-1:123456789012:send"


class PatchedSystemClock:
    """Moves the functions' "now" (SystemClock) without sleeping."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
        self.at = at
        monkeypatch.setattr(SystemClock, "now", lambda _self: self.at)

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def clock(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[PatchedSystemClock]:
    yield PatchedSystemClock(monkeypatch, T0)


def _job(*users: str, campaign: str = "dormant-offer", step: int = 0, arm: str = "coupon", **extra: Any) -> str:
    return json.dumps(
        {
            "run_id": "run-test",
            "campaign_id": campaign,
            "step": step,
            "tier": "dormant",
            "recipients": [
                {"user_id": u, "episode": LAST_ORDER.isoformat(), "arm": arm, "segment": "at_risk"} for u in users
            ],
            **extra,
        }
    )


def _send(stack: Stack, body: str) -> dict[str, Any]:
    reply: dict[str, Any] = stack.invoke("send", sqs_event([sqs_record(body, SEND_ARN)]))
    return reply


def _release_and_send(stack: Stack, at: datetime) -> dict[str, Any]:
    released: dict[str, Any] = stack.runner.fire_schedule(at, "release")
    stack.runner.drain("SendQueue", "send")
    return released


def _cells(campaign: str = "dormant-offer") -> dict[int, dict[str, int]]:
    return MessagingStore(get_settings().messaging_table).counters(campaign)


def _deferred(until: datetime) -> list[Any]:
    return DeferralStore(get_settings().deferral_table).due(until, 100)


def test_a_three_step_journey_goes_out_on_its_days_and_reminds_of_the_same_coupon(
    stack: Stack, clock: PatchedSystemClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})
    dormant_profile("u1", LAST_ORDER)
    assert _send(stack, _job("u1")) == {"batchItemFailures": []}
    first = sent_emails()
    assert len(first) == 1
    [waiting] = _deferred(T0 + timedelta(days=3, minutes=1))
    assert waiting.kind == "next_step" and json.loads(waiting.body)["step"] == 1
    assert _release_and_send(stack, clock.advance(days=3, hours=1))["released"] == 1
    assert len(sent_emails()) == 2
    _release_and_send(stack, clock.advance(days=7, hours=1))
    emails = sent_emails()
    assert len(emails) == 3
    code = re.search(r"WB-[0-9A-Z-]+", first[0].body)
    assert code is not None and code.group() in emails[2].body  # step 2 reminds of the coupon step 0 issued
    assert [_cells()[step]["sent"] for step in (0, 1, 2)] == [1, 1, 1]
    assert _deferred(clock.at + timedelta(days=30)) == []  # the journey is over


def test_a_user_who_comes_back_between_steps_leaves_the_journey(
    stack: Stack, clock: PatchedSystemClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})
    dormant_profile("u1", LAST_ORDER)
    _send(stack, _job("u1"))
    order = {
        "user_id": "u1",
        "type": "order",
        "occurred_at": (T0 + timedelta(days=1)).isoformat(),
        "properties": {"amount": "20.00", "currency": "USD"},
    }
    clock.advance(days=1)  # the order happens then (an event from the future is refused)
    assert stack.runner.post_events([order])["statusCode"] == 200
    _release_and_send(stack, clock.advance(days=2, hours=1))
    assert len(sent_emails()) == 1
    assert _cells()[1]["active_again"] == 1


def test_sms_in_quiet_hours_waits_until_morning_in_the_users_zone_on_a_dst_day(
    stack: Stack, clock: PatchedSystemClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2026-03-08 is the US spring-forward day: 01:30 EST now, quiet until 08:00 EDT (12:00 UTC).
    clock.at = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
    dormant_profile(
        "u1",
        LAST_ORDER,
        email=None,
        phone="+14155550123",
        consent={"sms": True},
        time_zone="America/New_York",
    )
    _send(stack, _job("u1"))
    assert sent_sms() == []
    assert _cells()[0]["quiet_hours"] == 1
    assert _deferred(datetime(2026, 3, 8, 11, 59, tzinfo=UTC)) == []
    [waiting] = _deferred(datetime(2026, 3, 8, 12, 0, tzinfo=UTC))
    assert waiting.kind == "quiet_hours"
    clock.at = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    _release_and_send(stack, clock.at)
    assert [phone for phone, _ in sent_sms()] == ["+14155550123"]


def test_the_same_instant_is_quiet_in_shanghai_and_fine_in_new_york(stack: Stack, clock: PatchedSystemClock) -> None:
    for user, zone in (("ny", "America/New_York"), ("sh", "Asia/Shanghai")):
        dormant_profile(user, LAST_ORDER, email=None, phone="+14155550123", consent={"sms": True}, time_zone=zone)
    _send(stack, _job("ny", "sh"))
    assert len(sent_sms()) == 1
    assert [json.loads(d.body)["recipients"][0]["user_id"] for d in _deferred(T0 + timedelta(days=1))] == ["sh"]


def test_a_full_cap_defers_the_message_instead_of_dropping_it(
    stack: Stack, clock: PatchedSystemClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})
    dormant_profile("u1", LAST_ORDER)
    _send(stack, _job("u1", campaign="dormant-vip"))
    clock.advance(days=1)
    _send(stack, _job("u1", campaign="lost-question"))
    clock.advance(days=1)
    _send(stack, _job("u1", not_after=(clock.at + timedelta(days=30)).isoformat()))  # email cap: 2 per 7 days
    assert len(sent_emails()) == 2
    assert _cells()[0]["capped"] == 1 and _cells()[0]["deferred"] == 1
    clock.at = T0 + timedelta(days=7, hours=1)  # the first slot has left the 7-day window
    _release_and_send(stack, clock.at)
    assert len(sent_emails()) == 3


def test_a_step_held_back_past_its_deadline_is_dropped_and_counted(stack: Stack, clock: PatchedSystemClock) -> None:
    dormant_profile("u1", LAST_ORDER)
    _send(stack, _job("u1", not_after=(T0 - timedelta(minutes=1)).isoformat()))
    assert sent_emails() == []
    assert _cells()[0]["dropped"] == 1


def test_a_paused_campaign_holds_its_jobs_until_it_is_resumed(
    stack: Stack, clock: PatchedSystemClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})
    dormant_profile("u1", LAST_ORDER)
    MessagingStore(get_settings().messaging_table).pause("dormant-offer", "bounce rate 6%", T0)
    _send(stack, _job("u1"))
    assert sent_emails() == []
    assert [d.kind for d in _deferred(T0 + timedelta(hours=1))] == ["paused"]
    _release_and_send(stack, clock.advance(hours=1))
    assert sent_emails() == []  # still paused: it waits another hour
    assert stack.runner.http("POST", "/campaigns/dormant-offer/resume", {}, iam=True)["statusCode"] == 200
    _release_and_send(stack, clock.advance(hours=1))
    assert len(sent_emails()) == 1


def test_a_spent_budget_sends_the_step_without_its_offer(
    stack: Stack, clock: PatchedSystemClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from winback.config.loader import DEFAULT_PROGRAM_PATH

    campaigns = yaml.safe_load(DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8"))["campaigns"]
    for campaign in campaigns:
        if campaign["id"] == "dormant-offer":
            campaign["coupon_budget"] = {"max_count": 1, "max_value": 100, "currency": "USD"}
    use_program(tmp_path, monkeypatch, quiet_hours={}, campaigns=campaigns)
    dormant_profile("u1", LAST_ORDER)
    dormant_profile("u2", LAST_ORDER)
    _send(stack, _job("u1", "u2"))
    bodies = [m.body for m in sent_emails()]
    assert len(bodies) == 2
    assert sum("WB-" in body for body in bodies) == 1
    assert _cells()[0]["coupon_issued"] == 1 and _cells()[0]["offer_budget_spent"] == 1


def test_the_no_coupon_arm_gets_the_step_without_an_offer(
    stack: Stack, clock: PatchedSystemClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})
    dormant_profile("u1", LAST_ORDER)
    _send(stack, _job("u1", arm="no-coupon"))
    [email] = sent_emails()
    assert "WB-" not in email.body


def test_a_privacy_answer_stops_the_journey_and_too_many_messages_allows_one_more(
    stack: Stack, clock: PatchedSystemClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})
    dormant_profile("u1", LAST_ORDER)
    dormant_profile("u2", LAST_ORDER)
    _send(stack, _job("u1", "u2"))
    store = ReasonStore(get_settings().messaging_table)
    episode = LAST_ORDER.isoformat()
    record_answer(store, "u1", "dormant-offer", episode, "privacy", now=clock.advance(hours=1))
    record_answer(store, "u2", "dormant-offer", episode, "too_many_messages", now=clock.at)
    _release_and_send(stack, clock.advance(days=3, hours=1))
    assert _cells()[1] == {**_cells()[1], "journey_stopped": 1, "sent": 1}
    _release_and_send(stack, clock.advance(days=7, hours=1))
    assert _cells()[2]["journey_stopped"] == 1 and "sent" not in _cells()[2]


def test_the_inbox_reaches_an_app_user_and_reading_marks_it_read(
    stack: Stack, clock: PatchedSystemClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})
    dormant_profile("u1", LAST_ORDER, email=None, consent={}, event_counts={"login": 4})
    _send(stack, _job("u1"))
    first = json.loads(stack.runner.http("GET", "/users/u1/inbox", {}, iam=True)["body"])
    assert first["unread"] == 1 and "WB-" in first["messages"][0]["body"]
    again = json.loads(stack.runner.http("GET", "/users/u1/inbox", {}, iam=True)["body"])
    assert again["unread"] == 0
    assert stack.runner.http("GET", "/users/u1/inbox", {})["statusCode"] == 403


def test_a_points_offer_is_granted_once_on_the_offers_bus(
    stack: Stack, clock: PatchedSystemClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})
    sqs = boto3.client("sqs")
    events = boto3.client("events")
    url = sqs.create_queue(QueueName="offers-listener")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = stack.table("OffersBus")
    events.put_rule(Name="offers", EventBusName=bus, EventPattern=json.dumps({"detail-type": ["OfferGranted"]}))
    events.put_targets(Rule="offers", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    dormant_profile("u1", LAST_ORDER)
    body = _job("u1", campaign="lapsing-nudge", step=1, arm="nostalgic")
    _send(stack, body)
    _send(stack, body)  # redelivered: no second grant
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    detail = json.loads(messages[0]["Body"])["detail"]
    assert detail["kind"] == "points_multiplier" and detail["user_id"] == "u1"


def test_the_question_email_carries_signed_reason_links_and_its_sms_does_not(
    stack: Stack, clock: PatchedSystemClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})
    dormant_profile("u1", LAST_ORDER)
    dormant_profile("u2", LAST_ORDER, email=None, phone="+14155550123", consent={"sms": True})
    _send(stack, _job("u1", "u2", campaign="lost-question", arm="a"))
    [email] = sent_emails()
    assert email.body.count("/reasons?token=") >= 6
    [(_, sms)] = sent_sms()
    assert "/reasons" not in sms
