"""Sending off (a new stack until `winback enable-sending`): every job waits whole, unclaimed, and its
step's deadline does not run while it waits; once sending is on, the held job sends."""

from __future__ import annotations

from datetime import timedelta

from tests.fakes.send import MemoryWorld
from tests.unit.services.send.conftest import NOW, job, profile
from winback.config.program import Program
from winback.models.jobs import SendJob
from winback.services.send import send_job
from winback.services.send.guards import PAUSE_RECHECK


def _release(world: MemoryWorld) -> SendJob:
    """The held job, as the hourly release would put it back on the queue (and forget it)."""
    [parked] = world.deferrals.jobs.values()
    world.deferrals.jobs.clear()
    world.clock.advance(parked.due - world.clock.now())
    return SendJob.model_validate_json(parked.body)


def test_sending_off_holds_the_whole_job_unclaimed(world: MemoryWorld, program: Program) -> None:
    """Guard: run.py's sending-off gate (SendContext.sending_on, read with the job's batch read).
    Without it a new stack messages customers before anyone ran `winback doctor`."""
    world.profiles.update({u: profile(u) for u in ("u1", "u2")})
    world.messaging.sending_on = False
    tally = send_job(job("u1", "u2", not_after=NOW + timedelta(days=3)), program, world.deps())
    assert tally["sending_off"] == 2 and tally["sent"] == 0 and tally["failed"] == 0
    assert world.sent() == [] and world.messaging.claims == 0
    [parked] = world.deferrals.jobs.values()
    assert parked.kind == "sending_off" and parked.due == NOW + PAUSE_RECHECK


def test_a_job_held_past_its_deadline_while_sending_is_off_is_sent_once_on(
    world: MemoryWorld, program: Program
) -> None:
    """Guard: the held job's `not_after` moves with each hold (run._hold_while_sending_off). Without
    it a first scan whose operator takes a week to pass `winback doctor` drops everyone it targeted."""
    world.profiles["u1"] = profile("u1")
    world.messaging.sending_on = False
    held = job("u1", not_after=NOW + timedelta(hours=2))
    for _ in range(5):  # five hours off: three past the step's original deadline
        send_job(held, program, world.deps())
        held = _release(world)
    assert held.not_after == NOW + timedelta(hours=2) + 5 * PAUSE_RECHECK
    world.messaging.sending_on = True
    tally = send_job(held, program, world.deps())
    assert tally["sent"] == 1 and tally["dropped"] == 0
    assert world.sent() == ["u1"]


def test_a_job_already_past_its_deadline_is_still_dropped(world: MemoryWorld, program: Program) -> None:
    """Sending off shifts only the deadlines of jobs it holds: a job that arrives stale stays stale."""
    world.profiles["u1"] = profile("u1")
    world.messaging.sending_on = False
    tally = send_job(job("u1", not_after=NOW - timedelta(minutes=1)), program, world.deps())
    assert tally["dropped"] == 1 and world.deferrals.jobs == {}
