"""The claim / release / outcome state machine (tests/fakes/claim_machine.py) over the in-memory
world: any interleaving ends each claim in exactly one terminal record, counted once. The same machine
runs, smaller, over the real adapters on moto (tests/integration/test_claim_state_machine.py)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from hypothesis import HealthCheck, settings

from tests.fakes.claim_machine import CAMPAIGN, ClaimMachine, Faults
from tests.fakes.send import ManualClock, MemoryWorld
from tests.unit.services.send.conftest import EPISODE, NOW, profile
from winback.config.loader import load_program
from winback.config.program import Program
from winback.models.bookkeeping import Bookkeeping
from winback.models.jobs import SendJob
from winback.models.outbound import Outbound
from winback.models.send_state import SendStatus
from winback.services.send.ports import SendDeps
from winback.services.send.sweep import SweepDeps

PROGRAM = load_program()


@dataclasses.dataclass
class _Channel:
    send: Callable[[Outbound], str]


class MemoryClaimWorld:
    """The machine's world in memory, with the store's faults wrapped around its release and writes."""

    def __init__(self) -> None:
        self.clock = ManualClock(NOW)
        self.memory = MemoryWorld(self.clock)
        self.users = ["u0", "u1", "u2"]
        self.episode = EPISODE
        self.program: Program = PROGRAM
        self.faults = Faults()
        for user in self.users:
            self.memory.profiles[user] = profile(user)
        messaging, deferrals = self.memory.messaging, self.memory.deferrals
        release, write = messaging.release, deferrals.write

        def refusing_release(user_id: str, key: str, channel: str, also: Sequence[str] = ()) -> None:
            self.faults.release()
            release(user_id, key, channel, also)

        def refusing_write(entry: Bookkeeping) -> frozenset[tuple[str, str]]:
            self.faults.write()
            return write(entry)

        messaging.release = refusing_release  # type: ignore[method-assign]
        deferrals.write = refusing_write  # type: ignore[method-assign]

    def send_deps(self, channel: Callable[[Outbound], str]) -> SendDeps:
        return dataclasses.replace(self.memory.deps(), channels={"email": _Channel(channel)})

    def sweep_deps(self) -> SweepDeps:
        return self.memory.sweep_deps(self.program)

    def record_accepted(self, user_id: str, key: str, message_id: str) -> None:
        self.memory.messaging.record_accepted(user_id, key, message_id, self.clock.now())

    def records(self) -> dict[tuple[str, str], SendStatus]:
        return {k: o.status for k, o in self.memory.messaging.outcomes.items()}

    def ledgers(self) -> dict[str, dict[str, int]]:
        return {u: dict(s.ledger) for u, s in self.memory.messaging.states.items()}

    def counters(self) -> Counter[str]:
        m = self.memory.messaging
        counters = m.counters(CAMPAIGN, 0)
        counters["sent_email"] = m.totals.get(CAMPAIGN, Counter())["sent_email"]
        return counters

    def next_step_users(self) -> set[str]:
        return {r.user_id for j in self.memory.deferrals.of_kind("next_step") for r in j.recipients}

    def take_due(self) -> list[SendJob]:
        jobs = self.memory.deferrals.jobs
        due = [k for k, p in jobs.items() if p.kind != "next_step" and p.due <= self.clock.now()]
        return [SendJob.model_validate_json(jobs.pop(k).body) for k in due]


class MemoryClaims(ClaimMachine):
    def make_world(self) -> MemoryClaimWorld:
        return MemoryClaimWorld()


TestClaimsEndOnceInMemory = MemoryClaims.TestCase
TestClaimsEndOnceInMemory.settings = settings(
    max_examples=300,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_the_machine_starts_at_a_fixed_time() -> None:
    assert isinstance(NOW, datetime) and NOW.tzinfo is not None
