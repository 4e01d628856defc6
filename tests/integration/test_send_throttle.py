"""Throttles the pacer did not foresee never reach the DLQ: another application on the same SES account
spends its rate, and SES answers the sender's one attempt with 429 TooManyRequestsException (a raw
HTTP response as SES v2 sends it, error type in `x-amzn-ErrorType`, message in the JSON body, read by
botocore's own rest-json parser and raised by the client as any SES error is). The throttled message's claim is
given back, it and the rest of the job wait a paced deferral (kind `rate`), and the job's receive
ends without an item failure, however long the other application's load lasts.

moto has no SES v2 GetAccount: the account's answer (pacing on) comes from a stand-in for the client
that answers GetAccount as SES does and hands every other call to moto's client.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.parsers import create_parser

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, invoke_send, sent_emails, step_counters, use_program
from winback.adapters import clients
from winback.adapters.deferral_store import DeferralStore
from winback.adapters.messaging_store import MessagingStore
from winback.config.settings import get_settings
from winback.domain.clock import SystemClock
from winback.domain.journey.pacing import THROTTLE_BACKOFF
from winback.models.send_state import send_key

T0 = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)
LAST_ORDER = T0 - timedelta(days=100)
EPISODE = LAST_ORDER.isoformat()
USERS = [f"u{i}" for i in range(1, 6)]
# SES v2's documented TooManyRequestsException (HTTP 429).
THROTTLED_BODY = json.dumps({"message": "Too many requests have been made to the operation."}).encode()


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


class _OtherApp:
    """Another application on the account: while `busy`, it holds the account's rate and SES answers
    every SendEmail of ours with 429; `refused` counts those answers."""

    def __init__(self) -> None:
        self.busy_from_request = 0  # our n-th SendEmail (from 1) from which the account is busy
        self.busy_requests = 0  # for how many of our requests it stays busy
        self.requests = 0
        self.refused = 0

    def before_call(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        self.requests += 1
        if not self.busy_from_request <= self.requests < self.busy_from_request + self.busy_requests:
            return None  # moto answers
        self.refused += 1
        headers = HTTPHeaders()
        headers["x-amzn-ErrorType"] = "TooManyRequestsException"
        headers["Content-Type"] = "application/json"
        raw = {"status_code": 429, "headers": headers, "body": THROTTLED_BODY}
        parsed: dict[str, Any] = create_parser("rest-json").parse(raw, model.output_shape)
        return AWSResponse("https://email.us-east-1.amazonaws.com", 429, headers, _Raw(THROTTLED_BODY)), parsed


class _Ses:
    """moto's SES v2 client, with GetAccount answered as SES answers it (pacing on)."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def get_account(self) -> dict[str, Any]:
        quota = {"Max24HourSend": 50_000.0, "MaxSendRate": 1000.0, "SentLast24Hours": float(len(sent_emails()))}
        return {"SendQuota": quota, "ProductionAccessEnabled": True}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def other_app(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[_OtherApp]:
    use_program(tmp_path, monkeypatch, quiet_hours={})
    for user in USERS:
        dormant_profile(user, LAST_ORDER)
    app = _OtherApp()
    real = clients.sesv2()
    # First in line: a response here is the call's answer (nothing reaches moto).
    handler = cast("Callable[..., None]", app.before_call)  # botocore's hooks are typed as returning None
    real.meta.events.register_first("before-call.sesv2.SendEmail", handler)
    monkeypatch.setattr(clients, "sesv2", lambda: _Ses(real))
    yield app
    real.meta.events.unregister("before-call.sesv2.SendEmail", handler)


class _Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = T0
        monkeypatch.setattr(SystemClock, "now", lambda _self: self.at)


def _job() -> dict[str, Any]:
    return {
        "run_id": "run-test",
        "campaign_id": "dormant-offer",
        "step": 0,
        "tier": "dormant",
        "recipients": [{"user_id": u, "episode": EPISODE, "arm": "a", "segment": "all"} for u in USERS],
    }


def _recipients() -> list[str]:
    return sorted(m.destinations["ToAddresses"][0] for m in sent_emails())


def test_a_throttle_from_another_apps_load_is_a_paced_deferral_never_a_receive_towards_the_dlq(
    stack: Stack, other_app: _OtherApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards: deliver.py's Throttled branch (the claim released, pacing.defer_after_throttle) and
    run.py's `_paced` holding the job's rest on the channel. Without them the job raised, its receive
    failed (a batch item failure), and under a load that outlasts five receives it reached the DLQ."""
    clock = _Clock(monkeypatch)
    other_app.busy_from_request, other_app.busy_requests = 2, 8  # our 2nd request meets the other app's load
    assert invoke_send(stack, _job()) == {"batchItemFailures": []}  # the receive succeeds: nothing back to SQS
    assert _recipients() == ["u1@mail.example.com"]
    counts = step_counters()
    assert counts["throttled"] == 1 and counts["deferred_by_rate"] == len(USERS) - 1
    state = MessagingStore(get_settings().messaging_table).read_state("u2")
    assert send_key("dormant-offer", 0, EPISODE) not in state.ledger  # the throttled claim was given back
    deferrals = DeferralStore(get_settings().deferral_table)
    [deferred] = deferrals.due(T0 + THROTTLE_BACKOFF, 100)
    assert deferred.kind == "rate" and deferred.due == T0 + THROTTLE_BACKOFF

    # The other application's load lasts longer than SQS's five receives: each hourly release meets it
    # again (one refused request per round) and the job defers instead of failing; the 8th goes out.
    for hour in range(1, 9):
        clock.at = T0 + timedelta(hours=hour)
        stack.runner.fire_schedule(clock.at, "release")
        assert stack.runner.drain("SendQueue", "send").failed_records == 0
    assert other_app.refused == 8 and _recipients() == [f"{u}@mail.example.com" for u in USERS]
    assert step_counters()["sent"] == len(USERS) and step_counters()["throttled"] == 8
    assert stack.runner.queue_depth("SendDLQ") == 0
    assert [d for d in deferrals.due(T0 + timedelta(days=30), 100) if d.kind != "next_step"] == []


def test_a_throttle_past_the_steps_deadline_is_dropped_and_counted_not_retried(
    stack: Stack, other_app: _OtherApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard: the step's deadline in the throttle's deferral (domain/journey/pacing.after_throttle)."""
    _Clock(monkeypatch)
    other_app.busy_from_request, other_app.busy_requests = 1, 100
    job = _job() | {"not_after": (T0 + timedelta(seconds=30)).isoformat()}
    assert invoke_send(stack, job) == {"batchItemFailures": []}
    assert sent_emails() == [] and other_app.refused == 1  # one attempt, then the job's rest waits
    assert step_counters()["dropped"] == len(USERS)
    assert stack.runner.queue_depth("SendDLQ") == 0
