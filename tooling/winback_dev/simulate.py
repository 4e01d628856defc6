"""`winback simulate`: the real scan and send services over in-memory stores, a simulated clock, a
provider with a send rate and a daily quota, and injected faults; figures that show whether the
send path's promises hold at volume (no duplicate, nothing lost, the rate kept, no DLQ).

What is modelled, and how:
- users are generated from the seed, one at a time, when a scan page or a send job reads them (no
  profile is kept); per user the simulation keeps a few bytes (status, deliveries) and, once
  claimed, a compact send state;
- the queue is SQS-like: a message that fails is received again after its visibility timeout and
  goes to the DLQ after MAX_RECEIVES; parked jobs are released when due; later journey steps are
  parked and counted, not run (the figures are about the first message of each journey);
- one account-wide provider for every channel: `max_rate` sends per second, `quota` per 24 hours;
  the sender paces itself with winback.domain.journey.pacing (the "may I send now?" hook);
- faults, each at its rate per provider call: a 5xx after the message was accepted, a read
  timeout (accepted or not), a throttle (not accepted); per job: the process killed before one of
  its provider calls, the message delivered twice (a duplicate) or again later (a redelivery);
  once: the account paused for a simulated hour (the channel pause holds every job meanwhile);
- the sweeper runs every simulated 15 minutes and finishes the claims a job left without an outcome
  (sent when the email provider reported the message accepted, as SES's `Send` event does, else
  uncertain).
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from winback.adapters.activity_store import ScanPage
from winback.config.campaigns import Campaign
from winback.config.loader import load_program
from winback.config.program import Program
from winback.config.settings import Settings
from winback.domain.audience.admission import ANY_CHANNEL, ChannelLimits, day_capacity, segment_share
from winback.domain.audience.segmentation import RfmSegmenter
from winback.domain.journey.pacing import SEND_NOW, Pace, next_send_at
from winback.models.delivery import Throttled, Uncertain
from winback.models.jobs import Recipient, ScanJob, SendJob
from winback.models.outbound import Outbound
from winback.models.profile import Assignment, Journeys, Profile
from winback.models.send_context import ParkedJob
from winback.models.send_state import ClaimNote, Outcome, SendState, SendStatus
from winback.runtime.observability import logger
from winback.services.scan.job import ScanPorts, scan_segment
from winback.services.send import SendDeps, SendThrottled, send_job
from winback.services.send.sweep import GRACE, SweepDeps, sweep_claims
from winback_dev.memory.channels import NoRecommendations
from winback_dev.memory.claim_index import InMemoryClaimIndex
from winback_dev.memory.clock import ManualClock
from winback_dev.memory.messaging import InMemoryMessaging
from winback_dev.memory.stores import (
    InMemoryContext,
    InMemoryCoupons,
    InMemoryDeferrals,
    InMemoryOffers,
    InMemorySuppressions,
)

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
MAX_RECEIVES = 5
VISIBILITY = timedelta(seconds=60)
SWEEP_EVERY = timedelta(minutes=15)
PAUSE_FOR = timedelta(hours=1)
MAX_WAIT = timedelta(seconds=1)  # the longest gap the sender waits out in place
ITEMS_PER_SEGMENT = 20_000
MAX_SCAN_DAYS = timedelta(days=365)  # a capacity of 0 (a warm-up not begun) must not scan forever
ZONES = ("America/New_York", "Europe/Berlin", "Asia/Shanghai", "America/Los_Angeles", "UTC")
TERMINAL = ("sent", "failed", "uncertain", "dropped", "suppressed", "no_channel", "journey_stopped", "active_again")
STATUS = {name: i + 1 for i, name in enumerate(TERMINAL)}
RESOLVED = {STATUS["sent"], STATUS["failed"], STATUS["uncertain"]}
RELEASED = len(TERMINAL) + 1  # a `released` record: the claim is to be given back by the sweeper
RECORDS = {STATUS[s]: SendStatus(s) for s in ("sent", "failed", "uncertain")} | {RELEASED: SendStatus.RELEASED}


@dataclass(frozen=True)
class Faults:
    accepted_5xx: float = 0.001
    timeout: float = 0.001
    throttle: float = 0.002
    kill: float = 0.01  # per job
    duplicate: float = 0.01  # per job
    redelivery: float = 0.01  # per job
    pause: bool = True

    @classmethod
    def none(cls) -> Faults:
        return cls(0, 0, 0, 0, 0, 0, False)


@dataclass
class Figures:
    users: int = 0
    eligible: int = 0
    sent: int = 0
    duplicates: int = 0
    lost: int = 0
    uncertain: int = 0
    failed: int = 0
    dropped: int = 0
    unaccounted: int = 0
    deferred_by_rate: int = 0  # held for the provider's quota (or rate) by the pacer
    rate_waits: int = 0  # the sender waited out a gap (1 / max_rate) before a send
    channel_paused: int = 0
    peak_send_rate: int = 0
    max_send_rate: int = 0
    quota: int = 0
    days_to_drain: float = 0.0
    dlq: int = 0
    kills: int = 0
    throttles: int = 0
    duplicated_messages: int = 0
    redelivered_messages: int = 0
    next_steps_parked: int = 0
    scan_days: int = 0  # daily scans until every eligible user was admitted
    admitted_by_day: list[int] = field(default_factory=list)  # users admitted (both arms) by each day's scan
    job_errors: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0


CHANNELS = ("email", "sms", "push", "inbox")


def _index(user_id: str) -> int:
    return int(user_id[1:])


class Population(Mapping[str, Profile]):
    """Users generated from the seed: `u<i>` is the same user whenever it is read (none is kept)."""

    def __init__(self, users: int, seed: int) -> None:
        self.users = users
        self.seed = seed

    def __getitem__(self, user_id: str) -> Profile:
        if user_id not in self:
            raise KeyError(user_id)
        return self.profile(_index(user_id))

    def __contains__(self, user_id: object) -> bool:
        return isinstance(user_id, str) and user_id[1:].isdigit() and 0 <= _index(user_id) < self.users

    def __iter__(self) -> Iterator[str]:
        return (f"u{i}" for i in range(self.users))

    def __len__(self) -> int:
        return self.users

    def profile(self, i: int) -> Profile:
        rng = random.Random(self.seed * 1_000_003 + i)
        last_order = START - timedelta(days=rng.uniform(0, 400), seconds=rng.randrange(86_400))
        consent = {"email": rng.random() < 0.9, "sms": rng.random() < 0.3, "push": rng.random() < 0.2}
        return Profile(
            user_id=f"u{i}",
            version=1,
            first_seen_at=last_order - timedelta(days=rng.uniform(0, 700)),
            last_seen_at=last_order,
            last_event_at={"order": last_order},
            event_counts={"order": 1 + rng.randrange(12), "login": rng.randrange(2)},
            orders=1 + rng.randrange(12),
            spend_minor={"USD": rng.randrange(1_000, 200_000)},
            email=f"u{i}@mail.example.com",
            phone=f"+1415{i % 10_000_000:07d}" if consent["sms"] else None,
            push_endpoint=f"arn:aws:sns:us-east-1:1:endpoint/GCM/app/{i}" if consent["push"] else None,
            locale="zh-CN" if rng.random() < 0.2 else "en",
            time_zone=ZONES[rng.randrange(len(ZONES))],
            consent=consent,
        )


class Activity:
    """ActivityTable for the scan: pages generated on the fly; tier marks always succeed and are kept
    as one byte per user, so a later day's scan finds who is handled and who still waits. A marked
    user is left out of the pages (nobody comes back within the simulation: they would be
    `already_handled`), which saves generating them again each day."""

    def __init__(self, population: Population) -> None:
        self.population = population
        self.marked = bytearray(population.users)

    def scan_page(self, segment: int, total_segments: int, start_key: dict[str, Any] | None, limit: int) -> ScanPage:
        size = math.ceil(self.population.users / total_segments)
        first = segment * size if start_key is None else int(start_key["i"])
        end = min((segment + 1) * size, self.population.users)
        last = min(first + limit, end)
        marked = self.marked
        profiles = [self.population.profile(i) for i in range(first, last) if not marked[i]]
        return ScanPage(profiles=profiles, next_key={"i": last} if last < end else None)

    def mark_tier(
        self,
        user_id: str,
        tier: str,
        at: datetime,
        version: int,
        assignment: Assignment | None,
        journeys: Journeys,
    ) -> bool:
        self.marked[_index(user_id)] = 1
        return True


class CompactMessaging(InMemoryMessaging):
    """The in-memory MessagingTable in a few bytes per user: send states packed into tuples, one
    outcome status per user (the first step only runs)."""

    def __init__(self, users: int) -> None:
        super().__init__()
        self.packed: dict[int, tuple[Any, ...]] = {}
        self.outcome = bytearray(users)

    def read_state(self, user_id: str) -> SendState:
        packed = self.packed.get(_index(user_id))
        if packed is None:
            return SendState()
        version, ledger, caps, notes = packed
        unpacked = {k: ClaimNote(*note) for k, note in notes}
        return SendState(version, dict(ledger), {s: dict(v) for s, v in caps}, unpacked)

    def _write_state(self, user_id: str, state: SendState) -> None:
        self.packed[_index(user_id)] = (
            state.version,
            tuple(state.ledger.items()),
            tuple((s, tuple(v.items())) for s, v in state.caps.items()),
            tuple((k, dataclasses.astuple(note)) for k, note in state.notes.items()),
        )

    def record(self, outcome: Outcome) -> None:
        code = RELEASED if outcome.status == SendStatus.RELEASED else STATUS[outcome.status]
        self.outcome[_index(outcome.user_id)] = code

    def record_status(self, user_id: str, key: str) -> SendStatus | None:
        return RECORDS.get(self.outcome[_index(user_id)])

    def drop_record(self, user_id: str, key: str) -> None:
        self.outcome[_index(user_id)] = 0

    def put_scan_figures(self, run_id: str, segment: int, first_page: int, counts: Mapping[str, int]) -> None:
        """The scan's own figures are not the simulation's."""


class Killed(BaseException):
    """The process dies (a Lambda timeout, out of memory): no handler in the service runs."""


class SimulatedPause(Throttled):
    """The provider's account paused, as the simulation answers it: a throttle that sends the job
    back to the queue, after which the simulation pauses every channel (as the channel pause would)."""


@dataclass
class Provider:
    """One account for every channel: a rate, a 24-hour quota, deliveries per user, faults."""

    users: int
    max_rate: int
    quota: int
    faults: Faults
    rng: random.Random
    clock: ManualClock
    latency: timedelta
    delivered: bytearray = field(init=False)
    this_second: int = 0
    second: int = 0
    quota_used: int = 0
    quota_resets: datetime = START + timedelta(days=1)
    peak: int = 0
    last_send: datetime = START
    last_admit: datetime | None = None  # when the pacer last let a send go
    kill_in: int | None = None  # provider calls until the process dies (per job)
    # SES's `Send` event for an accepted email (the feedback function records it for the sweeper).
    on_email_accepted: Callable[[Outbound, str], None] | None = None
    pause_at: datetime | None = None
    pause_until: datetime | None = None
    throttles: int = 0
    rate_waits: int = 0

    def __post_init__(self) -> None:
        self.delivered = bytearray(self.users)

    def admit(self, channel: str, now: datetime, not_after: datetime | None) -> Pace:
        """The sender's "may I send now?" (ports.Pacer), from what the provider reports (GetAccount),
        by domain/journey/pacing's rule: sends spaced 1 / max_rate apart (a short gap is waited out:
        the sender sleeps, the clock moves); a spent quota defers the message to the quota's reset."""
        self._roll(now)
        pace = next_send_at(
            now=now,
            per_second=self.max_rate,
            since_last_send=None if self.last_admit is None else now - self.last_admit,
            quota_left=self.quota - self.quota_used,
            window_ends_at=self.quota_resets,
            not_after=not_after,
            max_wait=MAX_WAIT,
        )
        if pace.action in ("defer", "drop"):
            return pace
        if pace.action == "wait":
            self.clock.at = now + pace.wait
            self._roll(self.clock.at)
            self.rate_waits += 1
        self.last_admit = self.clock.at
        return SEND_NOW

    def _roll(self, now: datetime) -> None:
        if int(now.timestamp()) != self.second:
            self.second, self.this_second = int(now.timestamp()), 0
        while now >= self.quota_resets:
            self.quota_resets += timedelta(days=1)
            self.quota_used = 0

    def send(self, message: Outbound) -> str:
        """The channel: the provider's message id, or a fault (a kill, the account paused, a
        throttle, or an uncertain answer after the message was accepted)."""
        self._die_when_due()
        now = self.clock.now()
        self._check_account(now)
        roll = self.rng.random()
        if roll < self.faults.throttle:
            self.throttles += 1
            raise Throttled("TooManyRequestsException")
        self.clock.at += self.latency
        self._accept(message)
        message_id = f"m-{message.user_id}"
        if message.channel == "email" and self.on_email_accepted is not None:
            self.on_email_accepted(message, message_id)
        if roll < self.faults.throttle + self.faults.accepted_5xx:
            raise Uncertain("InternalFailure")  # accepted, then the answer was a 5xx
        if roll < self.faults.throttle + self.faults.accepted_5xx + self.faults.timeout:
            raise Uncertain("ReadTimeoutError")
        return message_id

    def _die_when_due(self) -> None:
        if self.kill_in is not None:
            self.kill_in -= 1
            if self.kill_in < 0:
                self.kill_in = None
                raise Killed

    def _check_account(self, now: datetime) -> None:
        """The account's pause (once, at `pause_at`, for PAUSE_FOR), its rate and its quota."""
        if self.pause_at is not None and self.pause_at <= now:
            self.pause_until, self.pause_at = now + PAUSE_FOR, None
        if self.pause_until is not None and now < self.pause_until:
            raise SimulatedPause("SendingPausedException")
        self._roll(now)
        if self.this_second >= self.max_rate or self.quota_used >= self.quota:
            self.throttles += 1
            raise Throttled("TooManyRequestsException")  # a sender that did not pace itself

    def _accept(self, message: Outbound) -> None:
        i = _index(message.user_id)
        self.delivered[i] = min(255, self.delivered[i] + 1)
        self.this_second += 1
        self.quota_used += 1
        self.peak = max(self.peak, self.this_second)
        self.last_send = self.clock.now()


@dataclass(order=True)
class _Message:
    visible_at: float
    seq: int
    body: str = field(compare=False)
    receives: int = field(compare=False, default=0)


class Queue:
    """SendQueue: messages become visible at a time; the earliest visible is received first."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.heap: list[_Message] = []
        self.seq = 0

    def enqueue(self, url: str, bodies: Sequence[str]) -> None:
        for body in bodies:
            self.push(body, self.clock.now())

    def push(self, body: str, at: datetime, receives: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, _Message(at.timestamp(), self.seq, body, receives))

    def head(self) -> float | None:
        return self.heap[0].visible_at if self.heap else None

    def pop(self) -> _Message:
        return heapq.heappop(self.heap)


class Parking(InMemoryDeferrals):
    """DeferralTable and the Records port, with parked jobs released when due; next steps counted,
    not run."""

    def __init__(self, messaging: CompactMessaging) -> None:
        super().__init__(messaging)
        self.due: list[tuple[float, str]] = []
        self.next_steps = 0

    def park(self, job: ParkedJob) -> None:
        if job.kind == "next_step":
            self.next_steps += job.body.count('"user_id"')
            return
        super().park(job)
        heapq.heappush(self.due, (job.due.timestamp(), job.key))

    def next_due(self) -> float | None:
        while self.due and (
            self.due[0][1] not in self.jobs or self.jobs[self.due[0][1]].due.timestamp() != self.due[0][0]
        ):
            heapq.heappop(self.due)
        return self.due[0][0] if self.due else None

    def take(self, now: datetime) -> list[str]:
        bodies = []
        while (at := self.next_due()) is not None and at <= now.timestamp():
            _, key = heapq.heappop(self.due)
            bodies.append(self.jobs.pop(key).body)
        return bodies


@dataclass
class _ScanPorts:
    settings: Settings
    program: Program
    activity: Activity
    messaging: CompactMessaging
    suppression: InMemorySuppressions


class Simulation:
    """One run: the users generated from the seed, the in-memory stores, the provider, the send queue
    and the release schedule on one simulated clock; the send service over them."""

    def __init__(self, users: int, seed: int, max_rate: int, quota: int, faults: Faults, program: Program) -> None:
        self.program, self.faults = program, faults
        self.rng = random.Random(seed)
        self.clock = ManualClock(START)
        self.population = Population(users, seed)
        self.messaging = CompactMessaging(users)
        self.parking = Parking(self.messaging)
        self.paused: set[str] = set()
        self.provider = Provider(
            users, max_rate, quota, faults, self.rng, self.clock, timedelta(seconds=1 / (2 * max_rate))
        )
        if faults.pause:
            self.provider.pause_at = START + timedelta(hours=self.rng.uniform(1, 6))
        self.provider.on_email_accepted = lambda m, message_id: self.messaging.record_accepted(
            m.user_id, m.key, message_id, self.clock.now()
        )
        self.sweep_deps = SweepDeps(InMemoryClaimIndex(self.messaging, self.parking), self.parking, self._campaign)
        self.queue = Queue(self.clock)
        self.status = bytearray(users)  # the last terminal status the sender gave each user
        self.counts: Counter[str] = Counter()
        self.figures = Figures(users=users, max_send_rate=max_rate, quota=quota)
        self.activity = Activity(self.population)
        self.next_sweep = START + SWEEP_EVERY
        coupons = InMemoryCoupons()
        self.deps = SendDeps(
            context=InMemoryContext(self.population, self.messaging, self.paused, coupons),
            messaging=self.messaging,
            suppression=InMemorySuppressions(),
            records=self.parking,
            coupons=coupons,
            offers=InMemoryOffers(),
            channels=dict.fromkeys(CHANNELS, self.provider),
            recommender=NoRecommendations(),
            unsubscribe_key=b"s" * 32,
            public_base_url="https://api.example.com",
            clock=self.clock,
            pacer=self.provider,
            observe=self.observe,
        )

    def _campaign(self, campaign_id: str) -> Campaign | None:
        return next((c for c in self.program.campaigns if c.id == campaign_id), None)

    def observe(self, recipient: Recipient, name: str) -> None:
        if name in STATUS:
            self.status[_index(recipient.user_id)] = STATUS[name]
        elif name in ("deferred_by_rate", "deferred_by_quota", "channel_paused"):
            self.counts[name] += 1

    def capacity(self, day: datetime) -> dict[str, int] | None:
        """One account for every channel: the day's capacity is the provider's quota and rate (and a
        warm-up ramp, when the program has one), as one budget every channel shares."""
        if not self.program.admission.enabled:
            return None
        limits = ChannelLimits(self.provider.quota, self.provider.max_rate, self.program.pacing.sms_per_second)
        return {ANY_CHANNEL: day_capacity(self.program.admission, limits, day.date())["email"]}

    def scan(self, as_of: datetime = START) -> int:
        """Plan and scan one day: every segment at once, as the plan's scan jobs would, each with its
        share of the day's capacity. Returns how many users still wait for a later day."""
        settings = Settings.model_validate(
            {"ACTIVITY_TABLE": "a", "SUPPRESSION_TABLE": "s", "MESSAGING_TABLE": "m", "SEND_QUEUE_URL": "send"}
        )
        ports = _ScanPorts(settings, self.program, self.activity, self.messaging, InMemorySuppressions())
        users = self.population.users
        segments = max(1, math.ceil(users / ITEMS_PER_SEGMENT))
        segmenter = RfmSegmenter(self.program, None)
        capacity = self.capacity(as_of)
        self.clock.at = max(self.clock.at, as_of)
        tally: Counter[str] = Counter()
        for segment in range(segments):
            admit = None if capacity is None else segment_share(capacity, segments, segment)
            job = ScanJob(
                run_id=f"sim-{as_of:%Y%m%d}", as_of=as_of, segment=segment, total_segments=segments, admit=admit
            )
            result = scan_segment(job, cast("ScanPorts", ports), segmenter, lambda: 900_000, self.queue.enqueue)
            tally.update(result.tally)
        self.figures.eligible += tally["targeted"]
        self.figures.scan_days += 1
        self.figures.admitted_by_day.append(tally["admitted"])
        return tally["waiting"]

    def run(self, progress: Callable[[str], None] | None = None) -> None:
        """A scan each day and the sends in between, until no one waits; then the rest is sent."""
        day = START
        while self.scan(day) > 0 and day < START + MAX_SCAN_DAYS:
            day += timedelta(days=1)
            self.drain(progress, until=day)
        self.drain(progress)

    def drain(self, progress: Callable[[str], None] | None = None, until: datetime | None = None) -> None:
        """The send queue, the release schedule and the sweeper, on the simulated clock, until no
        message is queued or parked (or the next one is due after `until`)."""
        end = None if until is None else until.timestamp()
        while True:
            due, head = self.parking.next_due(), self.queue.head()
            if head is None and due is None:
                return
            if end is not None and min(t for t in (due, head) if t is not None) >= end:
                return
            if due is not None and (head is None or due <= head):
                self.clock.at = max(self.clock.at, datetime.fromtimestamp(due, UTC))
                self.queue.enqueue("send", self.parking.take(self.clock.now()))
                continue
            message = self.queue.pop()
            self.clock.at = max(self.clock.at, datetime.fromtimestamp(message.visible_at, UTC))
            while self.clock.at >= self.next_sweep:
                sweep_claims(self.sweep_deps, self.next_sweep)
                self.next_sweep += SWEEP_EVERY
            self._resume_when_the_account_is_back()
            message.receives += 1
            self._process(message)
            if progress is not None and self.queue.seq % 10_000 == 0:
                progress(f"{self.clock.at.isoformat()} queue={len(self.queue.heap)} parked={len(self.parking.jobs)}")

    def _resume_when_the_account_is_back(self) -> None:
        """The operator's `winback resume --channel` once the account is back."""
        provider = self.provider
        if provider.pause_until is not None and self.clock.at >= provider.pause_until:
            self.paused.difference_update(CHANNELS)
            provider.pause_until = None

    def _process(self, message: _Message) -> None:
        """One receive of a send job, with the per-job faults: a duplicate, a kill, a redelivery."""
        rng, faults, figures, queue = self.rng, self.faults, self.figures, self.queue
        job = SendJob.model_validate_json(message.body)
        now = queue.clock.now()
        if rng.random() < faults.duplicate:
            figures.duplicated_messages += 1  # SQS's at-least-once: the same message twice
            queue.push(message.body, now + timedelta(seconds=rng.uniform(0, 30)))
        if rng.random() < faults.kill:
            self.provider.kill_in = rng.randrange(len(job.recipients))
        try:
            send_job(job, self.program, self.deps)
        except SendThrottled as error:
            if isinstance(error.__cause__, SimulatedPause):
                self.paused.update(CHANNELS)  # an account-level error pauses the channels
            self._failed("throttled", message)
        except Killed:
            figures.kills += 1
            self._retry(message)
        except Exception as error:
            self._failed(type(error).__name__, message)
        else:
            if rng.random() < faults.redelivery:
                figures.redelivered_messages += 1  # deleted too late: SQS delivers it again
                queue.push(message.body, queue.clock.now() + VISIBILITY)
        finally:
            self.provider.kill_in = None

    def _failed(self, error: str, message: _Message) -> None:
        self.figures.job_errors[error] = self.figures.job_errors.get(error, 0) + 1
        self._retry(message)

    def _retry(self, message: _Message) -> None:
        """Received again after the visibility timeout; the DLQ after MAX_RECEIVES receives."""
        if message.receives >= MAX_RECEIVES:
            self.figures.dlq += 1
            return
        self.queue.push(message.body, self.queue.clock.now() + VISIBILITY, message.receives)

    def finish(self, debug: dict[str, Any] | None = None) -> Figures:
        """The last sweep, then what became of every claim and every eligible user."""
        m, figures, status = self.messaging, self.figures, self.status
        sweep_claims(self.sweep_deps, self.clock.now() + GRACE + timedelta(minutes=1))
        claimed = {_index(u) for _, u, key in m.claim_log if key in m.read_state(u).ledger}
        outcomes = Counter(m.outcome[i] for i in claimed)
        figures.sent, figures.uncertain = outcomes[STATUS["sent"]], outcomes[STATUS["uncertain"]]
        figures.failed, figures.lost = outcomes[STATUS["failed"]], outcomes[0]
        figures.duplicates = sum(d - 1 for d in self.provider.delivered if d > 1)
        figures.dropped = status.count(STATUS["dropped"])
        terminal = {STATUS[n] for n in TERMINAL}
        open_users = [i for i in range(len(status)) if not m.outcome[i] and status[i] not in terminal]
        figures.unaccounted = figures.eligible - (len(status) - len(open_users))
        if debug is not None:
            debug["open_statuses"] = Counter(status[i] for i in open_users)
        figures.deferred_by_rate = self.counts["deferred_by_rate"] + self.counts["deferred_by_quota"]
        figures.channel_paused = self.counts["channel_paused"]
        figures.peak_send_rate = self.provider.peak
        figures.days_to_drain = round((self.provider.last_send - START).total_seconds() / 86_400, 3)
        figures.throttles = self.provider.throttles
        figures.rate_waits = self.provider.rate_waits
        figures.next_steps_parked = self.parking.next_steps
        return figures


def simulate(
    users: int = 100_000,
    seed: int = 1,
    max_rate: int = 14,
    quota: int = 50_000,
    faults: Faults | None = None,
    program: Program | None = None,
    progress: Callable[[str], None] | None = None,
    debug: dict[str, Any] | None = None,
) -> Figures:
    started = time.perf_counter()
    logger.setLevel("ERROR")  # a million users' INFO lines would be the run
    sim = Simulation(users, seed, max_rate, quota, Faults() if faults is None else faults, program or load_program())
    sim.run(progress)
    figures = sim.finish(debug)
    figures.wall_s = round(time.perf_counter() - started, 1)
    return figures


def to_json(figures: Figures) -> str:
    return json.dumps(asdict(figures), indent=2)
