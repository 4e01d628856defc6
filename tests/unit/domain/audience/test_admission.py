"""domain/audience/admission.py: the day's capacity per channel, each segment's share of it, and the
bounded heap that keeps a worker's best users. Guards: the smallest of quota, rate and warm-up; shares
that add up to the capacity exactly; a heap that never holds more than k and keeps the top k."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from winback.config.admission import Admission, WarmUp
from winback.domain.audience.admission import (
    ANY_CHANNEL,
    ChannelLimits,
    TopK,
    budget_of,
    day_capacity,
    segment_share,
    value_band,
)

DAY = dt.date(2026, 12, 7)
SES = ChannelLimits(email_max_24h=50_000, email_per_second=14, sms_per_second=20)


def test_email_is_the_quota_when_the_rate_allows_more() -> None:
    capacity = day_capacity(Admission(), SES, DAY)
    assert capacity == {"email": 50_000, "sms": 20 * 86_400}


def test_email_is_the_rate_over_a_day_when_that_is_smaller() -> None:
    slow = ChannelLimits(email_max_24h=2_000_000, email_per_second=1, sms_per_second=20)
    assert day_capacity(Admission(), slow, DAY)["email"] == 86_400


def test_a_warm_up_ramp_starts_small_and_grows_by_its_factor_each_day() -> None:
    config = Admission(warm_up=WarmUp(first_day=DAY, start_volume=1_000, growth_factor=1.5))
    by_day = [day_capacity(config, SES, DAY + dt.timedelta(days=d))["email"] for d in range(12)]
    assert by_day[:4] == [1_000, 1_500, 2_250, 3_375]
    assert by_day[-1] == 50_000  # the account's quota is the smaller from day 10
    assert day_capacity(config, SES, DAY - dt.timedelta(days=1))["email"] == 0  # before the ramp starts


def test_configured_limits_and_the_first_step_share() -> None:
    config = Admission(email_per_day=10_000, sms_per_day=500, push_per_day=7, first_step_share=0.5)
    assert day_capacity(config, SES, DAY) == {"email": 5_000, "sms": 250, "push": 7}


def test_unknown_account_limits_leave_email_to_the_config() -> None:
    unknown = ChannelLimits(None, None, sms_per_second=20)
    assert "email" not in day_capacity(Admission(), unknown, DAY)
    assert day_capacity(Admission(email_per_day=300), unknown, DAY)["email"] == 300


@given(
    capacity=st.dictionaries(st.sampled_from(["email", "sms", "push"]), st.integers(0, 10**7), min_size=1),
    segments=st.integers(1, 1_000),
)
def test_segment_shares_add_up_to_the_capacity_exactly(capacity: dict[str, int], segments: int) -> None:
    shares = [segment_share(capacity, segments, i) for i in range(segments)]
    for channel, total in capacity.items():
        parts = [s[channel] for s in shares]
        assert sum(parts) == total
        assert max(parts) - min(parts) <= 1


def test_a_channel_spends_its_own_budget_or_the_shared_one() -> None:
    assert budget_of({"email": 5}, "email") == "email"
    assert budget_of({"email": 5}, "push") is None  # unlimited
    assert budget_of({ANY_CHANNEL: 5}, "sms") == ANY_CHANNEL
    assert budget_of({ANY_CHANNEL: 5}, None) is None  # nothing to send: no slot taken


@given(
    priorities=st.lists(st.tuples(st.floats(0, 1e6), st.floats(0, 1e6)), max_size=200),
    k=st.integers(0, 50),
)
def test_the_heap_never_holds_more_than_k_and_keeps_the_top_k(priorities: list[tuple[float, float]], k: int) -> None:
    heap: TopK[int] = TopK(k)
    left: list[int] = []
    for i, (a, b) in enumerate(priorities):
        out = heap.offer((a, b, f"u{i:04d}"), i)
        if out is not None:
            left.append(out)
        assert len(heap) <= k
    kept = heap.drain()
    ranked = sorted(((a, b, f"u{i:04d}") for i, (a, b) in enumerate(priorities)), reverse=True)
    assert [p for p, _ in kept] == ranked[:k]
    assert sorted(left + [i for _, i in kept]) == list(range(len(priorities)))


def test_value_bands() -> None:
    assert [value_band(v) for v in (0, 999, 1_000, 9_999, 99_999, 100_000)] == [
        "none",
        "under_10",
        "under_100",
        "under_100",
        "under_1000",
        "1000_plus",
    ]
