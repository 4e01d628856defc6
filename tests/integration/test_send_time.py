"""Send-time optimization through the real handlers on moto: a best_hour step is deferred (DeferralTable)
to the user's most active local hour, across New York's spring-forward night, and the hourly release
sends it then; the `now` arm goes at once; the histogram is written by the real ingest merge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import count_calls, dormant_profile, get_profile, sample_event, sent_emails
from winback.adapters.deferral_store import DeferralStore
from winback.adapters.messaging_store import MessagingStore
from winback.config.settings import get_settings
from winback.domain.clock import SystemClock
from winback_dev.lambda_events import sqs_event, sqs_record
from winback_dev.signing import signed_headers

# 20:00 EST on Saturday 2026-03-07; the clocks spring forward at 07:00 UTC, so 19:00 on Sunday is EDT.
T0 = datetime(2026, 3, 8, 1, 0, tzinfo=UTC)
LAST_ORDER = T0 - timedelta(days=100)
SEND_ARN = "arn:aws:sqs:us-east-1:123456789012:send"
NY = "America/New_York"
EVENING = [0] * 19 + [12] + [0] * 4  # twelve events at 19:00 on their clock


class PatchedSystemClock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
        self.at = at
        monkeypatch.setattr(SystemClock, "now", lambda _self: self.at)


@pytest.fixture
def clock(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[PatchedSystemClock]:
    yield PatchedSystemClock(monkeypatch, T0)


def _job(*users: str, arm: str) -> str:
    return json.dumps(
        {
            "run_id": "run-test",
            "campaign_id": "dormant-vip",
            "step": 0,
            "tier": "dormant",
            "recipients": [
                {"user_id": u, "episode": LAST_ORDER.isoformat(), "arm": arm, "segment": "loyal"} for u in users
            ],
            "not_after": (T0 + timedelta(days=3)).isoformat(),
        }
    )


def _send(stack: Stack, body: str) -> dict[str, Any]:
    reply: dict[str, Any] = stack.invoke("send", sqs_event([sqs_record(body, SEND_ARN)]))
    return reply


def _cells() -> dict[str, dict[str, int]]:
    cells = MessagingStore(get_settings().messaging_table).cells("dormant-vip")
    return {cell.arm: cell.counts for cell in cells if cell.step == 0}


def _deferred(until: datetime) -> list[Any]:
    return DeferralStore(get_settings().deferral_table).due(until, 100)


def test_a_best_hour_step_waits_for_the_users_evening_across_dst_and_is_released_then(
    stack: Stack, clock: PatchedSystemClock
) -> None:
    """Guard: services/send/send_time.py's waits_for_best_hour (held with kind best_hour) and the job's
    best_hour_step mark (released at the hour, sent rather than deferred again)."""
    dormant_profile("evening", LAST_ORDER, time_zone=NY, active_hours=EVENING)
    dormant_profile("plain", LAST_ORDER, time_zone=NY, active_hours=EVENING)
    _send(stack, _job("evening", arm="best-hour"))
    _send(stack, _job("plain", arm="now"))
    assert [m.destinations["ToAddresses"] for m in sent_emails()] == [["plain@mail.example.com"]]
    assert _cells()["best-hour"]["best_hour"] == 1 and _cells()["best-hour"]["deferred"] == 1
    # 19:00 EDT on Sunday is 23:00 UTC (19:00 EST would have been 00:00 UTC).
    evening = datetime(2026, 3, 8, 23, 0, tzinfo=UTC)
    assert _deferred(evening - timedelta(seconds=1)) == []
    [waiting] = _deferred(evening)
    assert waiting.kind == "best_hour" and json.loads(waiting.body)["best_hour_step"] == 0
    # The hourly release runs a few minutes after the hour: sent then, not deferred to the next evening.
    clock.at = evening + timedelta(minutes=7)
    stack.runner.fire_schedule(clock.at, "release")
    stack.runner.drain("SendQueue", "send")
    assert len(sent_emails()) == 2
    assert _cells()["best-hour"]["at_best_hour"] == 1
    assert _deferred(clock.at + timedelta(days=30)) != [] and all(
        d.kind == "next_step" for d in _deferred(clock.at + timedelta(days=30))
    )


def _post_events(stack: Stack, payload: Any) -> dict[str, Any]:
    body = json.dumps(payload)
    event = sample_event("ingest_post_events.json")
    event["body"] = body
    # signed now (the signature's age is checked against the real clock, not the functions' patched one)
    event["headers"] = {**signed_headers(stack.webhook_secret, body, "msg_send_time_1"), "host": "api.example.com"}
    reply: dict[str, Any] = stack.invoke("ingest", event)
    return reply


def test_the_webhook_writes_the_histogram_in_the_users_zone_in_its_one_write(
    stack: Stack, clock: PatchedSystemClock
) -> None:
    """Guard: domain/journey/merge.py's count_hour call, inside the transaction the webhook already
    makes (no call of its own); a retried request is counted once (the request marker)."""
    events = [
        {
            "user_id": "u1",
            "type": "login",
            "occurred_at": (T0 - timedelta(days=d)).isoformat(),
            "properties": {"time_zone": NY},
        }
        for d in range(1, 4)
    ]
    payload = {"events": events}
    with count_calls() as calls:
        reply = _post_events(stack, payload)
    assert reply["statusCode"] == 200, reply
    assert calls["TransactWriteItems"] == 1 and calls["BatchGetItem"] == 1
    again = _post_events(stack, payload)  # the sender's retry of the same request
    assert again["statusCode"] == 200, again
    profile = get_profile("u1")
    assert profile is not None
    hours = profile.active_hours
    assert hours[20] == 3 and sum(hours) == 3  # 01:00 UTC was 20:00 EST on each of those days
