"""The email quota shared through one lease counter (domain/journey/quota_window.py, the pacer's
lease in services/send/pacing.py, winback_dev.memory.quota): however stale each container's
GetAccount, the containers together never admit more than the quota in any 24 hours.

Before the lease, two containers admitted 1,158-2,837 sends against a quota of 1,000, depending on
how stale `SentLast24Hours` was: each booked only its own sends against its own reading."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from winback.adapters.provider_account import EmailAccount
from winback.config.pacing import Pacing
from winback.domain.journey.quota_window import WINDOW_HOURS, hour_of, take
from winback.models.delivery import SendLimits
from winback.services.send.pacing import LEASE_MAX, WorkerPacer
from winback_dev.memory.quota import InMemoryQuotaLeases

T0 = datetime(2026, 6, 10, 15, 20, tzinfo=UTC)
QUOTA = 40
DAY = timedelta(hours=24)


class _Account:
    """SES's side: every send admitted, and a SentLast24Hours that lags `lag` behind them."""

    def __init__(self, lag: timedelta) -> None:
        self.sends: list[datetime] = []
        self.lag = lag
        self.now = T0

    def sent_last_24h(self) -> int:
        seen_until = self.now - self.lag
        return sum(1 for t in self.sends if seen_until - DAY < t <= seen_until)


class _Container:
    """One send container: its pacer, its own (stale, read once per TTL) view of the account."""

    def __init__(self, ses: _Account, leases: InMemoryQuotaLeases | None) -> None:
        self.t = 0.0
        self.ses = ses

        def read(now: float) -> SendLimits:
            return SendLimits(1000.0, QUOTA, ses.sent_last_24h(), now)

        account = EmailAccount(ttl=600, timer=self.timer, read=read)
        self.pacer = WorkerPacer(
            account, Pacing(sms_per_second=20, max_wait_ms=2000), 2, self.sleep, self.timer, leases
        )

    def timer(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def _most_in_any_window(sends: list[datetime]) -> int:
    ordered = sorted(sends)
    return max(
        (bisect_right(ordered, t + DAY - timedelta(microseconds=1)) - i for i, t in enumerate(ordered)), default=0
    )


def _run(steps: list[tuple[int, int]], containers: int, lag_minutes: int, shared: bool) -> _Account:
    ses = _Account(timedelta(minutes=lag_minutes))
    leases = InMemoryQuotaLeases() if shared else None
    pool = [_Container(ses, leases) for _ in range(containers)]
    for who, advance_s in steps:
        ses.now += timedelta(seconds=advance_s)
        for c in pool:
            c.t += advance_s
        if pool[who % containers].pacer.admit("email", ses.now, None).action == "send":
            ses.sends.append(ses.now)
    return ses


interleavings = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from([0, 0, 0, 1, 5, 60, 3_600, 20_000])),
    min_size=2 * QUOTA + 10,
    max_size=300,
)


@settings(max_examples=150, deadline=None)
@given(steps=interleavings, containers=st.integers(2, 4), lag_minutes=st.sampled_from([0, 5, 60, 600]))
def test_containers_together_never_admit_more_than_the_quota_in_any_24_hours(
    steps: list[tuple[int, int]], containers: int, lag_minutes: int
) -> None:
    """Guard: the pacer's lease (WorkerPacer._leased) from the one shared counter. Without it (each
    container booking its own sends against a stale SentLast24Hours) the sum passes the quota."""
    ses = _run(steps, containers, lag_minutes, shared=True)
    assert _most_in_any_window(ses.sends) <= QUOTA


def test_without_the_shared_lease_two_containers_pass_the_quota() -> None:
    """The break the lease mends, reproduced: two containers, each with a fresh reading, spend the
    same quota twice."""
    steps = [(i % 2, 1) for i in range(4 * QUOTA)]
    assert _most_in_any_window(_run(steps, 2, 0, shared=False).sends) > QUOTA
    assert _most_in_any_window(_run(steps, 2, 0, shared=True).sends) == QUOTA


def test_a_lease_is_a_block_of_sends_one_store_call_per_block() -> None:
    """Guard: LEASE_MAX / the lease covering a few seconds of the worker's rate: the quota's cost is one
    call per block, not per email."""
    leases = InMemoryQuotaLeases()
    ses = _Account(timedelta(0))
    container = _Container(ses, leases)
    admitted = sum(container.pacer.admit("email", T0, None).action == "send" for _ in range(QUOTA))
    assert admitted == QUOTA
    # A block: a quarter of the worker's share of the quota (40 / 2 workers / 4 = 5), here below
    # LEASE_MAX and five seconds of its rate (500/s).
    assert leases.calls == QUOTA // 5
    assert LEASE_MAX == 50


def test_a_spent_quota_waits_for_the_oldest_hour_to_leave_the_window() -> None:
    """Guard: quota_window._free_at: the deferral goes to when the oldest leased hour has left SES's
    24 hours (no earlier: its sends still count; no later than an hour after SES frees them)."""
    ses = _Account(timedelta(0))
    container = _Container(ses, InMemoryQuotaLeases())
    for _ in range(QUOTA):
        assert container.pacer.admit("email", T0, None).action == "send"
    pace = container.pacer.admit("email", T0 + timedelta(hours=2), None)
    assert pace.action == "defer" and pace.kind == "quota"
    start_of_hour = datetime.fromtimestamp(hour_of(T0) * 3600, UTC)
    assert pace.until == start_of_hour + timedelta(hours=WINDOW_HOURS + 1)
    assert T0 + DAY <= pace.until <= T0 + DAY + timedelta(hours=1)


def test_a_lease_is_dropped_when_its_hour_ends() -> None:
    """Guard: the hour check in WorkerPacer._leased: a block leased in one hour and spent in a later
    one would leave SES's window after the counter forgot it."""
    leases = InMemoryQuotaLeases()
    container = _Container(_Account(timedelta(0)), leases)
    assert container.pacer.admit("email", T0, None).action == "send"
    assert container.pacer.admit("email", T0 + timedelta(hours=1), None).action == "send"
    assert leases.calls == 2
    assert sorted(leases.hours) == [hour_of(T0), hour_of(T0) + 1]


def test_take_grants_what_is_left_and_forgets_hours_out_of_the_window() -> None:
    hours = {hour_of(T0) - WINDOW_HOURS - 1: 30, hour_of(T0) - 3: 25}
    lease, after = take(hours, 50, QUOTA, T0)
    assert lease.granted == QUOTA - 25
    assert after == {hour_of(T0) - 3: 25, hour_of(T0): QUOTA - 25}
    empty, _ = take(after, 5, QUOTA, T0)
    assert empty.granted == 0
    assert empty.free_at == datetime.fromtimestamp((hour_of(T0) - 3 + WINDOW_HOURS + 1) * 3600, UTC)
