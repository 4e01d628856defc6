"""A run larger than SES's 24-hour quota: the quota's worth goes out, the rest waits for the next
window instead of failing into the DLQ, and goes out on the following days, each user once.

moto has no SES v2 GetAccount, so the account's answer comes from a stand-in for the SES v2 client
that answers GetAccount as SES does (SendQuota) and hands every other call to moto's client; its
SentLast24Hours counts the emails moto accepted in the test's current 24-hour window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, invoke_send, sent_emails, step_counters, use_program
from winback.adapters import clients
from winback.adapters.deferral_store import DeferralStore
from winback.config.settings import get_settings
from winback.domain.clock import SystemClock
from winback.runtime.deps import reset

T0 = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)
LAST_ORDER = T0 - timedelta(days=100)
EPISODE = LAST_ORDER.isoformat()
USERS = [f"u{i}" for i in range(1, 9)]
QUOTA = 3


class _Ses:
    """moto's SES v2 client, with GetAccount answered as SES answers it."""

    def __init__(self, real: Any, account: _Account) -> None:
        self._real = real
        self._account = account

    def get_account(self) -> dict[str, Any]:
        self._account.reads += 1
        return {
            "SendQuota": {
                "Max24HourSend": float(QUOTA),
                "MaxSendRate": 1000.0,
                "SentLast24Hours": float(len(sent_emails()) - self._account.sent_before_window),
            },
            "ProductionAccessEnabled": True,
        }

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Account:
    def __init__(self) -> None:
        self.sent_before_window = 0
        self.reads = 0


class _Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = T0
        monkeypatch.setattr(SystemClock, "now", lambda _self: self.at)


@pytest.fixture
def account(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Account:
    use_program(tmp_path, monkeypatch, quiet_hours={})
    for user in USERS:
        dormant_profile(user, LAST_ORDER)
    acc = _Account()
    real = clients.sesv2
    monkeypatch.setattr(clients, "sesv2", lambda: _Ses(real(), acc))
    return acc


def _job(not_after: datetime | None = None) -> dict[str, Any]:
    return {
        "run_id": "run-test",
        "campaign_id": "dormant-offer",
        "step": 0,
        "tier": "dormant",
        "not_after": not_after.isoformat() if not_after else None,
        "recipients": [{"user_id": u, "episode": EPISODE, "arm": "a", "segment": "all"} for u in USERS],
    }


def _recipients() -> list[str]:
    return [m.destinations["ToAddresses"][0] for m in sent_emails()]


def test_a_run_larger_than_the_daily_quota_goes_out_over_the_following_days(
    stack: Stack, account: _Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards: the quota check of the pacer (services/send/pacing.WorkerPacer reading GetAccount, booking its
    own sends) and send/run.py `_paced`, which defers the rest of the job unclaimed (kind `quota`). Without
    them all 8 go to SES at once: SES refuses the 4th with its quota error (the channel pauses for an
    hour and the release retries hourly), or, counted as a throttle, the job cycles into the DLQ."""
    clock = _Clock(monkeypatch)
    assert invoke_send(stack, _job()) == {"batchItemFailures": []}  # nothing back to SQS: nothing to the DLQ
    assert len(sent_emails()) == QUOTA
    counts = step_counters()
    assert counts["sent"] == QUOTA and counts["deferred_by_quota"] == len(USERS) - QUOTA
    assert "failed" not in counts and "throttled" not in counts and "uncertain" not in counts
    deferrals = DeferralStore(get_settings().deferral_table)
    # Not before the window has moved on: the shared lease frees the hour T0 leased in once all of
    # that hour has left SES's 24 hours (services/send/pacing.py, domain/journey/quota_window.py).
    assert deferrals.due(T0 + timedelta(hours=24, minutes=59), 100) == []
    assert [d.kind for d in deferrals.due(T0 + timedelta(hours=25), 100)] == ["quota"]
    assert account.reads == 1  # one GetAccount for the whole job

    for day in (1, 2):
        clock.at = T0 + timedelta(days=day, hours=day)  # the day's leased hour has left the window
        account.sent_before_window = len(sent_emails())  # the previous day's sends left the window
        reset()  # a new day, a new container (the account is read again)
        stack.runner.fire_schedule(clock.at, "release")
        drained = stack.runner.drain("SendQueue", "send")
        assert drained.failed_records == 0
        assert len(sent_emails()) == min(len(USERS), QUOTA * (day + 1))

    assert sorted(_recipients()) == sorted(f"{u}@mail.example.com" for u in USERS)  # each user once
    assert step_counters()["sent"] == len(USERS)
    assert step_counters()["deferred_by_quota"] == (len(USERS) - QUOTA) + (len(USERS) - 2 * QUOTA)
    assert stack.runner.queue_depth("SendDLQ") == 0
    assert [d for d in deferrals.due(T0 + timedelta(days=30), 100) if d.kind != "next_step"] == []


def test_quota_past_the_steps_deadline_drops_and_counts(
    stack: Stack, account: _Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard: the deadline in the quota deferral (next_send_at's drop, send/job_run.py `JobRun.hold`): a message whose
    next window opens after the step's deadline is dropped and counted, not deferred past it."""
    _Clock(monkeypatch)
    assert invoke_send(stack, _job(not_after=T0 + timedelta(hours=12))) == {"batchItemFailures": []}
    counts = step_counters()
    assert counts["sent"] == QUOTA and counts["dropped"] == len(USERS) - QUOTA
    assert "deferred_by_quota" not in counts
    later = DeferralStore(get_settings().deferral_table).due(T0 + timedelta(days=30), 100)
    assert [d.kind for d in later] == ["next_step"]  # the sent users' next step, nothing else
