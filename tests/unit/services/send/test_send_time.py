"""The best_hour guard (services/send/send_time.py) on the in-memory world: deferred with the existing
deferral to the user's most active local hour, across DST, within the deadline and quiet hours; the
default hour with too little history; released at the hour it is sent, never deferred twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes.send import ManualClock, MemoryWorld
from tests.unit.services.send.conftest import job, profile
from winback.config.program import Program
from winback.domain.journey.send_time import HOURS
from winback.models.jobs import SendJob
from winback.services.send import send_job


def peak(hour: int, events: int = 10) -> list[int]:
    hours = [0] * HOURS
    hours[hour] = events
    return hours


def vip_job(*users: str, not_after: datetime, arm: str = "best-hour") -> SendJob:
    """A dormant-vip step-0 job (the shipped program: arms `now` and `best-hour`)."""
    built = job(*users, campaign="dormant-vip", not_after=not_after.isoformat())
    return built.model_copy(update={"recipients": [r.model_copy(update={"arm": arm}) for r in built.recipients]})


@pytest.mark.parametrize(
    ("zone", "now", "hour", "due"),
    [
        # New York springs forward on 2026-03-08: 19:00 that Sunday is EDT, 23:00 UTC (not 00:00).
        ("America/New_York", datetime(2026, 3, 8, 1, tzinfo=UTC), 19, datetime(2026, 3, 8, 23, tzinfo=UTC)),
        # Berlin falls back on 2026-10-25: 09:00 that Sunday is CET, 08:00 UTC (not 07:00).
        ("Europe/Berlin", datetime(2026, 10, 24, 12, tzinfo=UTC), 9, datetime(2026, 10, 25, 8, tzinfo=UTC)),
        # Shanghai keeps UTC+8 all year: 12:00 CST is 04:00 UTC.
        ("Asia/Shanghai", datetime(2026, 3, 8, 6, tzinfo=UTC), 12, datetime(2026, 3, 9, 4, tzinfo=UTC)),
    ],
)
def test_best_hour_defers_to_the_users_most_active_local_hour_across_dst(
    program: Program, zone: str, now: datetime, hour: int, due: datetime
) -> None:
    """Guard: send_time.waits_for_best_hour (the hold with kind best_hour, at next_occurrence's instant)."""
    world = MemoryWorld(ManualClock(now))
    world.profiles["u1"] = profile("u1", time_zone=zone, active_hours=peak(hour))
    tally = send_job(vip_job("u1", not_after=now + timedelta(days=3)), program, world.deps())
    assert tally["best_hour"] == 1 and tally["deferred"] == 1 and world.sent() == []
    [parked] = world.deferrals.jobs.values()
    assert parked.kind == "best_hour" and parked.due == due
    assert world.deferrals.of_kind("best_hour")[0].best_hour_step == 0


def test_released_at_the_hour_the_message_goes_and_is_not_deferred_again(program: Program) -> None:
    """Guard: the job's best_hour_step mark (set by next_step.park for kind best_hour)."""
    now = datetime(2026, 3, 8, 1, tzinfo=UTC)
    world = MemoryWorld(ManualClock(now))
    world.profiles["u1"] = profile("u1", time_zone="America/New_York", active_hours=peak(19))
    send_job(vip_job("u1", not_after=now + timedelta(days=3)), program, world.deps())
    [released] = world.deferrals.of_kind("best_hour")
    world.deferrals.jobs.clear()
    # The hourly release comes late (20:10 on their clock): sent then, not kept for the next evening.
    later = MemoryWorld(ManualClock(datetime(2026, 3, 9, 0, 10, tzinfo=UTC)))
    later.profiles["u1"] = world.profiles["u1"]
    tally = send_job(released, program, later.deps())
    assert tally["at_best_hour"] == 1 and tally["sent"] == 1 and later.sent() == ["u1"]
    assert later.deferrals.of_kind("best_hour") == []
    # its next step is a plain step again: not marked for step 1
    [follow] = later.deferrals.of_kind("next_step")
    assert follow.step == 1 and follow.best_hour_step == 0


def test_too_little_history_waits_for_the_campaigns_default_hour(program: Program) -> None:
    """Guard: best_hour's minimum of events (dormant-vip: best_hour_min_events 5, default_send_hour 10)."""
    now = datetime(2026, 7, 1, 6, tzinfo=UTC)  # 02:00 in New York
    world = MemoryWorld(ManualClock(now))
    world.profiles["u1"] = profile("u1", time_zone="America/New_York", active_hours=peak(19, events=4))
    send_job(vip_job("u1", not_after=now + timedelta(days=3)), program, world.deps())
    [parked] = world.deferrals.jobs.values()
    assert parked.due == datetime(2026, 7, 1, 14, tzinfo=UTC)  # 10:00 EDT


def test_a_best_hour_after_the_deadline_is_sent_now_not_dropped(program: Program) -> None:
    """Guard: best_hour_send_at's deadline (None: sent now); without it the hold would drop the message."""
    now = datetime(2026, 7, 1, 12, tzinfo=UTC)  # 08:00 in New York, the best hour 19:00 is 11 hours away
    world = MemoryWorld(ManualClock(now))
    world.profiles["u1"] = profile("u1", time_zone="America/New_York", active_hours=peak(19))
    tally = send_job(vip_job("u1", not_after=now + timedelta(hours=6)), program, world.deps())
    assert tally["best_hour_missed"] == 1 and tally["sent"] == 1 and tally["dropped"] == 0
    assert world.sent() == ["u1"]


def test_a_best_hour_in_quiet_hours_waits_for_their_end(program: Program) -> None:
    """Guard: best_hour_send_at's next_allowed (SMS quiet 21:00-08:00 in the user's zone)."""
    now = datetime(2026, 7, 1, 14, tzinfo=UTC)  # 10:00 in New York
    world = MemoryWorld(ManualClock(now))
    world.profiles["u1"] = profile(
        "u1",
        email=None,
        phone="+14155550123",
        consent={"sms": True},
        time_zone="America/New_York",
        active_hours=peak(23),
    )
    send_job(vip_job("u1", not_after=now + timedelta(days=3)), program, world.deps())
    [parked] = world.deferrals.jobs.values()
    assert parked.kind == "best_hour" and parked.due == datetime(2026, 7, 2, 12, tzinfo=UTC)  # 08:00 EDT


def test_within_the_hour_and_on_the_now_arm_the_message_goes_at_once(program: Program) -> None:
    now = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # 19:30 in New York
    world = MemoryWorld(ManualClock(now))
    for user in ("u1", "u2"):
        world.profiles[user] = profile(user, time_zone="America/New_York", active_hours=peak(19 if user == "u1" else 8))
    tally = send_job(vip_job("u1", not_after=now + timedelta(days=3)), program, world.deps())
    assert tally["at_best_hour"] == 1 and world.sent() == ["u1"]
    tally = send_job(vip_job("u2", arm="now", not_after=now + timedelta(days=3)), program, world.deps())
    assert tally["sent"] == 1 and tally["best_hour"] == 0 and world.sent() == ["u1", "u2"]
