"""services/send/pacing.py and adapters/provider_account.py: each worker's share, the quota booked
locally between account reads, short waits slept through an injected sleeper, one read per TTL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from winback.adapters.provider_account import EmailAccount
from winback.config.pacing import Pacing
from winback.models.delivery import SendLimits
from winback.services.send.pacing import QUOTA_WINDOW, WorkerPacer

NOW = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)


class _Time:
    """A monotonic timer and a sleeper that moves it (nothing really sleeps)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def timer(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def _account(clock: _Time, rate: float = 14, max_24h: int = 50_000, sent: int = 0) -> tuple[EmailAccount, list[float]]:
    reads: list[float] = []

    def read(now: float) -> SendLimits:
        reads.append(now)
        return SendLimits(rate, max_24h, sent, now)

    return EmailAccount(ttl=60, timer=clock.timer, read=read), reads


def _pacer(clock: _Time, account: EmailAccount, concurrency: int = 2) -> WorkerPacer:
    return WorkerPacer(account, Pacing(sms_per_second=20, max_wait_ms=2000), concurrency, clock.sleep, clock.timer)


def test_email_goes_at_the_workers_share_of_the_account_rate() -> None:
    """Guard: the division by the send queue's maximum concurrency (14/s over 2 workers: 7/s each)."""
    clock = _Time()
    account, _ = _account(clock, rate=14)
    pacer = _pacer(clock, account, concurrency=2)
    for _ in range(8):
        assert pacer.admit("email", NOW, None).action == "send"
    assert len(clock.slept) == 7
    assert all(abs(s - 1 / 7) < 1e-5 for s in clock.slept)


def test_sms_goes_at_its_configured_share_and_push_is_not_paced() -> None:
    clock = _Time()
    account, reads = _account(clock)
    pacer = _pacer(clock, account, concurrency=2)
    for _ in range(3):
        pacer.admit("sms", NOW, None)
        pacer.admit("push", NOW, None)
    assert [round(s, 3) for s in clock.slept] == [0.1, 0.1]
    assert reads == []  # SMS and push never ask SES


def test_the_quota_left_counts_this_workers_sends_until_the_next_read() -> None:
    """Guard: the local booking (_booked) between two GetAccount reads; without it a worker would
    spend the whole quota again on every send of the minute."""
    clock = _Time()
    account, reads = _account(clock, rate=1000, max_24h=10, sent=7)
    pacer = _pacer(clock, account)
    actions = [pacer.admit("email", NOW, None).action for _ in range(5)]
    assert actions == ["send", "send", "send", "defer", "defer"]
    assert pacer.admit("email", NOW, None).until == NOW + QUOTA_WINDOW
    assert len(reads) == 1  # one GetAccount for the minute


def test_a_spent_quota_past_the_deadline_is_a_drop() -> None:
    clock = _Time()
    account, _ = _account(clock, max_24h=5, sent=5)
    pace = _pacer(clock, account).admit("email", NOW, NOW + timedelta(hours=1))
    assert pace.action == "drop" and pace.kind == "quota"


def test_the_account_is_read_again_after_its_ttl_and_bookings_restart() -> None:
    clock = _Time()
    account, reads = _account(clock, rate=1000, max_24h=2, sent=0)
    pacer = _pacer(clock, account)
    assert [pacer.admit("email", NOW, None).action for _ in range(3)] == ["send", "send", "defer"]
    clock.t += 61
    assert pacer.admit("email", NOW, None).action == "send"  # the stub still says 0 sent
    assert len(reads) == 2


def test_a_failed_account_read_leaves_email_unpaced_for_a_ttl() -> None:
    """Guard: EmailAccount catches the read's failure (moto lacks GetAccount; a missing permission)."""
    clock = _Time()
    calls: list[float] = []

    def failing(now: float) -> SendLimits:
        calls.append(now)
        raise NotImplementedError("get_account")

    pacer = _pacer(clock, EmailAccount(ttl=60, timer=clock.timer, read=failing))
    assert [pacer.admit("email", NOW, None).action for _ in range(3)] == ["send"] * 3
    assert clock.slept == [] and len(calls) == 1


def test_unlimited_quota() -> None:
    assert SendLimits(14, None, 123, 0).quota_left is None
