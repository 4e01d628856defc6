"""An erased user in the send service, on the in-memory world: whatever the job read before the
erasure, it neither mails them nor carries them on.

Guards: the erased send state (models/erasure.py) on which no claim's condition holds, claim.py's
"erased" answer when the claim reads it, and gone.py, which drops erased and profile-less recipients
before anything (a job redelivered, or redriven from the DLQ, after the erasure)."""

from __future__ import annotations

from typing import Any

from tests.fakes.send import MemoryWorld
from tests.unit.services.send.conftest import job, profile
from winback.config.program import Program
from winback.models.send_state import SendState
from winback.services.send import send_job


def test_an_erased_state_read_with_the_job_drops_the_user(world: MemoryWorld, program: Program) -> None:
    world.profiles |= {"u1": profile("u1"), "u2": profile("u2")}
    world.messaging.states["u1"] = SendState(erased=True)
    tally = send_job(job("u1", "u2"), program, world.deps())
    assert tally["erased"] == 1 and world.sent() == ["u2"]
    parked = list(world.deferrals.jobs.values())
    assert parked and all('"u1"' not in p.body for p in parked)  # u2's next step only


def test_a_paused_campaign_parks_the_job_without_the_gone(world: MemoryWorld, program: Program) -> None:
    world.profiles |= {"u1": profile("u1"), "u2": profile("u2")}
    world.messaging.states["u1"] = SendState(erased=True)
    world.messaging.paused_campaigns.add("dormant-offer")
    tally = send_job(job("u1", "u2", "u3"), program, world.deps())  # u3: no profile (erased, or expired)
    assert tally["erased"] == 1 and tally["missing_profile"] == 1 and tally["paused"] == 1
    [parked] = world.deferrals.of_kind("paused")
    assert [r.user_id for r in parked.recipients] == ["u2"]


def test_an_erasure_between_the_read_and_the_claim_stops_the_claim(
    world: MemoryWorld, program: Program, monkeypatch: Any
) -> None:
    """The job read a live state; the erasure replaces it before the claim: nothing is sent, the user
    is counted erased (not contention, not already sent)."""
    world.profiles["u1"] = profile("u1")
    claim = type(world.messaging).claim

    def erased_first(self: Any, user_id: str, *args: Any, **kwargs: Any) -> Any:
        self.states[user_id] = SendState(erased=True)
        return claim(self, user_id, *args, **kwargs)

    monkeypatch.setattr(type(world.messaging), "claim", erased_first)
    tally = send_job(job("u1"), program, world.deps())
    assert tally["erased"] == 1 and tally["sent"] == 0 and world.sent() == []
    assert world.messaging.outcomes == {} and not world.deferrals.jobs
