"""Every claim ends exactly once (issue 15): the sweeper's records and the sender's are conditional and
carry their counts, a release the store refuses is finished by the sweeper, a bookkeeping write the
store keeps refusing and a kill leave the claims to the sweeper, which books an email SES accepted
`sent` (with its next step), and the sweeper resumes where it stopped. Over the in-memory world; the
same promises over moto are in tests/integration/test_claims_end_once.py."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from tests.fakes.send import MemoryWorld
from tests.unit.services.send.conftest import EPISODE, NOW, job, profile
from winback.config.program import Program
from winback.models.bookkeeping import Bookkeeping
from winback.models.delivery import Throttled
from winback.models.jobs import SendJob
from winback.models.outbound import Outbound
from winback.models.send_state import SendStatus, send_key
from winback.services.send import record as send_record
from winback.services.send import send_job
from winback.services.send.sweep import GRACE, sweep_claims

KEY = send_key("dormant-offer", 0, EPISODE)
LATER = GRACE + timedelta(minutes=1)


class Killed(BaseException):
    """The process dies (a Lambda timeout, out of memory): no `except Exception` runs."""


def _users(world: MemoryWorld, n: int) -> list[str]:
    users = [f"u{i:03d}" for i in range(n)]
    for user in users:
        world.profiles[user] = profile(user)
    return users


def _statuses(world: MemoryWorld) -> Counter[str]:
    return Counter(str(o.status) for o in world.messaging.outcomes.values())


def _next_step_users(world: MemoryWorld) -> list[str]:
    return sorted(r.user_id for j in world.deferrals.of_kind("next_step") if j.step == 1 for r in j.recipients)


def _ses_send_events(world: MemoryWorld) -> None:
    """SES publishes a `Send` event for every email it accepts (the feedback function records it)."""
    channel = world.channels["email"]
    real = channel.send

    def send(message: Outbound) -> str:
        message_id = real(message)
        world.messaging.record_accepted(message.user_id, message.key, message_id, world.clock.now())
        return message_id

    channel.send = send  # type: ignore[method-assign]


def test_an_outcome_that_lands_after_the_sweep_counts_once(world: MemoryWorld, program: Program) -> None:
    """Guard: the outcome write is conditional (InMemoryDeferrals.write / SendRecords: no terminal
    record yet) and carries its counts, so the first record wins and the counts follow it. On the old
    main the cell counted `uncertain` (the sweep) and then `sent` (the job) for one claim."""
    world.profiles["u1"] = profile("u1")
    real = world.channels["email"].send

    def slow_provider(message: Outbound) -> str:
        # The provider answers after the sweeper has given up on the claim.
        world.clock.advance(LATER)
        sweep_claims(world.sweep_deps(program), world.clock.now())
        return real(message)

    world.channels["email"].send = slow_provider  # type: ignore[method-assign]
    tally = send_job(job("u1"), program, world.deps())
    assert tally["late_outcome"] == 1
    assert world.messaging.outcomes[("u1", KEY)].status == SendStatus.UNCERTAIN
    counters = world.messaging.counters("dormant-offer", 0)
    assert counters["uncertain"] == 1 and counters["sent"] == 0
    assert world.messaging.totals.get("dormant-offer", Counter())["sent_email"] == 0


@pytest.mark.parametrize("failure", ["throttle", "render"])
def test_a_release_the_store_refuses_is_finished_by_the_sweeper_and_sent_later(
    world: MemoryWorld, program: Program, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """Guard: claim.release retries, then records `released` for the sweeper, which gives the claim
    back and parks the message (sweep._finish). On the old main the redelivery counted it
    `already_sent` and the sweeper booked `uncertain` a message that never went out."""
    world.profiles["u1"] = profile("u1")
    refused: list[int] = []

    def throttled_release(*_: Any) -> None:
        refused.append(1)
        raise RuntimeError("ProvisionedThroughputExceededException")

    monkeypatch.setattr(world.messaging, "release", throttled_release)
    if failure == "throttle":
        world.channels["email"].fail = lambda _: Throttled("TooManyRequestsException")
        assert send_job(job("u1"), program, world.deps())["deferred_by_rate"] == 1  # pacing.defer_after_throttle
    else:
        monkeypatch.setattr("winback.services.send.compose.render", lambda *_: (_ for _ in ()).throw(RuntimeError()))
        with pytest.raises(RuntimeError):
            send_job(job("u1"), program, world.deps())
    assert len(refused) == 4  # claim.RELEASE_ATTEMPTS, each with the store's own retries
    assert world.messaging.outcomes[("u1", KEY)].status == SendStatus.RELEASED
    monkeypatch.undo()
    world.channels["email"].fail = None

    world.clock.advance(LATER)
    assert send_job(job("u1"), program, world.deps())["already_sent"] == 1  # the redelivery
    assert sweep_claims(world.sweep_deps(program), world.clock.now())["released"] == 1
    [resend] = world.deferrals.of_kind("released")
    assert send_job(resend, program, world.deps())["sent"] == 1
    assert world.sent() == ["u1"]
    assert world.messaging.outcomes[("u1", KEY)].status == SendStatus.SENT
    assert world.messaging.counters("dormant-offer", 0)["uncertain"] == 0


def test_bookkeeping_the_store_keeps_refusing_is_finished_by_the_sweeper(
    world: MemoryWorld, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard: the claim's note (claim.py) and SES's `Send` event (the accepted message id) let the
    sweeper write each emailed user's `sent` record, its counts and the next step when every write of
    the job failed. On the old main those outcomes, next steps and counters were lost: the sweeper
    booked the claims uncertain and nobody got the next step."""
    users = _users(world, 30)
    _ses_send_events(world)
    writes: list[Bookkeeping] = []

    def refusing(entry: Bookkeeping) -> frozenset[tuple[str, str]]:
        writes.append(entry)
        raise RuntimeError("UnprocessedItems never drained")

    monkeypatch.setattr(world.deferrals, "write", refusing)
    with pytest.raises(RuntimeError):
        send_job(job(*users), program, world.deps())
    assert len(writes) == send_record.WRITE_ATTEMPTS
    assert len(world.sent()) == send_record.OUTCOME_CHUNK  # the job stopped at its first write
    monkeypatch.undo()

    world.clock.advance(LATER)
    swept = sweep_claims(world.sweep_deps(program), world.clock.now())
    assert swept["sent"] == send_record.OUTCOME_CHUNK and swept["uncertain"] == 0
    assert swept["sent_email"] == send_record.OUTCOME_CHUNK  # the sweep's SentEmail metric
    assert _next_step_users(world) == sorted(world.sent())
    assert world.messaging.counters("dormant-offer", 0)["sent"] == send_record.OUTCOME_CHUNK
    assert world.messaging.totals["dormant-offer"]["sent_email"] == send_record.OUTCOME_CHUNK

    send_job(job(*users), program, world.deps())  # SQS redelivers the job: the rest go out, once
    assert sorted(world.sent()) == users
    assert world.messaging.counters("dormant-offer", 0)["sent"] == 30
    assert _next_step_users(world) == users


def test_a_kill_after_95_of_100_emails_keeps_every_count_and_every_next_step(
    world: MemoryWorld, program: Program
) -> None:
    """Guards: each chunk's counters are written with its outcomes (record.flush), and the sweeper
    books the accepted emails of the lost chunk `sent` from SES's `Send` events. On the old main the
    counters were written once at the end: after the kill and the redelivery the report said 5 sent,
    and the 23 users of the last chunk got no next step."""
    users = _users(world, 100)
    _ses_send_events(world)
    real = world.channels["email"].send
    accepted: list[str] = []

    def die_after_95(message: Outbound) -> str:
        if len(accepted) == 95:
            raise Killed
        accepted.append(message.user_id)
        return real(message)

    world.channels["email"].send = die_after_95  # type: ignore[method-assign]
    with pytest.raises(Killed):
        send_job(job(*users), program, world.deps())
    written = 3 * send_record.OUTCOME_CHUNK
    assert world.messaging.counters("dormant-offer", 0)["sent"] == written
    assert world.messaging.totals["dormant-offer"]["sent_email"] == written

    world.clock.advance(LATER)
    swept = sweep_claims(world.sweep_deps(program), world.clock.now())
    assert swept["sent"] == 95 - written and swept["uncertain"] == 1  # the 96th: claimed, never accepted
    assert world.messaging.counters("dormant-offer", 0)["sent"] == 95
    assert _next_step_users(world) == sorted(accepted)

    world.channels["email"].send = real  # type: ignore[method-assign]
    send_job(job(*users), program, world.deps())
    counters = world.messaging.counters("dormant-offer", 0)
    assert counters["sent"] == 99 and counters["uncertain"] == 1
    assert world.messaging.totals["dormant-offer"]["sent_email"] == 99
    assert len(world.sent()) == len(set(world.sent())) == 99


def test_the_sweeper_resumes_where_it_stopped_and_never_counts_twice(world: MemoryWorld, program: Program) -> None:
    """Guards: the sweeper's cursor (ClaimIndex.save_cursor after each page), its time budget asked
    before each claim, and the record written with its count. On the old main each run started a full
    scan again and a run stopped mid-way left records no run counted."""
    users = _users(world, 250)
    real = world.channels["email"].send

    def killed_every_time(message: Outbound) -> str:
        real(message)
        raise Killed  # every job dies after its first send: one claim left without an outcome

    world.channels["email"].send = killed_every_time  # type: ignore[method-assign]
    for user in users:
        with pytest.raises(Killed):
            send_job(job(user), program, world.deps())
        world.clock.advance(timedelta(seconds=1))
    world.clock.advance(LATER)
    deps = world.sweep_deps(program)
    budget = iter(range(120))
    first = sweep_claims(deps, world.clock.now(), keep_going=lambda: next(budget, None) is not None)
    assert first["incomplete"] == 1 and first["uncertain"] == 120
    assert world.messaging.counters("dormant-offer", 0)["uncertain"] == 120
    second = sweep_claims(deps, world.clock.now())
    assert second["uncertain"] == 130 and "incomplete" not in second
    assert second["checked"] <= 130 + 100  # from the cursor (one page again at most), not from the start
    assert sweep_claims(deps, world.clock.now() + timedelta(hours=1))["checked"] <= 100
    assert _statuses(world) == {"uncertain": 250}
    assert world.messaging.counters("dormant-offer", 0)["uncertain"] == 250


def test_a_job_parked_by_the_sweeper_is_one_job_of_the_claim(world: MemoryWorld, program: Program) -> None:
    """The claim's note keeps enough of its job (run, tier, deadline, cell) to send it again."""
    world.profiles["u1"] = profile("u1")
    deadline = NOW + timedelta(days=3)
    original = job("u1", not_after=deadline.isoformat())
    _ses_send_events(world)
    real = world.channels["email"].send

    def then_die(message: Outbound) -> str:
        real(message)
        raise Killed

    world.channels["email"].send = then_die  # type: ignore[method-assign]
    with pytest.raises(Killed):
        send_job(original, program, world.deps())
    world.clock.advance(LATER)
    assert sweep_claims(world.sweep_deps(program), world.clock.now())["sent"] == 1
    [follow] = world.deferrals.of_kind("next_step")
    assert isinstance(follow, SendJob) and follow.step == 1 and follow.run_id == original.run_id
    assert follow.tier == original.tier and follow.recipients == original.recipients


def test_a_claim_given_back_since_the_index_was_read_is_left_alone(world: MemoryWorld, program: Program) -> None:
    """Guard: the sweeper's consistent check that the claim is still in the ledger (ClaimRecord.claimed):
    DynamoDB's index is read eventually consistent and may still show a claim given back since."""
    world.profiles["u1"] = profile("u1")
    world.channels["email"].fail = lambda _: Throttled("TooManyRequestsException")
    stale = []
    real_release = world.messaging.release

    def release_after_reading_the_index(user_id: str, key: str, channel: str, also: Sequence[str] = ()) -> None:
        [[(_, claims)]] = list(world.claim_index.claimed(0, 0, world.clock.now().timestamp()))
        stale.extend(claims)  # what a lagging index still shows after the release
        real_release(user_id, key, channel, also)

    world.messaging.release = release_after_reading_the_index  # type: ignore[method-assign]
    assert send_job(job("u1"), program, world.deps())["deferred_by_rate"] == 1  # pacing.defer_after_throttle

    class LaggingIndex(type(world.claim_index)):  # type: ignore[misc]
        def claimed(self, shard: int, since: float, until: float) -> Any:
            yield [(stale[0].claimed_at, stale)]

    index = LaggingIndex(world.messaging, world.deferrals)
    world.clock.advance(LATER)
    swept = sweep_claims(dataclasses.replace(world.sweep_deps(program), index=index), world.clock.now())
    assert swept["given_back"] == 1 and world.messaging.outcomes == {}
