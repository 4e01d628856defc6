"""The claim / release / outcome state machine, as hypothesis stateful tests drive it: any interleaving
of send jobs (with the provider answering accepted, rejected, throttled, uncertain, slowly, or the
process killed before or after the provider accepted), releases and bookkeeping writes the store
refuses, SQS redeliveries, SES's `Send` events, sweeps and the hourly release of parked jobs.

After every step: no message twice, and every record counted once in its cell (its counters are
written with it). At the end, with the faults gone and every queue drained: each claim ends in
exactly one terminal record (sent, failed, uncertain; a claim given back is sent again), a sent
one only if the provider accepted it, with its next step parked.

The machine runs over a ClaimWorld: the in-memory one (tests/unit/services/send/) or the real
adapters on moto (tests/integration/), so the adapters' conditional writes are what is tested.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from winback.models.delivery import Rejected, Throttled, Uncertain
from winback.models.jobs import SendJob
from winback.models.outbound import Outbound
from winback.models.send_state import TERMINAL, SendStatus
from winback.services.send import send_job
from winback.services.send.claim import RELEASE_ATTEMPTS
from winback.services.send.ports import SendDeps
from winback.services.send.record import WRITE_ATTEMPTS
from winback.services.send.sweep import GRACE, SweepDeps, sweep_claims
from winback_dev.memory.clock import ManualClock

CAMPAIGN = "dormant-offer"
ANSWERS = (
    "accepted",
    "rejected",
    "throttled",
    "uncertain_accepted",  # a 5xx after SES accepted it
    "uncertain_lost",  # a timeout before it did
    "slow",  # accepted after the sweeper gave up on the claim
    "killed",  # the process dies during the call, before SES accepted it
    "killed_after",  # ... after
)


class Killed(BaseException):
    """The process dies (a Lambda timeout, out of memory): no `except Exception` runs."""


class StoreRefused(RuntimeError):
    """The store refused a write (throttled, after the SDK's own retries)."""


class ClaimWorld(Protocol):
    """What the machine needs of a world: the ports with its faults in, and what it inspects."""

    clock: ManualClock
    users: list[str]
    episode: str
    program: Any
    faults: Faults  # what the store refuses next (set by the machine)

    def send_deps(self, channel: Callable[[Outbound], str]) -> SendDeps: ...

    def sweep_deps(self) -> SweepDeps: ...

    def record_accepted(self, user_id: str, key: str, message_id: str) -> None: ...

    def records(self) -> dict[tuple[str, str], SendStatus]: ...

    def ledgers(self) -> dict[str, dict[str, int]]: ...

    def counters(self) -> Counter[str]:
        """The campaign's step-0 counters, summed over its cells, and its `sent_email` total."""
        ...

    def next_step_users(self) -> set[str]: ...

    def take_due(self) -> list[SendJob]:
        """The parked jobs (not next steps) due now, taken as the hourly release takes them."""
        ...


@dataclass
class Faults:
    """What the store refuses next: this many releases, this many bookkeeping writes."""

    releases: int = 0
    writes: int = 0

    def release(self) -> None:
        if self.releases:
            self.releases -= 1
            raise StoreRefused("release")

    def write(self) -> None:
        if self.writes:
            self.writes -= 1
            raise StoreRefused("write")


@dataclass
class Provider:
    """SES as scripted: each call takes the next answer; deliveries per (user, send key); the `Send`
    events of what it accepted, waiting for SNS to deliver them."""

    world: ClaimWorld
    script: list[str] = field(default_factory=list)
    delivered: Counter[tuple[str, str]] = field(default_factory=Counter)
    rejected: set[tuple[str, str]] = field(default_factory=set)
    events: list[tuple[str, str, str]] = field(default_factory=list)
    answered: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # every answer, per send

    def send(self, message: Outbound) -> str:
        answer = self.script.pop(0) if self.script else "accepted"
        sent = (message.user_id, message.key)
        self.answered.setdefault(sent, []).append(answer)
        if answer in ("throttled", "killed", "uncertain_lost", "rejected"):
            return self._refuse(answer, sent)
        if answer == "slow":  # the sweeper gives up on the claim before the answer comes back
            self.world.clock.advance(GRACE + timedelta(minutes=1))
            faults, self.world.faults = self.world.faults, Faults()
            sweep_claims(self.world.sweep_deps(), self.world.clock.now())
            self.world.faults = faults
        self.delivered[sent] += 1
        message_id = f"ses-{message.user_id}-{self.delivered[sent]}"
        self.events.append((*sent, message_id))
        if answer == "uncertain_accepted":
            raise Uncertain("InternalFailure")
        if answer == "killed_after":
            raise Killed
        return message_id

    def _refuse(self, answer: str, sent: tuple[str, str]) -> str:
        if answer == "throttled":
            raise Throttled("TooManyRequestsException")
        if answer == "killed":
            raise Killed
        if answer == "uncertain_lost":
            raise Uncertain("ReadTimeoutError")
        self.rejected.add(sent)
        raise Rejected("MessageRejected")


def _first_job(users: list[str], episode: str) -> SendJob:
    return SendJob.model_validate(
        {
            "run_id": "run-machine",
            "campaign_id": CAMPAIGN,
            "step": 0,
            "tier": "dormant",
            "recipients": [{"user_id": u, "episode": episode, "arm": "coupon", "segment": "all"} for u in users],
        }
    )


class ClaimMachine(RuleBasedStateMachine):
    """Subclasses give `make_world()`."""

    world: ClaimWorld

    def make_world(self) -> ClaimWorld:
        raise NotImplementedError

    def __init__(self) -> None:
        super().__init__()
        self.world = self.make_world()
        self.provider = Provider(self.world)
        self.queue: list[SendJob] = [_first_job(self.world.users, self.world.episode)]

    # --- rules --------------------------------------------------------------------------------
    @precondition(lambda self: bool(self.queue))
    @rule(
        answers=st.lists(st.sampled_from(ANSWERS), max_size=4),
        releases=st.integers(0, 5),
        writes=st.integers(0, 5),
    )
    def receive_a_job(self, answers: list[str], releases: int, writes: int) -> None:
        """SQS delivers the oldest job; the provider and the store answer as drawn; a job that fails
        goes back to the queue (SQS redelivers it after its visibility timeout)."""
        self.provider.script = list(answers)
        if releases >= RELEASE_ATTEMPTS:
            # A release refused to the end and every later write of the job refused too leave nothing
            # that says the send did not happen: that claim ends uncertain (never sent twice, but not
            # sent), the documented limit (test_claim_lifecycle.py covers it). Not drawn here.
            writes = min(writes, WRITE_ATTEMPTS - 1)
        self.world.faults = Faults(releases, writes)
        self._run(self.queue.pop(0))
        self.world.faults = Faults()

    @rule()
    def ses_publishes_its_send_events(self) -> None:
        for user_id, key, message_id in self.provider.events:
            self.world.record_accepted(user_id, key, message_id)
        self.provider.events.clear()

    @rule(writes=st.integers(0, 2))
    def the_sweeper_runs(self, writes: int) -> None:
        self.world.clock.advance(GRACE + timedelta(minutes=1))
        self.world.faults = Faults(writes=writes)
        try:
            sweep_claims(self.world.sweep_deps(), self.world.clock.now())
        except StoreRefused:
            pass  # the next hourly run goes on from the cursor
        finally:
            self.world.faults = Faults()

    @rule()
    def the_hourly_release_runs(self) -> None:
        self.world.clock.advance(timedelta(hours=1))
        self.queue += self.world.take_due()

    # --- after every step -------------------------------------------------------------------------
    @invariant()
    def no_message_twice(self) -> None:
        assert all(n == 1 for n in self.provider.delivered.values()), self.provider.delivered

    @invariant()
    def every_record_counted_once(self) -> None:
        statuses = Counter(str(s) for s in self.world.records().values())
        counters = self.world.counters()
        for status in ("sent", "failed", "uncertain"):
            assert counters[status] == statuses[status], (status, counters, statuses)
        assert counters["sent_email"] == statuses["sent"]

    @invariant()
    def a_sent_record_was_sent_and_has_its_next_step(self) -> None:
        records = self.world.records()
        next_steps = self.world.next_step_users()
        for (user_id, key), status in records.items():
            if status == SendStatus.SENT:
                assert self.provider.delivered[(user_id, key)] == 1
                assert user_id in next_steps
            if status == SendStatus.FAILED:
                assert (user_id, key) in self.provider.rejected

    # --- the end: faults gone, queues drained -------------------------------------------------
    def teardown(self) -> None:
        self.provider.script = []
        answered_before = {sent: list(answers) for sent, answers in self.provider.answered.items()}
        for _ in range(10):
            self.ses_publishes_its_send_events()
            while self.queue:
                self._run(self.queue.pop(0))
            self.world.clock.advance(GRACE + timedelta(minutes=1))
            sweep_claims(self.world.sweep_deps(), self.world.clock.now())
            self.the_hourly_release_runs()
            if not self.queue:
                break
        self.no_message_twice()
        self.every_record_counted_once()
        self.a_sent_record_was_sent_and_has_its_next_step()
        self._every_claim_ended_once(answered_before)

    def _every_claim_ended_once(self, answered_before: dict[tuple[str, str], list[str]]) -> None:
        records, ledgers = self.world.records(), self.world.ledgers()
        claimed = {(user_id, key) for user_id, ledger in ledgers.items() for key in ledger}
        assert len(claimed) == len(self.world.users)  # everyone claimed once: a claim given back was sent again
        for sent in claimed:
            assert records.get(sent) in TERMINAL, (sent, records.get(sent))
            if self.provider.delivered[sent] == 0:
                assert records[sent] != SendStatus.SENT
            if set(answered_before.get(sent, [])) <= {"throttled"}:
                # Certainly not sent while the faults lasted: given back each time (or its release
                # finished by the sweeper), and sent once they were gone.
                assert records[sent] == SendStatus.SENT, (sent, self.provider.answered.get(sent))
        assert set(records) == claimed  # no record without its claim (a `released` one was completed)

    def _run(self, job: SendJob) -> None:
        try:
            send_job(job, self.world.program, self.world.send_deps(self.provider.send))
        except (Killed, StoreRefused):
            self.queue.append(job)
