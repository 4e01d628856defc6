"""Claim, deliver and record on fakes: uncertain never resent, throttles and prepare failures give the
claim back, the hooks for account pauses ("is this channel paused?") and pacing ("may I send now?")."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.fakes.send import MemoryWorld
from tests.unit.services.send.conftest import EPISODE, NOW, job, profile
from winback.config.program import Program
from winback.domain.journey.pacing import Pace
from winback.models.delivery import Rejected, Throttled, Uncertain
from winback.models.outbound import Outbound
from winback.models.send_state import send_key
from winback.services.send import send_job

KEY = send_key("dormant-offer", 0, EPISODE)


def test_uncertain_stays_claimed_and_is_never_resent(world: MemoryWorld, program: Program) -> None:
    """Guard: deliver.py keeps the claim on Uncertain (a 5xx, a timeout): the redelivery counts it sent."""
    world.profiles["u1"] = profile("u1")
    world.channels["email"].fail = lambda _: Uncertain("InternalFailure")
    assert send_job(job("u1"), program, world.deps())["uncertain"] == 1
    assert world.messaging.outcomes[("u1", KEY)].status == "uncertain"
    world.channels["email"].fail = None
    assert send_job(job("u1"), program, world.deps())["already_sent"] == 1
    assert world.sent() == []


def test_rejected_is_failed_for_good(world: MemoryWorld, program: Program) -> None:
    world.profiles["u1"] = profile("u1")
    world.channels["email"].fail = lambda _: Rejected("MessageRejected")
    assert send_job(job("u1"), program, world.deps())["failed"] == 1
    assert world.messaging.outcomes[("u1", KEY)].status == "failed"
    assert world.deferrals.of_kind("next_step") == []


def test_throttled_releases_the_claim_and_the_deferred_job_sends(world: MemoryWorld, program: Program) -> None:
    """Guards: deliver.py releases the claim on Throttled (certainly not sent) and defers the message
    (pacing.defer_after_throttle) instead of sending the job back towards the DLQ."""
    world.profiles["u1"] = profile("u1")
    world.channels["email"].fail = lambda _: Throttled("TooManyRequestsException")
    tally = send_job(job("u1"), program, world.deps())
    assert tally["throttled"] == 1 and tally["deferred_by_rate"] == 1
    assert KEY not in world.messaging.states["u1"].ledger
    [deferred] = world.deferrals.of_kind("rate")
    world.channels["email"].fail = None
    assert send_job(deferred, program, world.deps())["sent"] == 1


def test_a_render_failure_releases_the_claim(
    world: MemoryWorld, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard: run.py's release when `prepare` fails after the claim (else: already_sent, never sent)."""
    world.profiles["u1"] = profile("u1")

    def broken(*_: object) -> None:
        raise RuntimeError("template store unavailable")

    monkeypatch.setattr("winback.services.send.compose.render", broken)
    with pytest.raises(RuntimeError):
        send_job(job("u1"), program, world.deps())
    assert KEY not in world.messaging.states["u1"].ledger
    monkeypatch.undo()
    assert send_job(job("u1"), program, world.deps())["sent"] == 1


def test_a_paused_channel_defers_without_claiming(world: MemoryWorld, program: Program) -> None:
    """Guard: guards.py's "is this channel paused?" (SendContext.paused_channels): nothing burned."""
    world.profiles["u1"] = profile("u1")
    world.paused_channels.add("email")
    assert send_job(job("u1"), program, world.deps())["channel_paused"] == 1
    assert world.sent() == [] and world.messaging.claims == 0
    [parked] = world.deferrals.jobs.values()
    assert parked.kind == "channel_paused"


class _Full:
    def admit(self, channel: str, now: datetime, not_after: datetime | None) -> Pace:
        return Pace("defer", until=now + timedelta(seconds=30), kind="rate")


def test_the_pacer_defers_before_anything_is_claimed(world: MemoryWorld, program: Program) -> None:
    """Guard: run.py's "may I send now?" (ports.Pacer) before the claim."""
    world.profiles["u1"] = profile("u1")
    world.pacer = _Full()
    assert send_job(job("u1"), program, world.deps())["deferred_by_rate"] == 1
    assert world.sent() == [] and world.messaging.claims == 0
    [parked] = world.deferrals.jobs.values()
    assert parked.kind == "rate" and parked.due == NOW + timedelta(seconds=30)


def test_every_channel_gets_one_message_shape(world: MemoryWorld, program: Program) -> None:
    """The one channel interface: the inbox gets the send key (its idempotency key) and the CTA."""
    world.profiles["u1"] = profile("u1", email=None, event_counts={"login": 1})
    send_job(job("u1"), program, world.deps())
    [message] = world.channels["inbox"].sent
    assert isinstance(message, Outbound) and message.key == KEY and message.cta_url.startswith("http")


def test_the_reminder_shows_the_coupon_read_with_the_context(world: MemoryWorld, program: Program) -> None:
    """The coupon a later step repeats comes from the job's batch read (SendContext.coupons)."""
    world.profiles["u1"] = profile("u1")
    send_job(job("u1"), program, world.deps())
    code = world.coupons.issued("u1", "dormant-offer", 0, EPISODE)
    assert code is not None
    world.clock.advance(timedelta(days=10))
    send_job(job("u1", step=2), program, world.deps())
    assert code.code in world.channels["email"].sent[-1].content.text


def test_each_outcome_and_cell_names_the_program_version_the_job_ran(world: MemoryWorld, program: Program) -> None:
    """Guard: record.outcome's `program_version` and record.count's `program_<version>` counter."""
    world.profiles["u1"] = profile("u1")
    world.profiles["u2"] = profile("u2")
    world.channels["email"].fail = lambda m: Rejected("MessageRejected") if m.user_id == "u2" else None
    tally = send_job(job("u1", "u2"), program, world.deps())
    assert program.version
    assert world.messaging.outcomes[("u1", KEY)].program_version == program.version
    assert world.messaging.outcomes[("u2", send_key("dormant-offer", 0, EPISODE))].program_version == program.version
    assert world.messaging.cells[("dormant-offer", 0, "coupon", "all")][f"program_{program.version}"] == 2
    assert tally[f"program_{program.version}"] == 2
