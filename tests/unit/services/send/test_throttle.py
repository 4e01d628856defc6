"""A throttle the pacer did not foresee (another application on the SES account, a stale quota) on the
single provider attempt: the throttled message's claim is given back and it, with the rest of the job
on that channel, waits a paced deferral (kind `rate`) within the step's deadline. The job itself
ends normally: nothing goes back to the queue, so nothing is spent towards the DLQ."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tests.fakes.send import MemoryWorld
from tests.unit.services.send.conftest import EPISODE, NOW, job, profile
from winback.config.program import Program
from winback.domain.journey.pacing import THROTTLE_BACKOFF
from winback.models.delivery import Throttled
from winback.models.outbound import Outbound
from winback.models.send_state import SendState, send_key
from winback.services.send import send_job

KEY = send_key("dormant-offer", 0, EPISODE)


def _throttle(user_ids: set[str]) -> Callable[[Outbound], Exception | None]:
    def fail(message: Outbound) -> Exception | None:
        return Throttled("TooManyRequestsException") if message.user_id in user_ids else None

    return fail


def test_a_throttle_defers_the_rest_of_the_job_on_the_channel(world: MemoryWorld, program: Program) -> None:
    """Guards: deliver.py's Throttled branch (release, then pacing.defer_after_throttle) and run.py's
    `_paced` reading run.paced_out: the throttled user and every later one wait, unclaimed; the ones
    before it stay sent. Without the guard the job raised and SQS received it again, towards the DLQ."""
    users = ["u1", "u2", "u3", "u4"]
    for u in users:
        world.profiles[u] = profile(u)
    world.channels["email"].fail = _throttle({"u2"})
    tally = send_job(job(*users), program, world.deps())
    assert world.sent() == ["u1"]
    assert tally["throttled"] == 1 and tally["deferred_by_rate"] == 3 and tally["sent"] == 1
    assert all(KEY not in world.messaging.states.get(u, SendState()).ledger for u in users[1:])
    [parked] = [p for p in world.deferrals.jobs.values() if p.kind == "rate"]
    assert parked.due == NOW + THROTTLE_BACKOFF
    assert sorted(r.user_id for r in world.deferrals.of_kind("rate")[0].recipients) == users[1:]

    world.channels["email"].fail = None
    world.clock.at = NOW + THROTTLE_BACKOFF
    [deferred] = world.deferrals.of_kind("rate")
    assert send_job(deferred, program, world.deps())["sent"] == 3
    assert sorted(world.sent()) == users  # each user once


def test_a_throttle_past_the_steps_deadline_drops_and_counts(world: MemoryWorld, program: Program) -> None:
    """Guard: the deadline in the throttle's deferral (domain/journey/pacing.after_throttle, JobRun.hold)."""
    world.profiles["u1"] = profile("u1")
    world.channels["email"].fail = _throttle({"u1"})
    tally = send_job(job("u1", not_after=(NOW + timedelta(seconds=30)).isoformat()), program, world.deps())
    assert tally["throttled"] == 1 and tally["dropped"] == 1
    assert world.deferrals.of_kind("rate") == []


def test_a_throttle_on_one_channel_leaves_the_others_going(world: MemoryWorld, program: Program) -> None:
    """Guard: run.paced_out is per channel: an SES throttle does not hold the job's texts."""
    world.profiles["u1"] = profile("u1")
    world.profiles["u2"] = profile("u2", email=None, phone="+14155550123", consent={"sms": True})
    world.channels["email"].fail = _throttle({"u1"})
    tally = send_job(job("u1", "u2"), program, world.deps())
    assert tally["throttled"] == 1 and tally["sent_sms"] == 1
