"""Account-level conditions pause the channel instead of burning the audience.

The SES answers come from a local HTTP endpoint speaking SES v2's wire format (the error type in
`x-amzn-ErrorType`, the message in the JSON body), as the real service answers SendEmail for a
suspended account or a spent daily quota; the send, release and CLI code run unmodified.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, sent_emails, use_program
from tests.integration.stub_ses import Answer, StubSes
from winback.adapters import clients
from winback.adapters.channel_pause import ChannelPauses
from winback.adapters.deferral_store import DeferralStore
from winback.adapters.messaging_store import MessagingStore
from winback.config.settings import get_settings
from winback.domain.clock import SystemClock
from winback.models.send_state import send_key
from winback_dev.cli import main as winback
from winback_dev.lambda_events import sqs_event, sqs_record

T0 = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)
LAST_ORDER = T0 - timedelta(days=100)
EPISODE = LAST_ORDER.isoformat()
USERS = ["u1", "u2", "u3"]


class _Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = T0
        monkeypatch.setattr(SystemClock, "now", lambda _self: self.at)

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def clock(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Clock:
    use_program(tmp_path, monkeypatch, quiet_hours={})
    for user in USERS:
        dormant_profile(user, LAST_ORDER)
    return _Clock(monkeypatch)


@pytest.fixture
def failing_ses(ses_endpoint: Callable[[Callable[[int], Answer]], StubSes]) -> Callable[[int, str, str], StubSes]:
    """SES answering every SendEmail with one error, as it does for an account-level condition."""

    def start(status: int, code: str, message: str) -> StubSes:
        return ses_endpoint(lambda _n: (status, code, message))

    return start


def _heal_ses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The account can send again: SES is moto's, which accepts."""
    monkeypatch.delenv("AWS_ENDPOINT_URL_SESV2")
    clients.reset()


def _send(stack: Stack) -> dict[str, Any]:
    job = {
        "run_id": "run-test",
        "campaign_id": "dormant-offer",
        "step": 0,
        "tier": "dormant",
        "recipients": [{"user_id": u, "episode": EPISODE, "arm": "a", "segment": "all"} for u in USERS],
    }
    record = sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:send", "m-1")
    reply: dict[str, Any] = stack.invoke("send", sqs_event([record]))
    return reply


def _release_and_send(stack: Stack, at: datetime) -> None:
    stack.runner.fire_schedule(at, "release")
    stack.runner.drain("SendQueue", "send")


def _burned() -> list[str]:
    """Users whose claim is still held or who have an outcome (failed or otherwise) for the step."""
    store = MessagingStore(get_settings().messaging_table)
    key = send_key("dormant-offer", 0, EPISODE)
    return [u for u in USERS if key in store.read_state(u).ledger]


def _counters() -> dict[str, int]:
    return MessagingStore(get_settings().messaging_table).counters("dormant-offer").get(0, {})


def test_account_suspension_pauses_email_burns_nothing_and_resume_sends(
    stack: Stack, clock: _Clock, failing_ses: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards: channels._classify's ACCOUNT_CODES (AccountPaused instead of Rejected/Throttled), the
    release of the claim and the channel pause in send/deliver.py, and the paused-channel check in the
    send loop. Without them every claim is left `failed` for good (Rejected) or the job is raised
    into SQS redelivery and the DLQ (SendingPaused as a throttle)."""
    ses = failing_ses(400, "AccountSuspendedException", "Your account's ability to send email has been suspended.")
    assert _send(stack) == {"batchItemFailures": []}  # nothing goes back to SQS, so nothing to the DLQ
    assert ses.requests == 1  # the first answer paused the channel: the others were not even tried
    assert _burned() == []
    assert "failed" not in _counters() and _counters()["channel_paused"] == 3
    pause = ChannelPauses(get_settings().messaging_table).get("email")
    assert pause is not None and pause.reason == "AccountSuspendedException" and pause.until is None
    deferred = DeferralStore(get_settings().deferral_table).due(T0 + timedelta(hours=1), 100)
    assert [d.kind for d in deferred] == ["channel_paused"]

    _release_and_send(stack, clock.advance(hours=1))
    assert ses.requests == 1 and sent_emails() == []  # still paused: the job waits another hour

    _heal_ses(monkeypatch)
    assert winback(["resume", "--channel", "email"]) == 0
    assert "channel email: resumed" in capsys.readouterr().out
    _release_and_send(stack, clock.advance(hours=1))
    assert sorted(m.destinations["ToAddresses"][0] for m in sent_emails()) == [f"{u}@mail.example.com" for u in USERS]
    assert _counters()["sent"] == 3


def test_spent_daily_quota_pauses_email_until_the_window_moves_on(
    stack: Stack, clock: _Clock, failing_ses: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard: QUOTA_MESSAGES in channels._classify (a throttling answer saying the daily quota is
    spent pauses the channel with an `until`, instead of a throttle that cycles the job to the DLQ);
    the pause lifts by itself, without an operator."""
    failing_ses(400, "ThrottlingException", "Daily message quota exceeded.")
    assert _send(stack) == {"batchItemFailures": []}
    pause = ChannelPauses(get_settings().messaging_table).get("email")
    assert pause is not None and pause.until is not None
    assert _burned() == []
    _heal_ses(monkeypatch)
    _release_and_send(stack, clock.advance(hours=1, minutes=1))
    assert len(sent_emails()) == 3


def test_operator_pause_holds_every_email_of_the_channel(stack: Stack, clock: _Clock) -> None:
    """Guard: the channel pause read in the sender's batch read (`winback pause --channel email`)."""
    assert winback(["pause", "--channel", "email", "--reason", "domain migration"]) == 0
    assert winback(["pause", "--channel", "fax"]) == 2  # an unknown channel is refused, naming it
    _send(stack)
    assert sent_emails() == [] and _burned() == []
    assert winback(["resume", "--channel", "email"]) == 0
    _release_and_send(stack, clock.advance(hours=1))
    assert len(sent_emails()) == 3


# SES v2's documented MessageRejected answer for an unverified identity (the sender, or in the sandbox
# each recipient not verified), the region and identities those of this stack.
SANDBOX_REJECTION = (
    "Email address is not verified. The following identities failed the check in region US-EAST-1: u1@mail.example.com"
)


def _emitted(out: str, metric: str) -> float:
    """The sum of `metric` in the EMF documents the handler printed (CloudWatch reads the same lines)."""
    total = 0.0
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            value = json.loads(line).get(metric, 0)
            total += sum(value) if isinstance(value, list) else value
    return total


def test_a_sandbox_rejection_pauses_email_burns_nobody_and_sends_after_resume(
    stack: Stack, clock: _Clock, failing_ses: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards: channels._account_level's UNVERIFIED_MESSAGES (a MessageRejected that blames an
    unverified identity is the account's condition), then the same release, pause and hold as any
    account-level answer (send/deliver.py). Without it SES's sandbox answer is Rejected: the first
    recipient is marked `failed` for good, and so is every other one, each after its own provider call."""
    ses = failing_ses(400, "MessageRejected", SANDBOX_REJECTION)
    assert _send(stack) == {"batchItemFailures": []}
    assert ses.requests == 1  # the first answer paused email: nobody else was tried
    assert _burned() == []  # every claim released: no `failed`, no claim left for the sweeper
    counters = _counters()
    assert "failed" not in counters and counters["channel_paused"] == 3
    pause = ChannelPauses(get_settings().messaging_table).get("email")
    assert pause is not None and pause.until is None  # waits for the operator
    assert pause.reason.startswith("MessageRejected") and "@" not in pause.reason  # no address stored
    out = capsys.readouterr().out
    assert _emitted(out, "ChannelPaused") == 3 and _emitted(out, "Failed") == 0  # ChannelPausedAlarm's metric

    _heal_ses(monkeypatch)  # production access granted (or the recipients verified)
    assert winback(["resume", "--channel", "email"]) == 0
    _release_and_send(stack, clock.advance(hours=1))
    assert sorted(m.destinations["ToAddresses"][0] for m in sent_emails()) == [f"{u}@mail.example.com" for u in USERS]
    assert _counters()["sent"] == 3 and "failed" not in _counters()
